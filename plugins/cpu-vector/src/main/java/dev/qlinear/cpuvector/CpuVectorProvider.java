package dev.qlinear.cpuvector;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import org.pf4j.Extension;

import java.util.List;

/**
 * The cpu-vector kernels: {@value W4A16Kernel#ID} and {@value Fp8Kernel#ID}. Creating them touches neither the
 * Vector API nor a thread: the worker team starts on the first {@code apply}.
 */
@Extension
public final class CpuVectorProvider implements KernelProvider {

    static final String FAMILY = "cpu-vector";
    static final String VERSION = "0.1.0";
    static final int PRIORITY = 100;

    private final List<LinearKernel<?>> kernels = List.of(new W4A16Kernel(), new Fp8Kernel());

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
