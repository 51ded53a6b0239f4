package dev.qlinear.testplugin.ctorthrows;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import org.pf4j.Extension;

import java.util.List;

/** A provider whose constructor fails, as one that probes for a missing driver might. */
@Extension
public final class Provider implements KernelProvider {

    public Provider() {
        throw new IllegalStateException("driver library libfake.so not found");
    }

    @Override
    public List<LinearKernel<?>> kernels() {
        return List.of();
    }
}
