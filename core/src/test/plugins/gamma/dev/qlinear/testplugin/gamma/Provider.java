package dev.qlinear.testplugin.gamma;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.testplugin.common.DeclaredKernel;
import org.pf4j.Extension;

import java.util.List;
import java.util.Set;

import static dev.qlinear.testplugin.common.Declarations.HALF_TYPES;
import static dev.qlinear.testplugin.common.Declarations.descriptor;
import static dev.qlinear.testplugin.common.Declarations.weightOnly;

/** An fp16-only weight-only kernel of middle priority, and an FP8 per-token x per-channel kernel. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(
            new DeclaredKernel<WeightOnlyConfig>(
                    descriptor("exl-w4", List.of(PlatformSupport.of("cuda:sm_80+", 50), PlatformSupport.of("rocm:gfx942", 50)),
                            weightOnly(Set.of(ScalarType.FLOAT16), Set.of(32, 64, 128), false, false, 32, 8)),
                    config -> Verdict.accepted()),
            new DeclaredKernel<ScaledMmConfig>(
                    descriptor("fp8-ptpc", List.of(PlatformSupport.of("cuda:sm_89+", 100)),
                            new ScaledMmCapabilities(Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(ScalarType.FLOAT8_E4M3FN),
                                    Set.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR), Set.of(GroupShape.PER_TOKEN, GroupShape.PER_TENSOR),
                                    true, true, HALF_TYPES, HALF_TYPES, true, 16, 16)),
                    config -> Verdict.accepted()));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
