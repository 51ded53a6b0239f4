package dev.qlinear.testplugin.bugbatchdependent;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.testplugin.common.Bug;
import dev.qlinear.testplugin.common.ScalarW4a16Kernel;
import org.pf4j.Extension;

import java.util.List;

/** The scalar W4A16 kernel that rounds partial sums to the output type above 16 rows. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ScalarW4a16Kernel("bug-batch-dependent", Bug.BATCH_DEPENDENT));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
