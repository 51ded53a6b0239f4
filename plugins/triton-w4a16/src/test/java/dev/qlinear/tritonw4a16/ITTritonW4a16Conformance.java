package dev.qlinear.tritonw4a16;

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
 * The shared conformance suite over the packaged jar in a plugins folder, for a CUDA platform
 * ({@code -Dqlinear.conformance.platform}, default {@code cuda:sm_90}). Layout and must-reject cases run anywhere and
 * must pass (layouts are prepared into host memory standing in for the GPU); computed cases run only where this
 * process has that GPU and must pass there, and report "cannot run here" elsewhere. No case may fail.
 */
final class ITTritonW4a16Conformance {

    @Test
    void layoutAndMustRejectCasesPassAndComputedCasesPassWhereTheGpuIs(@TempDir Path plugins) throws IOException {
        Files.copy(ITTritonW4a16Jar.packagedJar(), plugins.resolve("qlinear-triton-w4a16-0.1.0.jar"));
        Platform platform = Platform.parse(System.getProperty(ConformanceSettings.PLATFORM, "cuda:sm_90"));
        ConformanceSettings settings = ConformanceSettings.defaults().withPluginsFolder(plugins).withPluginId("triton-w4a16").withPlatform(platform);
        ConformanceReport report = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);

        assertThat(report.errors()).isEmpty();
        List<CaseResult> cases = report.casesOf("triton-w4a16");
        assertThat(cases).filteredOn(result -> result.kind() == CaseKind.MUST_REJECT).isNotEmpty()
                .allSatisfy(result -> assertThat(result.outcome()).as(result.caseId() + ": " + result.message()).isEqualTo(Outcome.PASS));
        List<CaseResult> layouts = cases.stream().filter(result -> result.kind() == CaseKind.LAYOUT).toList();
        List<CaseResult> computed = cases.stream().filter(result -> result.kind() == CaseKind.COMPUTE).toList();
        assertThat(computed).isNotEmpty();
        // every declared variant (uint4b8 and uint4 with zero points, fp16 and bf16, every group size) is packed as the reference packs it
        assertThat(layouts).hasSizeGreaterThan(10)
                .allSatisfy(result -> assertThat(result.outcome()).as(result.caseId() + ": " + result.message()).isEqualTo(Outcome.PASS));
        if (!report.run().orElseThrow().host().contains(platform.spec())) {
            assertThat(computed).allSatisfy(result -> {
                assertThat(result.outcome()).as(result.caseId()).isEqualTo(Outcome.CANNOT_RUN_HERE);
                assertThat(result.message()).contains(platform.spec());
            });
        }
        assertThat(report.failures()).as("failed cases on %s", platform.spec()).isEmpty();
        assertThat(report.executed()).isPositive();
    }
}
