package dev.qlinear.cpuvector;

import dev.qlinear.conformance.BaseKernelConformanceTest;
import dev.qlinear.conformance.KernelSource;

import java.nio.file.Path;

/** The shared conformance suite against the packaged plugin jar, loaded as an operator would install it. */
final class ITCpuVectorConformance extends BaseKernelConformanceTest {

    @Override
    protected KernelSource kernels() {
        return KernelSource.pluginJar(Path.of(System.getProperty("cpu-vector.jar", "target/qlinear-cpu-vector-0.1.0.jar")));
    }
}
