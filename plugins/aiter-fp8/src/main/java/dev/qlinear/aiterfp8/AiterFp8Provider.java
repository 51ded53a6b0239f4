package dev.qlinear.aiterfp8;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import org.pf4j.Extension;

import java.util.List;

/**
 * The {@value AiterFp8Kernel#ID} kernel, with the settings of this process's environment ({@link AiterSettings}).
 * Creating it reads the environment only: aiter's files are looked at when the kernel is asked.
 */
@Extension
public final class AiterFp8Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new AiterFp8Kernel(AiterSettings.fromEnvironment(System.getenv())));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
