package dev.qlinear.conformance;

import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** A run that computes no case fails, whatever the reason, and says why. */
final class TestRunsWithoutCases {

    @Test
    void aRunOverAnEmptyPluginsFolderFails() {
        ConformanceReport report = ConformanceLauncher.run(ConformanceSettings.defaults().withPluginsFolder(TestPlugins.folderWith()), Optional.empty(),
                ProgressListener.NONE);

        assertThat(report.passed()).isFalse();
        assertThat(report.executed()).isZero();
        assertThat(report.failures()).singleElement().satisfies(run -> {
            assertThat(run.kind()).isEqualTo(CaseKind.RUN);
            assertThat(run.failed(Check.RUN_EXECUTED_CASES)).isTrue();
            assertThat(run.message()).contains("no case executed", "no kernels were found");
        });
    }

    @Test
    void aRunForAPlatformTheKernelCannotRunOnHereFailsWithEveryCaseCannotRunHere() {
        ConformanceSettings settings = ConformanceSettings.defaults().withMaxCases(0).withPlatform(Platform.parse("cuda:sm_90"))
                .withPluginsFolder(TestPlugins.folderWith(TestPlugins.SCALAR_W4A16));

        ConformanceReport report = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);

        assertThat(report.passed()).isFalse();
        assertThat(report.executed()).isZero();
        assertThat(report.kernels()).singleElement().satisfies(kernel ->
                assertThat(kernel.cannotRunHere()).contains("kernel 'scalar-w4a16' declares cpu, not cuda:sm_90"));
        assertThat(report.casesOf("scalar-w4a16")).filteredOn(result -> result.kind() == CaseKind.COMPUTE).isNotEmpty()
                .allSatisfy(result -> {
                    assertThat(result.outcome()).isEqualTo(Outcome.CANNOT_RUN_HERE);
                    assertThat(result.message()).isEqualTo("kernel 'scalar-w4a16' declares cpu, not cuda:sm_90");
                });
        // the must-reject questions need no device, so they are still asked, on a platform the kernel declares
        assertThat(report.casesOf("scalar-w4a16")).filteredOn(result -> result.kind() == CaseKind.MUST_REJECT).isNotEmpty()
                .allMatch(result -> result.outcome() == Outcome.PASS);
        assertThat(report.failures()).singleElement().satisfies(run -> assertThat(run.message())
                .contains("no case executed", "scalar-w4a16 cannot run here: kernel 'scalar-w4a16' declares cpu, not cuda:sm_90",
                        "must-reject checks need no device"));
    }

    @Test
    void aMissingPluginFailsTheRunNamingWhatWasFound() {
        ConformanceSettings settings = ConformanceSettings.defaults().withPluginsFolder(TestPlugins.folderWith(TestPlugins.SCALAR_FP8)).withPluginId("nope");

        ConformanceReport report = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);

        assertThat(report.passed()).isFalse();
        assertThat(report.failures()).anySatisfy(result -> {
            assertThat(result.failed(Check.PLUGIN_LOADS)).isTrue();
            assertThat(result.message()).contains("no plugin 'nope'", "found: [scalar-fp8]");
        });
    }
}
