package dev.qlinear.conformance;

/** The suite as a vendor runs it, on the correct scalar W4A16 plugin's jar: every case must pass. */
final class TestScalarW4a16Conformance extends BaseKernelConformanceTest {

    @Override
    protected KernelSource kernels() {
        return KernelSource.pluginJar(TestPlugins.jar(TestPlugins.SCALAR_W4A16));
    }
}
