package dev.qlinear.testplugin.bugzeropoint;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.testplugin.common.Bug;
import dev.qlinear.testplugin.common.ScalarW4a16Kernel;
import org.pf4j.Extension;

import java.util.List;

/** The scalar W4A16 kernel with zero points off by one. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ScalarW4a16Kernel("bug-zero-point", Bug.ZERO_POINT_OFF_BY_ONE));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
