package dev.qlinear.conformance;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The reproduction line of a failure reruns that case alone, with the same data and the same result. */
final class TestReproduction {

    @Test
    void aFailingCaseRerunsAloneWithTheSameData() {
        ConformanceSettings settings = ConformanceSettings.defaults().withMaxCases(0).withPluginsFolder(TestPlugins.folderWith("bug-bias-ignored"));
        ConformanceReport first = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);
        CaseResult failure = first.failures().getFirst();

        ConformanceReport again = ConformanceLauncher.run(ConformanceSettings.defaults().withPluginsFolder(settings.pluginsFolder().orElseThrow())
                .withSeed(settings.seed()).withCase(failure.qualifiedId()), Optional.empty(), ProgressListener.NONE);

        assertThat(again.cases()).filteredOn(result -> result.kind() == CaseKind.COMPUTE).singleElement().satisfies(rerun -> {
            assertThat(rerun.caseId()).isEqualTo(failure.caseId());
            assertThat(rerun.outcome()).isEqualTo(Outcome.FAIL);
            assertThat(rerun.message()).isEqualTo(failure.message());
            assertThat(rerun.error()).isEqualTo(failure.error());
        });
        assertThat(again.kernels()).singleElement().satisfies(kernel -> assertThat(kernel.plan()).contains("chosen by the case filter"));
    }

    @Test
    void theSameSeedPlansTheSameCasesAndAnotherSeedOthers() {
        ConformanceSettings settings = ConformanceSettings.defaults().withMaxMacs(1 << 16).withPluginsFolder(TestPlugins.folderWith(TestPlugins.SCALAR_FP8));

        ConformanceReport one = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);
        ConformanceReport same = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);
        ConformanceReport other = ConformanceLauncher.run(settings.withSeed(settings.seed() + 1), Optional.empty(), ProgressListener.NONE);

        assertThat(same.cases()).extracting(CaseResult::caseId).isEqualTo(one.cases().stream().map(CaseResult::caseId).toList());
        assertThat(same.cases()).extracting(CaseResult::error).isEqualTo(one.cases().stream().map(CaseResult::error).toList());
        assertThat(other.cases()).extracting(CaseResult::caseId).isNotEqualTo(one.cases().stream().map(CaseResult::caseId).toList());
    }
}
