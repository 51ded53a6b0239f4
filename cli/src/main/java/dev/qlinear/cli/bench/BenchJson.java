package dev.qlinear.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.type.ScalarType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * {@code bench.json}: the report with every measured value and, for readers that do not recompute, each row's derived
 * figures (TFLOP/s, GB/s, % of copy bandwidth, speed-up over cuBLAS fp16 and over {@code torch._scaled_mm}). Reading
 * takes the measured values only. Fields added since the first version ({@code kind} of rows and settings,
 * {@code speedupVsTorchFp8}, {@code scaledMmLayer}) are optional on reading, with what reports before them meant.
 */
public final class BenchJson {

    /** The schema name and version every report carries. */
    public static final String SCHEMA = "qlinear-bench/1";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchJson() {
    }

    public static void write(BenchReport report, Path file) throws IOException {
        Files.writeString(file, MAPPER.writeValueAsString(toJson(report)) + System.lineSeparator());
    }

    /**
     * @throws IOException when the file cannot be read or is not JSON
     * @throws IllegalArgumentException naming the field when the document is not a bench report
     */
    public static BenchReport read(Path file) throws IOException {
        return fromJson(MAPPER.readTree(file.toFile()));
    }

    static ObjectNode toJson(BenchReport report) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("schema", SCHEMA);
        root.set("header", header(report.header()));
        ObjectNode copy = root.putObject("copy");
        copy.put("bytes", report.copy().bytes());
        timing(copy, report.copy().timing());
        copy.put("gbPerSecond", report.copy().gigabytesPerSecond());
        ArrayNode rows = root.putArray("rows");
        for (Measurement row : report.rows()) {
            ObjectNode node = rows.addObject();
            node.put("source", row.source().key());
            node.put("name", row.name());
            node.put("n", row.n());
            node.put("k", row.k());
            node.put("m", row.m());
            if (row.group().isPresent()) {
                node.put("group", row.group().getAsInt());
            }
            else {
                node.putNull("group");
            }
            timing(node, row.timing());
            node.put("bytes", row.bytes());
            node.put("tflops", row.tflops());
            node.put("gbPerSecond", row.gigabytesPerSecond());
            node.put("percentOfCopy", report.percentOfCopy(row));
            OptionalDouble speedup = report.speedupVsCublas(row);
            if (speedup.isPresent()) {
                node.put("speedupVsCublas", speedup.getAsDouble());
            }
            else {
                node.putNull("speedupVsCublas");
            }
            node.put("kind", row.kind().key());
            OptionalDouble torchFp8 = report.speedupVsTorchFp8(row);
            if (torchFp8.isPresent()) {
                node.put("speedupVsTorchFp8", torchFp8.getAsDouble());
            }
            else {
                node.putNull("speedupVsTorchFp8");
            }
        }
        ArrayNode refusals = root.putArray("refusals");
        for (Refusal refusal : report.refusals()) {
            refusals.addObject().put("kernel", refusal.kernel()).put("n", refusal.layer().n()).put("k", refusal.layer().k()).put("reason", refusal.reason());
        }
        ArrayNode overheads = root.putArray("launchOverheads");
        for (LaunchOverhead overhead : report.overheads()) {
            ObjectNode node = overheads.addObject();
            node.put("kernel", overhead.kernel());
            node.put("n", overhead.layer().n());
            node.put("k", overhead.layer().k());
            node.put("hostCalls", overhead.hostCalls());
            node.put("hostMicrosPerCall", overhead.hostMicrosPerCall());
            node.put("launchesPerApply", overhead.launchesPerApply());
            if (overhead.bareLaunchMicros().isPresent()) {
                node.put("bareLaunchMicros", overhead.bareLaunchMicros().getAsDouble());
                node.put("javaMicrosPerCall", overhead.javaMicrosPerCall());
            }
            node.put("directMicrosPerApply", overhead.directMicrosPerApply());
            if (overhead.graphMicrosPerApply().isPresent()) {
                node.put("graphMicrosPerApply", overhead.graphMicrosPerApply().getAsDouble());
            }
            else {
                node.putNull("graphMicrosPerApply");
            }
            node.put("graphProblem", overhead.graphProblem().orElse(null));
        }
        ArrayNode notes = root.putArray("notes");
        report.notes().forEach(notes::add);
        return root;
    }

    private static ObjectNode header(BenchHeader header) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("date", header.date().toString());
        ObjectNode device = node.putObject("device");
        device.put("name", header.device().name());
        device.put("architecture", header.device().architecture());
        device.put("multiprocessors", header.device().multiprocessors());
        device.put("memoryBytes", header.device().memoryBytes());
        device.put("l2Bytes", header.device().l2Bytes());
        device.put("driver", header.device().driver());
        node.put("jdk", header.jdk());
        node.put("qlinear", header.qlinearVersion());
        BenchSettings settings = header.settings();
        ObjectNode settingsNode = node.putObject("settings");
        ArrayNode shapes = settingsNode.putArray("shapes");
        for (BenchShape shape : settings.shapes()) {
            shapes.addObject().put("n", shape.n()).put("k", shape.k()).put("name", shape.name().orElse(null));
        }
        ArrayNode ms = settingsNode.putArray("m");
        settings.ms().forEach(ms::add);
        settingsNode.put("groupSize", settings.groupSize());
        settingsNode.put("weightType", settings.weightType().name());
        settingsNode.put("activationType", settings.activationType().name());
        settingsNode.put("runs", settings.runs());
        settingsNode.put("callsPerSample", settings.callsPerSample());
        settingsNode.put("warmupCalls", settings.warmupCalls());
        settingsNode.put("rotateBytes", settings.rotateBytes());
        settingsNode.put("budgetMillis", settings.budgetMillis());
        settingsNode.put("kind", settings.kinds().key());
        if (settings.kinds().includes(LayerKind.SCALED_MM)) {
            settingsNode.put("scaledMmLayer", ScaledMmLayers.DESCRIPTION);
        }
        return node;
    }

    private static void timing(ObjectNode node, Timing timing) {
        node.put("medianMicros", timing.medianMicros());
        node.put("p10Micros", timing.p10Micros());
        node.put("p90Micros", timing.p90Micros());
        node.put("samples", timing.samples());
        node.put("callsPerSample", timing.callsPerSample());
    }

    static BenchReport fromJson(JsonNode root) {
        Fields document = new Fields(root, "bench report");
        String schema = document.text("schema");
        if (!SCHEMA.equals(schema)) {
            throw new IllegalArgumentException("bench report: schema is '" + schema + "', expected '" + SCHEMA + "'");
        }
        BenchHeader header = readHeader(document.object("header"));
        Fields copyNode = document.object("copy");
        CopyBandwidth copy = new CopyBandwidth(copyNode.integer64("bytes"), readTiming(copyNode));
        List<Measurement> rows = new ArrayList<>();
        for (Fields row : document.array("rows")) {
            rows.add(readRow(row));
        }
        List<Refusal> refusals = new ArrayList<>();
        for (Fields refusal : document.array("refusals")) {
            refusals.add(new Refusal(refusal.text("kernel"), new LayerKey(refusal.integer("n"), refusal.integer("k")), refusal.text("reason")));
        }
        List<LaunchOverhead> overheads = new ArrayList<>();
        for (Fields overhead : document.array("launchOverheads")) {
            overheads.add(new LaunchOverhead(overhead.text("kernel"), new LayerKey(overhead.integer("n"), overhead.integer("k")), overhead.integer("hostCalls"),
                    overhead.number("hostMicrosPerCall"), overhead.optionalNumber("launchesPerApply").orElse(1.0), overhead.optionalNumber("bareLaunchMicros"),
                    overhead.number("directMicrosPerApply"),
                    overhead.optionalNumber("graphMicrosPerApply"),
                    overhead.optionalText("graphProblem")));
        }
        List<String> notes = new ArrayList<>();
        for (JsonNode note : document.rawArray("notes")) {
            notes.add(note.asText());
        }
        return new BenchReport(header, copy, rows, refusals, overheads, notes);
    }

    /** A row of a bench report; one without a kind is of its source's default kind (weight-only for kernels). */
    static Measurement readRow(Fields row) {
        String key = row.text("source");
        Source source = Source.byKey(key).orElseThrow(() -> new IllegalArgumentException(row.where() + ": unknown source '" + key + "'"));
        OptionalInt group = row.optionalInteger("group");
        RowKind kind = row.optionalText("kind")
                .map(text -> RowKind.byKey(text).orElseThrow(() -> new IllegalArgumentException(row.where() + ".kind is '" + text + "', expected "
                        + String.join(", ", Arrays.stream(RowKind.values()).map(RowKind::key).toList()))))
                .orElse(RowKind.defaultFor(source));
        String name = row.text("name");
        int n = row.integer("n");
        int k = row.integer("k");
        int m = row.integer("m");
        Timing timing = readTiming(row);
        long bytes = row.integer64("bytes");
        try {
            return new Measurement(source, name, n, k, m, group, timing, bytes, kind);
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(row.where() + ": " + e.getMessage(), e);
        }
    }

    static Timing readTiming(Fields node) {
        double median = node.number("medianMicros");
        double p10 = node.number("p10Micros");
        double p90 = node.number("p90Micros");
        int samples = node.integer("samples");
        int calls = node.integer("callsPerSample");
        try {
            return new Timing(median, p10, p90, samples, calls);
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(node.where() + ": " + e.getMessage(), e);
        }
    }

    private static BenchHeader readHeader(Fields header) {
        Instant date;
        try {
            date = Instant.parse(header.text("date"));
        }
        catch (DateTimeParseException e) {
            throw new IllegalArgumentException(header.where() + ".date is not an ISO-8601 instant: " + header.text("date"), e);
        }
        Fields device = header.object("device");
        DeviceSummary summary = new DeviceSummary(device.text("name"), device.text("architecture"), device.integer("multiprocessors"),
                device.integer64("memoryBytes"), device.integer64("l2Bytes"), device.text("driver"));
        Fields settings = header.object("settings");
        List<BenchShape> shapes = new ArrayList<>();
        for (Fields shape : settings.array("shapes")) {
            shapes.add(new BenchShape(new LayerKey(shape.integer("n"), shape.integer("k")), shape.optionalText("name")));
        }
        List<Integer> ms = new ArrayList<>();
        for (JsonNode m : settings.rawArray("m")) {
            ms.add(m.asInt());
        }
        BenchSettings benchSettings = new BenchSettings(shapes, ms, settings.integer("groupSize"), ScalarType.parse(settings.text("weightType")),
                ScalarType.parse(settings.text("activationType")), settings.integer("runs"), settings.integer("callsPerSample"), settings.integer("warmupCalls"),
                settings.integer64("rotateBytes"), settings.number("budgetMillis"), readKinds(settings));
        return new BenchHeader(date, summary, header.text("jdk"), header.text("qlinear"), benchSettings);
    }

    /** What {@code --kind} asked for; weight-only in reports from before it. */
    private static KindSelection readKinds(Fields settings) {
        return settings.optionalText("kind")
                .map(text -> KindSelection.byKey(text).orElseThrow(() -> new IllegalArgumentException(settings.where() + ".kind is '" + text + "', expected "
                        + KindSelection.keys())))
                .orElse(KindSelection.WEIGHT_ONLY);
    }

    /** Typed access to an object's fields, with errors that name the path of the missing or mistyped one. */
    record Fields(JsonNode node, String where) {

        Fields {
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(where + " must be a JSON object");
            }
        }

        String text(String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.isTextual()) {
                throw new IllegalArgumentException(where + "." + field + " must be a string");
            }
            return value.asText();
        }

        Optional<String> optionalText(String field) {
            JsonNode value = node.get(field);
            return value == null || value.isNull() ? Optional.empty() : Optional.of(text(field));
        }

        double number(String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.isNumber()) {
                throw new IllegalArgumentException(where + "." + field + " must be a number");
            }
            return value.asDouble();
        }

        OptionalDouble optionalNumber(String field) {
            JsonNode value = node.get(field);
            return value == null || value.isNull() ? OptionalDouble.empty() : OptionalDouble.of(number(field));
        }

        int integer(String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
                throw new IllegalArgumentException(where + "." + field + " must be an integer");
            }
            return value.asInt();
        }

        OptionalInt optionalInteger(String field) {
            JsonNode value = node.get(field);
            return value == null || value.isNull() ? OptionalInt.empty() : OptionalInt.of(integer(field));
        }

        long integer64(String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.isIntegralNumber() || !value.canConvertToLong()) {
                throw new IllegalArgumentException(where + "." + field + " must be an integer");
            }
            return value.asLong();
        }

        Fields object(String field) {
            return new Fields(node.get(field), where + "." + field);
        }

        List<JsonNode> rawArray(String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.isArray()) {
                throw new IllegalArgumentException(where + "." + field + " must be an array");
            }
            List<JsonNode> items = new ArrayList<>();
            value.forEach(items::add);
            return items;
        }

        List<Fields> array(String field) {
            List<JsonNode> items = rawArray(field);
            List<Fields> fields = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                fields.add(new Fields(items.get(i), where + "." + field + "[" + i + "]"));
            }
            return fields;
        }
    }
}
