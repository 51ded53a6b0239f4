package dev.qlinear.conformance;

import dev.qlinear.spi.config.WeightOnlyConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One conformance run over a plugins folder holding one jar per planted bug: each bug must fail the suite on the
 * cases that exercise it, and only those, with a message that points at it.
 */
final class TestPlantedBugs {

    private static final Pattern CASE = Pattern.compile("^m(\\d+)-k(\\d+)(?:of\\d+)?-n(\\d+)(?:of\\d+)?-(uint4b8|uint4)-g(ch|\\d+)-.*$");

    private static ConformanceReport report;

    @BeforeAll
    static void runTheSuiteOnEveryBug() {
        ConformanceSettings settings = ConformanceSettings.defaults().withPluginsFolder(TestPlugins.folderWith(
                "bug-transposed-unpack", "bug-zero-point", "bug-tile-edge-scale", "bug-bias-ignored", "bug-partial-tile", "bug-contiguous-only",
                "bug-batch-dependent", "bug-accepts-any-group", "bug-reject-throws", "bug-unknown-layout"))
                // the covering cases alone exercise every bug: every M with and without bias and stride, every shape and variant
                .withMaxCases(0);
        System.out.println("planted bugs: seed " + settings.seed());
        report = ConformanceLauncher.run(settings, Optional.empty(), ProgressListener.NONE);
    }

    @Test
    void theRunFailsAndEveryBugIsFound() {
        assertThat(report.errors()).isEmpty();
        assertThat(report.passed()).isFalse();
        assertThat(report.kernels()).extracting(KernelSummary::kernelId).containsExactlyInAnyOrder(
                "bug-transposed-unpack", "bug-zero-point", "bug-tile-edge-scale", "bug-bias-ignored", "bug-partial-tile", "bug-contiguous-only",
                "bug-batch-dependent", "bug-accepts-any-group", "bug-reject-throws", "bug-unknown-layout");
        for (KernelSummary kernel : report.kernels()) {
            assertThat(report.casesOf(kernel.kernelId())).as(kernel.kernelId()).anyMatch(result -> result.outcome() == Outcome.FAIL);
        }
    }

    @Test
    void aTransposedUnpackFailsThePreparedLayoutOnEveryCase() {
        List<CaseResult> computed = computed("bug-transposed-unpack");
        assertThat(computed).allSatisfy(result -> {
            assertThat(result.failed(Check.PREPARED_LAYOUT)).as(result.caseId()).isTrue();
            assertThat(message(result, Check.PREPARED_LAYOUT)).contains("prepared layout 'canonical' differs from the reference packer", "tensor 'codes'");
        });
    }

    @Test
    void aPreparedLayoutWithoutAReferencePackerFailsEveryCaseSayingSo() {
        assertThat(computed("bug-unknown-layout")).allSatisfy(result -> {
            assertThat(result.failedChecks()).extracting(CheckResult::check).containsExactly(Check.PREPARED_LAYOUT);
            assertThat(message(result, Check.PREPARED_LAYOUT)).startsWith("prepared layout 'scalar-private' has no reference packer in qlinear (known layouts: ")
                    .contains("canonical");
        });
    }

    @Test
    void aZeroPointOffByOneFailsExactlyTheCasesWithZeroPointsAndSaysSo() {
        assertFailsExactly("bug-zero-point", result -> result.caseId().contains("-zp"), Check.REFERENCE, "every zero point off by +1");
    }

    @Test
    void theScaleOfTheWrongGroupAtATileEdgeFailsGroupsSmallerThanTheTileAndIsTracedToTheirRows() {
        // with one group (channelwise, or a group as long as K) every tile start is in the row's own group
        assertFailsExactly("bug-tile-edge-scale", result -> groupSize(result) > 0 && k(result) / groupSize(result) > 1
                && (groupSize(result) < 64 || result.caseId().contains("-actorder")), Check.REFERENCE, "");
        assertThat(failures("bug-tile-edge-scale")).filteredOn(result -> !result.caseId().contains("-actorder"))
                .isNotEmpty()
                .allSatisfy(result -> assertThat(message(result, Check.REFERENCE)).contains("with only one block of K non-zero", "the output is wrong for group 1 (k [32, 64))",
                        "right for group 0 (k [0, 32))"));
    }

    @Test
    void anIgnoredBiasFailsExactlyTheCasesWithBiasAndSaysSo() {
        assertFailsExactly("bug-bias-ignored", result -> result.caseId().contains("-bias"), Check.REFERENCE, "the kernel does not add the bias");
    }

    @Test
    void aSkippedPartialTileLeavesTheLastColumnsUnwritten() {
        assertFailsExactly("bug-partial-tile", result -> n(result) % 64 != 0, Check.OUTPUT_WRITTEN, "were never written");
        assertThat(failures("bug-partial-tile")).allSatisfy(result -> {
            int n = n(result);
            String columns = n < 64 ? "unwritten columns all " + n : "unwritten columns [" + (n - n % 64) + ", " + n + ")";
            assertThat(message(result, Check.OUTPUT_WRITTEN)).contains(columns, "unwritten rows all " + m(result));
        });
    }

