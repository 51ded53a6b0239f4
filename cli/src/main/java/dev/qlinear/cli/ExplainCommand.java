package dev.qlinear.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.core.Qlinear;
import dev.qlinear.core.checkpoint.CheckpointConfigException;
import dev.qlinear.core.checkpoint.LayerNames;
import dev.qlinear.core.checkpoint.ModelReport;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.select.CandidateVerdict;
import dev.qlinear.core.select.LayerDescriptions;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.core.select.SelectionReport;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code qlinear explain}: which kernel would run a layer on a platform, and why each other candidate would not. */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Explains which kernel would run a layer (or every layer of a checkpoint) on a platform, and why each candidate was accepted or refused.",
                "Exits 0 when a kernel is selected (for every quantized layer), 1 when not (the report is still printed)."},
        footer = {"", "Examples:",
                "  qlinear explain --platform cuda:sm_80 --weight-type uint4b8 --act-type fp16 \\",
                "      --k 4096 --n 4096 --group-size 128",
                "  qlinear explain --model path/to/checkpoint --platform cuda:sm_90 --tp 2",
                "  qlinear explain --kind scaled-mm --platform cuda:sm_90 --k 4096 --n 14336 \\",
                "      --act-scales per-tensor --static-act-scales"})
final class ExplainCommand implements Callable<Integer> {

    /** How a tensor-parallel layer is split: column-parallel layers split N, row-parallel layers split K. */
    enum Parallel {
        COLUMN, ROW
    }

    private static final int WIDTH = 9;

    @ParentCommand
    private QlinearCli cli;

    @Spec
    private CommandSpec spec;

    @Option(names = "--platform", paramLabel = "SPEC", converter = Converters.Platforms.class,
            description = "Where the layer would run: cuda:sm_90, rocm:gfx942, cpu (default: the detected platform).")
    private Platform platform;

    @Option(names = "--model", paramLabel = "DIR",
            description = "A checkpoint directory (config.json + safetensors): explains every linear layer, reading headers only.")
    private Path model;

    @Option(names = "--kind", paramLabel = "KIND", converter = Converters.LayerKinds.class, defaultValue = "weight-only",
            description = "weight-only (W4A16, W8A16) or scaled-mm (FP8 W8A8) (default: ${DEFAULT-VALUE}).")
    private LayerKind kind;

    @Option(names = "--weight-type", paramLabel = "TYPE", converter = Converters.ScalarTypes.class,
            description = "Weight type: uint4b8, uint4, uint8b128, float8_e4m3fn ... (required for weight-only; scaled-mm default float8_e4m3fn).")
    private ScalarType weightType;

    @Option(names = "--act-type", paramLabel = "TYPE", converter = Converters.ScalarTypes.class,
            description = "Activation type: fp16, bf16 ... (required for weight-only; scaled-mm default float8_e4m3fn).")
    private ScalarType activationType;

    @Option(names = "--out-type", paramLabel = "TYPE", converter = Converters.ScalarTypes.class,
            description = "Output type (default: the activation type; for scaled-mm the input type).")
    private ScalarType outputType;

    // Checked in call(), not by picocli, so that an unknown option is reported before a missing one.
    @Option(names = "--k", paramLabel = "K", description = "Input features (the reduction dimension) of the full layer; required.")
    private Integer k;

    @Option(names = "--n", paramLabel = "N", description = "Output features of the full layer; required.")
    private Integer n;

    @Option(names = "--group-size", paramLabel = "G", defaultValue = "-1",
            description = "Weight-only: length along K of a group sharing one scale; -1 for channelwise (default: ${DEFAULT-VALUE}).")
    private int groupSize;

    @Option(names = "--zero-points", description = "Weight-only: explicit per-group zero points are stored.")
    private boolean zeroPoints;

    @Option(names = "--act-order", description = "Weight-only: GPTQ act-order (g_idx).")
    private boolean actOrder;

    @Option(names = "--tp", paramLabel = "RANKS", defaultValue = "1", description = "Tensor-parallel ranks the layer is split over (default: ${DEFAULT-VALUE}).")
    private int tensorParallel;

    @Option(names = "--parallel", paramLabel = "column|row", description = "With --tp: column splits N, row splits K (with --model: by layer name).")
    private Parallel parallel;

    @Option(names = "--weight-scales", paramLabel = "SHAPE", converter = Converters.GroupShapes.class, defaultValue = "per-channel",
            description = "Scaled-mm: per-channel, per-tensor or RxC blocks such as 128x128 (default: ${DEFAULT-VALUE}).")
    private GroupShape weightScales;

