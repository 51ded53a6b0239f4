package dev.qlinear.conformance;

import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Optional;
import java.util.stream.Stream;

/**
 * The conformance suite for a vendor's own build: extend it in a test class (named so Surefire runs it, such as
 * {@code TestMyKernelsConformance}) and say where the kernels are.
 * <pre>{@code
 * final class TestMyKernelsConformance extends BaseKernelConformanceTest {
 *     @Override
 *     protected KernelSource kernels() {
 *         return KernelSource.provider(new MyKernelProvider());   // or KernelSource.pluginJar(Path.of("target/my-plugin.jar"))
 *     }
 * }
 * }</pre>
 * The run is configured by {@code -Dqlinear.conformance.*} (seed, maxMacs, maxCases, case, platform); the overrides
 * here set the defaults a build wants.
 */
@ExtendWith(ConformanceSettingsResolver.class)
public abstract class BaseKernelConformanceTest {

    /** The kernels under test: a plugin jar ({@link KernelSource#pluginJar}) or a provider ({@link KernelSource#provider}). */
    protected abstract KernelSource kernels();

    /** The platform to test for when {@code -Dqlinear.conformance.platform} is not set; empty for the detected one. */
    protected Optional<Platform> platform() {
        return Optional.empty();
    }

    /** The row counts and shapes to sweep. */
    protected Sweep sweep() {
        return Sweep.defaults();
    }

    /** The settings of the run, given those from the configuration; override to change the size cap or the sample. */
    protected ConformanceSettings settings(ConformanceSettings configured) {
        return configured;
    }

    @TestFactory
    @DisplayName("qlinear conformance")
    public final Stream<DynamicNode> conformance(ConformanceSettings configured, TestReporter reporter) {
        ConformanceSettings settings = settings(configured);
        if (settings.platform().isEmpty() && platform().isPresent()) {
            settings = settings.withPlatform(platform().get());
        }
        return ConformanceSuite.dynamicTests(kernels(), sweep(), settings, reporter);
    }
}
