package dev.qlinear.conformance.report;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.ConformanceReport;
import dev.qlinear.conformance.KernelSummary;
import dev.qlinear.conformance.Outcome;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The run as one JSON document: the run's settings, per-kernel plans and counts, every case, and errors. */
public final class JsonReport {

    private JsonReport() {
    }

    public static ObjectNode toJson(ConformanceReport report) {
        ObjectNode root = ResultCodec.MAPPER.createObjectNode();
        root.put("passed", report.passed());
        root.put("executed", report.executed());
        root.put("millis", report.millis());
        report.run().ifPresentOrElse(run -> root.set("run", ResultCodec.toJson(run)), () -> root.putNull("run"));
        ArrayNode kernels = root.putArray("kernels");
        Map<String, Map<Outcome, Integer>> counts = report.countsByKernel();
        for (KernelSummary kernel : report.kernels()) {
            ObjectNode node = ResultCodec.toJson(kernel);
            ObjectNode outcomes = node.putObject("counts");
            for (Outcome outcome : Outcome.values()) {
                outcomes.put(ResultCodec.lower(outcome), counts.getOrDefault(kernel.kernelId(), Map.of()).getOrDefault(outcome, 0));
            }
            kernels.add(node);
        }
        ArrayNode cases = root.putArray("cases");
        for (CaseResult result : report.cases()) {
            cases.add(ResultCodec.toJson(result));
        }
        ArrayNode errors = root.putArray("errors");
        report.errors().forEach(errors::add);
        return root;
    }

    public static Path write(ConformanceReport report, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, ResultCodec.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(report)) + "\n",
                StandardCharsets.UTF_8);
        return file;
    }
}
