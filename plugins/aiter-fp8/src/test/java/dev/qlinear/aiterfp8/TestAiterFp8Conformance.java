package dev.qlinear.aiterfp8;

import dev.qlinear.conformance.BaseKernelConformanceTest;
import dev.qlinear.conformance.KernelSource;
import dev.qlinear.spi.platform.Platform;

import java.util.Optional;

/**
 * The shared conformance suite over the module's own provider, for {@code rocm:gfx942} unless
 * {@code -Dqlinear.conformance.platform} names another. The provider reads this process's environment: the build points
 * {@value AiterSettings#AITER_HOME} at the fixture installation {@code src/test/aiter-home} (tuned for the suite's shapes,
 * no shim), so layout cases run (prepared into host memory standing in for the GPU, compared with core's
 * {@code aiter-preshuffle-16x16} bit for bit, e4m3fn converted to e4m3fnuz) and must-reject cases run; computed cases
 * run where this process has that GPU and report that they cannot run here elsewhere.
 */
final class TestAiterFp8Conformance extends BaseKernelConformanceTest {

    @Override
    protected KernelSource kernels() {
        return KernelSource.provider(new AiterFp8Provider());
    }

    @Override
    protected Optional<Platform> platform() {
        return Optional.of(Platform.parse("rocm:gfx942"));
    }
}
