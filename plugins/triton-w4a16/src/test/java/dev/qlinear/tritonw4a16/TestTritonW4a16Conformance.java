package dev.qlinear.tritonw4a16;

import dev.qlinear.conformance.BaseKernelConformanceTest;
import dev.qlinear.conformance.KernelSource;
import dev.qlinear.spi.platform.Platform;

import java.util.Optional;

/**
 * The shared conformance suite over the module's own classes, for {@code cuda:sm_90} unless
 * {@code -Dqlinear.conformance.platform} names another: layouts are prepared into host memory standing in for the GPU
 * and must equal the reference packer's, must-reject cases must pass, and computed cases run only where this process
 * has that GPU (elsewhere they are skipped as "cannot run here").
 */
final class TestTritonW4a16Conformance extends BaseKernelConformanceTest {

    @Override
    protected KernelSource kernels() {
        return KernelSource.provider(new TritonW4a16Provider());
    }

    @Override
    protected Optional<Platform> platform() {
        return Optional.of(Platform.parse("cuda:sm_90"));
    }
}