    @Option(names = "--act-scales", paramLabel = "SHAPE", converter = Converters.GroupShapes.class, defaultValue = "per-token",
            description = "Scaled-mm: per-token, per-tensor or 1xC groups such as 1x128 (default: ${DEFAULT-VALUE}).")
    private GroupShape activationScales;

    @Option(names = "--static-act-scales", description = "Scaled-mm: activation scales are loaded with the checkpoint (default: dynamic, computed per call).")
    private boolean staticActivationScales;

    @Option(names = "--input-type", paramLabel = "TYPE", converter = Converters.ScalarTypes.class, defaultValue = "bf16",
            description = "Scaled-mm: type of the activation before quantization (default: ${DEFAULT-VALUE}).")
    private ScalarType inputType;

    @Option(names = "--bias", description = "Scaled-mm: the layer adds a bias.")
    private boolean bias;

    @Option(names = "--disable", paramLabel = "ID[,ID...]", description = "Kernels never to select, on top of QLINEAR_DISABLED_KERNELS.")
    private List<String> disabledArguments = new ArrayList<>();

    @Option(names = "--prefer", paramLabel = "ID[,ID...]", description = "Kernels to try first, in order (replaces QLINEAR_PREFERRED_KERNELS).")
    private List<String> preferredArguments;

