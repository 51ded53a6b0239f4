package dev.qlinear.testplugin.common;

import dev.qlinear.spi.kernel.KernelCapabilities;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.type.ScalarType;

import java.util.List;
import java.util.Set;

/** Short ways to write the declarations of test kernels. */
public final class Declarations {

    public static final Set<ScalarType> HALF_TYPES = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);

    private Declarations() {
    }

    public static KernelDescriptor descriptor(String id, List<PlatformSupport> platforms, KernelCapabilities capabilities) {
        return new KernelDescriptor(id, "test", "1.0.0", platforms, capabilities, ToleranceClass.RELATIVE_MEAN_ERROR, 65536);
    }

    public static WeightOnlyCapabilities weightOnly(Set<ScalarType> activationTypes, Set<Integer> groupSizes, boolean zeroPoints, boolean actOrder,
            int kAlignment, int nAlignment) {
        Set<ScalarType> weightTypes = zeroPoints ? Set.of(ScalarType.UINT4B8, ScalarType.UINT4) : Set.of(ScalarType.UINT4B8);
        return new WeightOnlyCapabilities(weightTypes, activationTypes, activationTypes, groupSizes, zeroPoints, actOrder, kAlignment, nAlignment);
    }
}
