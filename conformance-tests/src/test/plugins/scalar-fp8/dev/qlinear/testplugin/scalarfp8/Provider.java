package dev.qlinear.testplugin.scalarfp8;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.testplugin.common.ScalarFp8Kernel;
import org.pf4j.Extension;

import java.util.List;

/** The correct scalar FP8 W8A8 kernel. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ScalarFp8Kernel("scalar-fp8"));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
