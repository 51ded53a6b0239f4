package dev.qlinear.conformance.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.ConformanceLauncher;
import dev.qlinear.conformance.ConformanceReport;
import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.Outcome;
import dev.qlinear.conformance.ProgressListener;
import dev.qlinear.core.testing.PluginJarBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The JSON, HTML and JUnit XML reports of a run with a correct and a broken kernel. */
final class TestReports {

    @TempDir
    static Path work;

    private static ConformanceReport report;
    private static Path reports;

    @BeforeAll
    static void run() {
        Path plugins = work.resolve("plugins");
        PluginJarBuilder.plugin("scalar-w4a16").buildInto(plugins, "scalar-w4a16-1.0.0.jar");
        PluginJarBuilder.plugin("bug-bias-ignored").buildInto(plugins, "bug-bias-ignored-1.0.0.jar");
        reports = work.resolve("reports");
        ConformanceSettings settings = ConformanceSettings.defaults().withPluginsFolder(plugins).withMaxCases(0).withMaxMacs(1 << 20);
        report = ConformanceLauncher.run(settings, Optional.of(reports), ProgressListener.NONE);
    }

    @Test
    void theJsonReportHoldsTheRunTheKernelsWithTheirCountsAndEveryCase() throws IOException {
        Path file = JsonReport.write(report, reports.resolve("conformance.json"));

        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertThat(json.get("passed").asBoolean()).isFalse();
        assertThat(json.get("run").get("maxMacs").asLong()).isEqualTo(1 << 20);
        assertThat(json.get("kernels")).hasSize(2);
        JsonNode broken = Stream.of(json.get("kernels").get(0), json.get("kernels").get(1)).filter(kernel -> kernel.get("kernel").asText().equals("bug-bias-ignored"))
                .findFirst().orElseThrow();
        assertThat(broken.get("counts").get("fail").asInt()).isEqualTo(report.failures().size());
        assertThat(broken.get("tolerance").asText()).isEqualTo("bit-exact");
        assertThat(json.get("cases")).hasSize(report.cases().size());
        CaseResult failure = report.failures().getFirst();
        assertThat(ResultCodec.caseResult(json.get("cases").get(report.cases().indexOf(failure)))).isEqualTo(failure);
    }

    @Test
    void theHtmlReportIsOneSelfContainedPageWithTheGridAndEveryFailure() throws IOException {
        String html = Files.readString(HtmlReport.write(report, reports.resolve("conformance.html")));

        assertThat(html).startsWith("<!DOCTYPE html>").contains("<style>", "<table class=\"grid\">", "class=\"mark pass\"", "class=\"mark fail\"",
                "class=\"mark not-declared\"", ">uint4b8 g128 fp16</th>", "Must reject");
        assertThat(html).doesNotContain("<script", "<link", "http://", "https://", "src=");
        for (CaseResult failure : report.failures()) {
            assertThat(html).contains(HtmlReport.escape(failure.qualifiedId()), "reproduce: <code>" + HtmlReport.escape(failure.reproduction()) + "</code>");
        }
        assertThat(report.failures()).isNotEmpty().allMatch(failure -> failure.outcome() == Outcome.FAIL && failure.error().isPresent());
    }

    @Test
    void theJunitXmlReportHasATestCasePerCase() throws IOException {
        List<Path> files;
        try (Stream<Path> listing = Files.list(reports)) {
            files = listing.filter(file -> file.getFileName().toString().startsWith("TEST-") && file.toString().endsWith(".xml")).toList();
        }
        assertThat(files).isNotEmpty();
        String xml = Files.readString(files.getFirst());
        assertThat(xml).contains("<testcase", "<failure", "<skipped", "the kernel does not add the bias");
    }
}
