package dev.qlinear.testplugin.alpha;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.testplugin.common.DeclaredKernel;
import org.pf4j.Extension;

import java.util.List;
import java.util.Set;

import static dev.qlinear.testplugin.common.Declarations.HALF_TYPES;
import static dev.qlinear.testplugin.common.Declarations.descriptor;
import static dev.qlinear.testplugin.common.Declarations.weightOnly;

/** A fast CUDA kernel with strict alignment, and a portable fallback for CUDA, ROCm and CPU. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(
            new DeclaredKernel<WeightOnlyConfig>(
                    descriptor("fast-w4", List.of(PlatformSupport.of("cuda:sm_80+", 100)),
                            weightOnly(HALF_TYPES, Set.of(-1, 32, 64, 128), true, true, 128, 64)),
                    config -> Verdict.checks().require(config.k() >= 256, "minimum K", "K >= 256", "K=" + config.k()).verdict()),
            new DeclaredKernel<WeightOnlyConfig>(
                    descriptor("portable-w4",
                            List.of(PlatformSupport.of("cuda:sm_80+", 10), PlatformSupport.of("rocm:gfx942,gfx950", 100), PlatformSupport.of("cpu", 5)),
                            weightOnly(HALF_TYPES, Set.of(-1, 32, 64, 128, 256), true, false, 1, 8)),
                    config -> Verdict.accepted()));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
