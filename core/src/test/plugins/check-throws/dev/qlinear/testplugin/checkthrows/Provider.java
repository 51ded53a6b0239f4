package dev.qlinear.testplugin.checkthrows;

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

/** The highest-priority CUDA kernel, whose own check throws for every layer. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(
            new DeclaredKernel<WeightOnlyConfig>(
                    descriptor("flaky-w4", List.of(PlatformSupport.of("cuda:sm_80+", 200)), weightOnly(HALF_TYPES, Set.of(-1, 128), false, false, 1, 1)),
                    config -> {
                        throw new IllegalStateException("tile table not initialised");
                    }));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
