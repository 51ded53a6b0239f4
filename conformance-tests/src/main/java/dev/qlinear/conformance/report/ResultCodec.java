package dev.qlinear.conformance.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.conformance.CaseKind;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.Check;
import dev.qlinear.conformance.CheckResult;
import dev.qlinear.conformance.CheckStatus;
import dev.qlinear.conformance.ErrorSummary;
import dev.qlinear.conformance.KernelSummary;
import dev.qlinear.conformance.Outcome;
import dev.qlinear.conformance.RunInfo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * JSON for results, kernel plans and run headers: what the suite publishes as JUnit report entries (one line
 * each) and what the JSON report holds.
 */
public final class ResultCodec {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private ResultCodec() {
    }

    public static ObjectNode toJson(CaseResult result) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("kernel", result.kernelId());
        node.put("plugin", result.pluginId());
        node.put("case", result.caseId());
        node.put("kind", lower(result.kind()));
        node.put("row", result.row());
        node.put("column", result.column());
        node.put("description", result.description());
        node.put("outcome", lower(result.outcome()));
        node.put("message", result.message());
        ArrayNode checks = node.putArray("checks");
        for (CheckResult check : result.checks()) {
            checks.addObject().put("check", lower(check.check())).put("status", lower(check.status())).put("message", check.message());
        }
        result.error().ifPresent(error -> {
            ObjectNode summary = node.putObject("error");
            number(summary, "maxAbsError", error.maxAbsError());
            summary.put("maxAbsRow", error.maxAbsRow());
            summary.put("maxAbsColumn", error.maxAbsColumn());
            number(summary, "maxRelError", error.maxRelError());
            number(summary, "meanRelError", error.meanRelError());
            summary.put("badElements", error.badElements());
            summary.put("elements", error.elements());
        });
        node.put("reproduction", result.reproduction());
        node.put("millis", result.millis());
        return node;
    }

    public static CaseResult caseResult(JsonNode node) {
        List<CheckResult> checks = new ArrayList<>();
        for (JsonNode check : node.path("checks")) {
            checks.add(new CheckResult(upper(Check.class, check.path("check").asText()), upper(CheckStatus.class, check.path("status").asText()),
                    check.path("message").asText()));
        }
        Optional<ErrorSummary> error = Optional.empty();
        JsonNode summary = node.path("error");
        if (summary.isObject()) {
            error = Optional.of(new ErrorSummary(number(summary, "maxAbsError"), summary.path("maxAbsRow").asInt(), summary.path("maxAbsColumn").asInt(),
                    number(summary, "maxRelError"), number(summary, "meanRelError"), summary.path("badElements").asLong(), summary.path("elements").asLong()));
        }
        return new CaseResult(node.path("kernel").asText(), node.path("plugin").asText(), node.path("case").asText(), upper(CaseKind.class, node.path("kind").asText()),
                node.path("row").asText(), node.path("column").asText(), node.path("description").asText(), upper(Outcome.class, node.path("outcome").asText()),
                checks, node.path("message").asText(), error, node.path("reproduction").asText(), node.path("millis").asLong());
    }

    public static ObjectNode toJson(KernelSummary kernel) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("kernel", kernel.kernelId());
        node.put("plugin", kernel.pluginId());
        node.put("pluginVersion", kernel.pluginVersion());
        node.put("layerKind", kernel.layerKind());
        node.put("tolerance", kernel.tolerance());
        node.put("plan", kernel.plan());
        node.put("plannedCases", kernel.plannedCases());
        node.put("droppedBySizeCap", kernel.droppedBySizeCap());
        kernel.cannotRunHere().ifPresentOrElse(reason -> node.put("cannotRunHere", reason), () -> node.putNull("cannotRunHere"));
        return node;
    }

    public static KernelSummary kernelSummary(JsonNode node) {
        JsonNode reason = node.path("cannotRunHere");
        return new KernelSummary(node.path("kernel").asText(), node.path("plugin").asText(), node.path("pluginVersion").asText(), node.path("layerKind").asText(),
                node.path("tolerance").asText(), node.path("plan").asText(), node.path("plannedCases").asInt(), node.path("droppedBySizeCap").asLong(),
                reason.isTextual() ? Optional.of(reason.asText()) : Optional.empty());
    }

    public static ObjectNode toJson(RunInfo run) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("platform", run.platform());
        node.put("host", run.host());
        node.put("seed", run.seed());
        node.put("maxMacs", run.maxMacs());
        node.put("maxCases", run.maxCases());
        node.put("plannedCases", run.plannedCases());
        return node;
    }

    public static RunInfo runInfo(JsonNode node) {
        return new RunInfo(node.path("platform").asText(), node.path("host").asText(), node.path("seed").asLong(), node.path("maxMacs").asLong(),
                node.path("maxCases").asInt(), node.path("plannedCases").asInt());
    }

    /** One line of JSON. */
    public static String line(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        }
        catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a conformance report entry: " + e.getOriginalMessage(), e);
        }
    }

    static String lower(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }

    private static <E extends Enum<E>> E upper(Class<E> type, String text) {
        return Enum.valueOf(type, text.toUpperCase(Locale.ROOT));
    }

    /** Non-finite numbers as strings, which JSON has no literal for. */
    private static void number(ObjectNode node, String field, double value) {
        if (Double.isFinite(value)) {
            node.put(field, value);
        }
        else {
            node.put(field, String.valueOf(value));
        }
    }

    private static double number(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() ? Double.parseDouble(value.asText()) : value.asDouble();
    }
}
