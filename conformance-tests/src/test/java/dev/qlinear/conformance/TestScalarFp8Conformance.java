package dev.qlinear.conformance;

/** The suite as a vendor runs it on its own provider, here the correct scalar FP8 kernel: every case must pass. */
final class TestScalarFp8Conformance extends BaseKernelConformanceTest {

    @Override
    protected KernelSource kernels() {
        return KernelSource.provider(TestPlugins.provider(TestPlugins.SCALAR_FP8));
    }
}
