package dev.qlinear.testplugin.bugcontiguousonly;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.testplugin.common.Bug;
import dev.qlinear.testplugin.common.ScalarW4a16Kernel;
import org.pf4j.Extension;

import java.util.List;

/** The scalar W4A16 kernel that ignores the input row stride. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ScalarW4a16Kernel("bug-contiguous-only", Bug.CONTIGUOUS_ONLY));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
