package dev.qlinear.testplugin.bugacceptsanygroup;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.testplugin.common.Bug;
import dev.qlinear.testplugin.common.ScalarW4a16Kernel;
import org.pf4j.Extension;

import java.util.List;

/** The scalar W4A16 kernel whose canImplement does not check the group size. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ScalarW4a16Kernel("bug-accepts-any-group", Bug.ACCEPTS_ANY_GROUP));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
