package dev.qlinear.exllama;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import org.pf4j.Extension;

import java.util.List;

/** The {@value ExllamaKernel#ID} kernel. Creating it reads the kernel images from the jar and touches no device. */
@Extension
public final class ExllamaProvider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ExllamaKernel());

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
