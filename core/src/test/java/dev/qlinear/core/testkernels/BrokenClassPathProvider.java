package dev.qlinear.core.testkernels;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;

import java.util.List;

/** A class-path provider whose constructor fails; discovery must refuse it and keep the others. */
public final class BrokenClassPathProvider implements KernelProvider {

    public BrokenClassPathProvider() {
        throw new IllegalStateException("missing native library for embedded kernels");
    }

    @Override
    public List<LinearKernel<?>> kernels() {
        return List.of();
    }
}
