package dev.qlinear.testplugin.scalarw4a16;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.testplugin.common.Bug;
import dev.qlinear.testplugin.common.ScalarW4a16Kernel;
import org.pf4j.Extension;

import java.util.List;

/** The correct scalar W4A16 kernel. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ScalarW4a16Kernel("scalar-w4a16", Bug.NONE));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
