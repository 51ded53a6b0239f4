package dev.qlinear.tritonfp8;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import org.pf4j.Extension;

import java.util.List;

/** The {@value TritonFp8Kernel#ID} kernel. Creating it reads the jar's list of Triton images and touches no device. */
@Extension
public final class TritonFp8Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new TritonFp8Kernel());

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
