package dev.qlinear.aiterfp8;

import dev.qlinear.conformance.CaseKind;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.ConformanceLauncher;
import dev.qlinear.conformance.ConformanceReport;
import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.Outcome;
import dev.qlinear.conformance.ProgressListener;
import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared conformance suite over the packaged jar in a plugins folder, for {@code rocm:gfx942}, with the fixture
 * installation: every layout case (e4m3fn and e4m3fnuz weights and activations, shuffled and, for e4m3fn, converted to
 * e4m3fnuz) equals core's reference bit for bit, every must-reject case is refused, and without an MI300 here every
 * computed case cannot run, saying it needs one.
 */
final class ITAiterFp8Conformance {

    @Test
    void layoutsAndRefusalsPassAndComputedCasesNeedAnMi300(@TempDir Path plugins) throws IOException {
        Files.copy(ITAiterFp8Jar.packagedJar(), plugins.resolve("qlinear-aiter-fp8-0.1.0.jar"));
        Platform platform = Platform.parse("rocm:gfx942");
        ConformanceSettings settings = ConformanceSettings.defaults().withPluginsFolder(plugins).withPluginId("aiter-fp8").withPlatform(platform);

        ConformanceReport report = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);

        assertThat(report.errors()).isEmpty();
        List<CaseResult> cases = report.casesOf("aiter-fp8");
        assertThat(cases).filteredOn(result -> result.kind() == CaseKind.MUST_REJECT).hasSizeGreaterThanOrEqualTo(10)
                .allSatisfy(result -> assertThat(result.outcome()).as(result.caseId() + ": " + result.message()).isEqualTo(Outcome.PASS));
        // two shapes of each of the four weight x activation types
        assertThat(cases).filteredOn(result -> result.kind() == CaseKind.LAYOUT).hasSize(8)
                .allSatisfy(result -> assertThat(result.outcome()).as(result.caseId() + ": " + result.message()).isEqualTo(Outcome.PASS));
        List<CaseResult> computed = cases.stream().filter(result -> result.kind() == CaseKind.COMPUTE).toList();
        assertThat(computed).isNotEmpty().allSatisfy(result -> {
            assertThat(result.outcome()).as(result.caseId()).isEqualTo(Outcome.CANNOT_RUN_HERE);
            assertThat(result.message()).startsWith("needs ROCm gfx942 (rocm:gfx942), which this machine lacks").contains("aiter shim: needs");
        });
        assertThat(report.failures()).isEmpty();
        assertThat(report.executed()).isPositive();
    }
}
