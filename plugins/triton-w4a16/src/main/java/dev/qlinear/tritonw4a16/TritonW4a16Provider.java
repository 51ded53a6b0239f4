package dev.qlinear.tritonw4a16;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import org.pf4j.Extension;

import java.util.List;

/** The {@value TritonW4a16Kernel#ID} kernel. Creating it reads the list of Triton images from the jar and touches no device. */
@Extension
public final class TritonW4a16Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new TritonW4a16Kernel());

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
