package dev.qlinear.cli.bench;

import dev.qlinear.core.Qlinear;
import dev.qlinear.core.select.CandidateVerdict;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.core.select.SelectionReport;
import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The bench's FP8 layer as the shipped triton-fp8 plugin judges it, without a GPU: on an H100's platform it accepts the
 * layer of every preset shape, so that {@code qlinear bench} on an H100 times it on all of them.
 */
final class TestScaledMmCandidates {

    @TempDir
    Path plugins;

    @Test
    void tritonFp8CanImplementThePtpcLayerOfEveryPresetShapeOnSm90() throws IOException {
        installShippedPlugin("triton-fp8");
        Qlinear qlinear = Qlinear.builder().pluginsFolder(plugins).classPathDiscovery(false).environment(Map.of()).build();
        Platform h100 = Platform.parse("cuda:sm_90");

        for (BenchShape shape : ShapeLists.parse(List.of("all"))) {
            SelectionReport report = qlinear.explain(ScaledMmLayers.ptpc(shape.n(), shape.k()), h100, SelectionPolicy.defaults());

            List<CandidateVerdict> candidates = report.candidates();
            assertThat(candidates).as(shape.describe()).extracting(candidate -> candidate.kernel().id()).containsExactly("triton-fp8");
            assertThat(candidates.getFirst().isAccepted()).as(shape.describe() + ": " + candidates.getFirst().reasons()).isTrue();
        }
    }

    @Test
    void weightOnlyKernelsAreNoCandidatesForIt() throws IOException {
        installShippedPlugin("triton-fp8");
        installShippedPlugin("triton-w4a16");
        Qlinear qlinear = Qlinear.builder().pluginsFolder(plugins).classPathDiscovery(false).environment(Map.of()).build();

        SelectionReport report = qlinear.explain(ScaledMmLayers.ptpc(6144, 4096), Platform.parse("cuda:sm_90"), SelectionPolicy.defaults());

        assertThat(report.candidates()).extracting(candidate -> candidate.kernel().id()).containsExactly("triton-fp8");
    }

    /** A plugin as this reactor built it (cli/pom.xml names its jar, or classes folder, in {@code qlinear.test.plugin.<id>}). */
    private void installShippedPlugin(String id) throws IOException {
        String location = System.getProperty("qlinear.test.plugin." + id);
        if (location == null || location.isBlank() || location.startsWith("${")) {
            fail("system property qlinear.test.plugin." + id + " names no plugin jar (got " + location + "): run the tests through Maven, whose cli/pom.xml sets it");
        }
        Path source = Path.of(location);
        Path jar = plugins.resolve("qlinear-" + id + "-0.1.0.jar");
        if (!Files.isDirectory(source)) {
            Files.copy(source, jar);
            return;
        }
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar)); Stream<Path> files = Files.walk(source)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(source.relativize(file).toString().replace('\\', '/')));
                Files.copy(file, out);
                out.closeEntry();
            }
        }
    }
}