    @Test
    void aKernelThatIgnoresTheInputStrideFailsStridedBatchesAndIsToldSo() {
        assertFailsExactly("bug-contiguous-only", result -> result.caseId().endsWith("-strided") && m(result) > 1, Check.REFERENCE,
                "the kernel ignores the input's row stride");
    }

    @Test
    void resultsThatDependOnTheBatchSizeFailBatchInvariance() {
        assertFailsExactly("bug-batch-dependent", result -> m(result) > 16, Check.BATCH_INVARIANCE, "differs from the same row computed alone (M=1)");
        assertThat(failures("bug-batch-dependent")).allSatisfy(result -> assertThat(message(result, Check.REFERENCE))
                .contains("computed alone (M=1) matches the reference: the error appears only in a batch of M=" + m(result)));
    }

    @Test
    void aKernelThatAcceptsAnUndeclaredGroupSizeFailsItsMustRejectCase() {
        CaseResult reject = only("bug-accepts-any-group", "reject-group-16");
        assertThat(reject.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(reject.failedChecks()).extracting(CheckResult::check).containsExactly(Check.MUST_REJECT);
        assertThat(reject.message()).contains("canImplement accepted", "group 16", "group size 16 is not declared (declared: [-1, 32, 64, 128])");
        assertThat(computed("bug-accepts-any-group")).allMatch(result -> result.outcome() == Outcome.PASS);
        assertThat(failures("bug-accepts-any-group")).extracting(CaseResult::caseId).containsExactly("reject-group-16");
    }

    @Test
    void aKernelThatThrowsInsteadOfRefusingFailsItsMustRejectCase() {
        CaseResult reject = only("bug-reject-throws", "reject-activation-fp32");
        assertThat(reject.outcome()).isEqualTo(Outcome.FAIL);
        assertThat(reject.message()).contains("canImplement threw java.lang.IllegalStateException: no arithmetic for float32", "never throw");
        assertThat(failures("bug-reject-throws")).extracting(CaseResult::caseId).containsExactly("reject-activation-fp32");
    }

    @Test
    void everyFailureCarriesItsReproductionLine() {
        assertThat(report.failures()).allSatisfy(result -> assertThat(result.reproduction())
                .isEqualTo("-D" + ConformanceSettings.SEED + "=" + report.run().orElseThrow().seed() + " -D" + ConformanceSettings.CASE + "=" + result.qualifiedId()));
    }

    private static void assertFailsExactly(String kernel, Predicate<CaseResult> exercised, Check check, String text) {
        List<CaseResult> computed = computed(kernel);
        assertThat(computed).filteredOn(exercised).as(kernel + ": cases exercising the bug").isNotEmpty().allSatisfy(result -> {
            assertThat(result.outcome()).as(result.caseId()).isEqualTo(Outcome.FAIL);
            assertThat(result.failed(check)).as(result.caseId() + ": " + result.message()).isTrue();
            assertThat(message(result, check)).as(result.caseId()).contains(text);
        });
        assertThat(computed).filteredOn(exercised.negate()).as(kernel + ": cases not exercising the bug")
                .allSatisfy(result -> assertThat(result.outcome()).as(result.caseId() + ": " + result.message()).isEqualTo(Outcome.PASS));
    }

    private static List<CaseResult> computed(String kernel) {
        List<CaseResult> computed = report.casesOf(kernel).stream().filter(result -> result.kind() == CaseKind.COMPUTE).toList();
        assertThat(computed).as(kernel + " computed cases").isNotEmpty();
        return computed;
    }

    private static List<CaseResult> failures(String kernel) {
        return report.casesOf(kernel).stream().filter(result -> result.outcome() == Outcome.FAIL).toList();
    }

    private static CaseResult only(String kernel, String caseId) {
        return report.casesOf(kernel).stream().filter(result -> result.caseId().equals(caseId)).findFirst()
                .orElseThrow(() -> new AssertionError("no case " + caseId + " of " + kernel + " in " + report.casesOf(kernel).stream().map(CaseResult::caseId).toList()));
    }

    private static String message(CaseResult result, Check check) {
        return result.checks().stream().filter(found -> found.check() == check).map(CheckResult::message).findFirst().orElse("");
    }

    private static Matcher parse(CaseResult result) {
        Matcher matcher = CASE.matcher(result.caseId());
        assertThat(matcher.matches()).as("case id " + result.caseId()).isTrue();
        return matcher;
    }

    private static int m(CaseResult result) {
        return Integer.parseInt(parse(result).group(1));
    }

    private static int k(CaseResult result) {
        return Integer.parseInt(parse(result).group(2));
    }

    private static int n(CaseResult result) {
        return Integer.parseInt(parse(result).group(3));
    }

    private static int groupSize(CaseResult result) {
        String group = parse(result).group(5);
        return group.equals("ch") ? WeightOnlyConfig.CHANNELWISE : Integer.parseInt(group);
    }
}