    @Option(names = "--force", paramLabel = "ID[,ID...]", description = "The only kernel considered for its layer kind (replaces QLINEAR_FORCED_KERNELS).")
    private List<String> forcedArguments;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = Converters.Formats.class,
            description = "text or json (default: ${DEFAULT-VALUE}).")
    private OutputFormat format;

    private static final List<String> WEIGHT_ONLY_OPTIONS = List.of("--group-size", "--zero-points", "--act-order");
    private static final List<String> SCALED_MM_OPTIONS = List.of("--weight-scales", "--act-scales", "--static-act-scales", "--input-type", "--bias");
    private static final List<String> LAYER_OPTIONS = List.of("--kind", "--weight-type", "--act-type", "--out-type", "--k", "--n", "--group-size", "--zero-points",
            "--act-order", "--parallel", "--weight-scales", "--act-scales", "--static-act-scales", "--input-type", "--bias");

    @Override
    public Integer call() {
        if (model != null) {
            return explainModel();
        }
        LayerConfig config = layer();
        Qlinear qlinear = cli.qlinear();
        SelectionPolicy policy = policy(qlinear.policy());
        warnAboutUnknownKernels(qlinear, policy);
        Platform target = platform != null ? platform : qlinear.platform();
        SelectionReport report = qlinear.explain(config, target, policy);
        switch (format) {
            case TEXT -> printText(cli.out(), report);
            case JSON -> Json.print(cli.out(), toJson(report));
        }
        return report.selected().isPresent() ? QlinearCli.OK : QlinearCli.NEGATIVE;
    }

    private int explainModel() {
        List<String> misplaced = LAYER_OPTIONS.stream().filter(option -> spec.commandLine().getParseResult().hasMatchedOption(option)).toList();
        if (!misplaced.isEmpty()) {
            throw new UsageException(String.join(", ", misplaced) + (misplaced.size() == 1 ? " describes" : " describe")
                    + " a single layer; with --model the checkpoint describes its layers");
        }
        if (tensorParallel < 1) {
            throw new UsageException("--tp must be at least 1, got " + tensorParallel);
        }
        Qlinear qlinear = cli.qlinear();
        SelectionPolicy policy = policy(qlinear.policy());
        warnAboutUnknownKernels(qlinear, policy);
        Platform target = platform != null ? platform : qlinear.platform();
        ModelReport report;
        try {
            report = qlinear.explainModel(model, target, policy, tensorParallel);
        }
        catch (CheckpointConfigException e) {
            throw new UsageException("checkpoint " + model + ": " + e.getMessage(), e);
        }
        catch (IOException e) {
            throw new UsageException("cannot read checkpoint " + model + ": " + e.getMessage(), e);
        }
        switch (format) {
            case TEXT -> ModelReportText.print(cli.out(), report);
            case JSON -> Json.print(cli.out(), modelJson(report));
        }
        return report.allQuantizedLayersHaveAKernel() ? QlinearCli.OK : QlinearCli.NEGATIVE;
    }

    private static ObjectNode modelJson(ModelReport report) {
        ObjectNode root = Json.object();
        root.put("checkpoint", report.checkpoint().toString());
        root.put("method", report.method());
        root.put("platform", report.platform().spec());
        root.put("tensorParallel", report.tensorParallel());
        root.put("allQuantizedLayersHaveAKernel", report.allQuantizedLayersHaveAKernel());
        ArrayNode groups = root.putArray("groups");
        for (ModelReport.LayerGroup group : report.groups()) {
            ObjectNode node = groups.addObject();
            ArrayNode layers = node.putArray("layers");
            group.layers().forEach(layers::add);
            ArrayNode summary = node.putArray("summary");
            LayerNames.summarize(group.layers()).forEach(summary::add);
            node.put("format", group.format());
            node.put("parallelism", group.parallelism().name().toLowerCase(Locale.ROOT));
            node.put("layer", group.config().map(LayerDescriptions::describe).orElse(null));
            node.put("selected", group.selection().flatMap(SelectionReport::selectedKernelId).orElse(null));
            if (group.selection().isPresent()) {
                node.set("selection", toJson(group.selection().get()));
            }
            else {
                node.putNull("selection");
            }
            node.put("problem", group.problem().orElse(null));
        }
        return root;
    }

    private LayerConfig layer() {
        List<String> misplaced = (kind == LayerKind.WEIGHT_ONLY ? SCALED_MM_OPTIONS : WEIGHT_ONLY_OPTIONS).stream()
                .filter(option -> spec.commandLine().getParseResult().hasMatchedOption(option))
                .toList();
        if (!misplaced.isEmpty()) {
            throw new UsageException(String.join(", ", misplaced) + (misplaced.size() == 1 ? " does" : " do") + " not apply to "
                    + kindName(kind) + " layers (--kind " + kindName(kind) + ")");
        }
        List<String> missing = new ArrayList<>();
        if (k == null) {
            missing.add("--k");
        }
        if (n == null) {
            missing.add("--n");
        }
        if (!missing.isEmpty()) {
            throw new UsageException("missing " + String.join(" and ", missing) + ": the layer's shape is required");
        }
        try {
            LayerShape full = new LayerShape(k, n);
            LayerShape partition = partition(full);
            return switch (kind) {
                case WEIGHT_ONLY -> new WeightOnlyConfig(full, partition, required(weightType, "--weight-type"), required(activationType, "--act-type"),
                        groupSize, zeroPoints, actOrder, outputType != null ? outputType : activationType);
                case SCALED_MM -> new ScaledMmConfig(partition,
                        QuantKey.of(weightType != null ? weightType : ScalarType.FLOAT8_E4M3FN, weightScales, true),
                        QuantKey.of(activationType != null ? activationType : ScalarType.FLOAT8_E4M3FN, activationScales, staticActivationScales),
                        inputType, outputType != null ? outputType : inputType, bias);
            };
        }
        catch (IllegalArgumentException e) {
            throw new UsageException("invalid layer: " + e.getMessage(), e);
        }
    }

    private ScalarType required(ScalarType type, String option) {
        if (type == null) {
            throw new UsageException(option + " is required for weight-only layers");
        }
        return type;
    }

    /** The shape this rank sees: column-parallel splits N, row-parallel splits K. */
    private LayerShape partition(LayerShape full) {
        if (tensorParallel < 1) {
            throw new UsageException("--tp must be at least 1, got " + tensorParallel);
        }
        if (tensorParallel == 1) {
            return full;
        }
        if (parallel == null) {
            throw new UsageException("--tp " + tensorParallel + " needs --parallel column (splits N) or row (splits K)");
        }
        int split = parallel == Parallel.COLUMN ? full.n() : full.k();
        String dimension = parallel == Parallel.COLUMN ? "N" : "K";
        if (split % tensorParallel != 0) {
            throw new UsageException("--tp " + tensorParallel + " does not divide " + dimension + "=" + split + " of a "
                    + parallel.name().toLowerCase(Locale.ROOT) + "-parallel layer");
        }
        return parallel == Parallel.COLUMN ? new LayerShape(full.k(), full.n() / tensorParallel) : new LayerShape(full.k() / tensorParallel, full.n());
    }

    private SelectionPolicy policy(SelectionPolicy base) {
        try {
            SelectionPolicy policy = base;
            List<String> disabled = ids(disabledArguments);
            if (!disabled.isEmpty()) {
                policy = policy.disable(disabled, "--disable");
            }
            if (preferredArguments != null) {
                policy = policy.prefer(ids(preferredArguments));
            }
            if (forcedArguments != null) {
                policy = policy.force(Set.copyOf(ids(forcedArguments)));
            }
            return policy;
        }
        catch (IllegalArgumentException e) {
            throw new UsageException("invalid kernel policy: " + e.getMessage(), e);
        }
    }

    private static List<String> ids(List<String> arguments) {
        return arguments.stream().flatMap(argument -> SelectionPolicy.ids(argument).stream()).distinct().toList();
    }

    /** The selector logs these too, but the CLI keeps the log quiet, so a typo in an id must still be visible. */
    private void warnAboutUnknownKernels(Qlinear qlinear, SelectionPolicy policy) {
        qlinear.uninstalledPolicyIds(policy)
                .forEach(id -> cli.err().println("qlinear: warning: the kernel policy names '" + id + "', which is not installed"));
        cli.err().flush();
    }

    private static String kindName(LayerKind kind) {
        return kind == LayerKind.WEIGHT_ONLY ? "weight-only" : "scaled-mm";
    }

    private static void printText(PrintWriter out, SelectionReport report) {
        Text.field(out, "", WIDTH, "layer", LayerDescriptions.describe(report.config()));
        Text.field(out, "", WIDTH, "platform", report.platform() + (report.platform().isDetected() ? ", detected" : ""));
        if (!report.policy().equals(SelectionPolicy.defaults())) {
            Text.field(out, "", WIDTH, "policy", describe(report.policy()));
        }
        Text.field(out, "", WIDTH, "selected", report.selectedKernelId().orElse("none"));
        out.println();
        printCandidates(out, "", report);
    }

    /** The candidates of a report, their verdicts and reasons, then any warning or failure; each line indented. */
    static void printCandidates(PrintWriter out, String indent, SelectionReport report) {
        if (report.candidates().isEmpty()) {
            out.println(indent + "candidates: none");
        }
        else {
            out.println(indent + "candidates, in the order considered:");
            int idWidth = report.candidates().stream().mapToInt(candidate -> candidate.kernelId().length()).max().orElse(0);
            int pluginWidth = report.candidates().stream().mapToInt(candidate -> plugin(candidate.kernel()).length()).max().orElse(0);
            for (CandidateVerdict candidate : report.candidates()) {
                String priority = candidate.priority().isPresent() ? "priority " + candidate.priority().getAsInt() : "not declared";
                out.println(indent + String.format(Locale.ROOT, "  %-" + idWidth + "s  %-" + pluginWidth + "s  %-12s  %s",
                        candidate.kernelId(), plugin(candidate.kernel()), priority, candidate.status().name()));
                candidate.reasons().forEach(reason -> out.println(indent + "      - " + reason.message()));
            }
        }
        report.performanceWarning().ifPresent(warning -> {
            out.println();
            out.println(indent + "warning: " + warning);
        });
        report.failure().ifPresent(failure -> {
            out.println();
            out.println(indent + "failure: " + failure.replace("\n", "\n" + indent));
        });
    }

    private static String plugin(RegisteredKernel kernel) {
        return "plugin " + kernel.pluginId() + " " + kernel.pluginVersion();
    }

    private static String describe(SelectionPolicy policy) {
        List<String> parts = new ArrayList<>();
        if (!policy.disabled().isEmpty()) {
            parts.add("disabled " + String.join(", ", policy.disabled().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(entry -> entry.getKey() + " (by " + entry.getValue() + ")").toList()));
        }
        if (!policy.preferred().isEmpty()) {
            parts.add("preferred " + String.join(", ", policy.preferred()));
        }
        if (!policy.forced().isEmpty()) {
            parts.add("forced " + String.join(", ", policy.forced().stream().sorted().toList()));
        }
        return String.join("; ", parts);
    }

    private static ObjectNode toJson(SelectionReport report) {
        ObjectNode root = Json.object();
        root.put("layer", LayerDescriptions.describe(report.config()));
        root.put("platform", report.platform().spec());
        root.put("selected", report.selectedKernelId().orElse(null));
        ArrayNode candidates = root.putArray("candidates");
        for (CandidateVerdict candidate : report.candidates()) {
            ObjectNode node = candidates.addObject();
            node.put("kernel", candidate.kernelId());
            node.put("plugin", candidate.kernel().pluginId());
            node.put("pluginVersion", candidate.kernel().pluginVersion());
            if (candidate.priority().isPresent()) {
                node.put("priority", candidate.priority().getAsInt());
            }
            else {
                node.putNull("priority");
            }
            node.put("status", candidate.status().name().toLowerCase(Locale.ROOT));
            node.put("accepted", candidate.isAccepted());
            ArrayNode reasons = node.putArray("reasons");
            for (Reason reason : candidate.reasons()) {
                reasons.addObject()
                        .put("constraint", reason.constraint())
                        .put("expected", reason.expected())
                        .put("actual", reason.actual())
                        .put("message", reason.message());
            }
        }
        root.put("warning", report.performanceWarning().orElse(null));
        root.put("failure", report.failure().orElse(null));
        return root;
    }
}
