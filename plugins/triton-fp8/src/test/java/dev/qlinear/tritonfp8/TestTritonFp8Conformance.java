package dev.qlinear.tritonfp8;

import dev.qlinear.conformance.BaseKernelConformanceTest;
import dev.qlinear.conformance.KernelSource;
import dev.qlinear.spi.platform.Platform;

import java.util.Optional;

/**
 * The shared conformance suite over the module's own provider, for {@code cuda:sm_90} unless
 * {@code -Dqlinear.conformance.platform} names another. Layout and must-reject cases run anywhere (layouts are prepared
 * into host memory standing in for the GPU) and fail the build when they fail; computed cases run where this process
 * has that GPU and are reported as not run elsewhere.
 */
final class TestTritonFp8Conformance extends BaseKernelConformanceTest {

    @Override
    protected KernelSource kernels() {
        return KernelSource.provider(new TritonFp8Provider());
    }

    @Override
    protected Optional<Platform> platform() {
        return Optional.of(Platform.parse("cuda:sm_90"));
    }
}
