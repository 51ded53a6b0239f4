package dev.qlinear.marlin;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import org.pf4j.Extension;

import java.util.List;

/** The {@value MarlinKernel#ID} kernel. Creating it reads the kernel images from the jar and touches no device. */
@Extension
public final class MarlinProvider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new MarlinKernel());

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
