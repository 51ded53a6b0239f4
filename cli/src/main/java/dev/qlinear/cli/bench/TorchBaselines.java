package dev.qlinear.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The baselines {@code bench/torch_baselines.py} measured with PyTorch on the same host: {@code torch.matmul} fp16 and
 * {@code torch._scaled_mm} with row-wise fp8 scales. Its schema is in {@code bench/README.md}.
 *
 * @param device the CUDA device torch ran on
 * @param torchVersion such as {@code 2.11.0+cu130}
 * @param date when it ran, as the script wrote it
 * @param rows one measurement per (baseline, layer, M), with the bytes its formula moves
 * @param skipped what the script could not measure, and why
 */
public record TorchBaselines(String device, String torchVersion, String date, List<Measurement> rows, List<String> skipped) {

    /** The schema name and version the script writes. */
    public static final String SCHEMA = "qlinear-torch-baselines/1";

    public TorchBaselines {
        requireNonNull(device, "device is null");
        requireNonNull(torchVersion, "torchVersion is null");
        requireNonNull(date, "date is null");
        rows = List.copyOf(requireNonNull(rows, "rows is null"));
        skipped = List.copyOf(requireNonNull(skipped, "skipped is null"));
    }

    /**
     * @throws IOException when the file cannot be read or is not JSON
     * @throws IllegalArgumentException naming the field when the document does not follow the schema
     */
    public static TorchBaselines read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        BenchJson.Fields document = new BenchJson.Fields(root, "torch baselines " + file.getFileName());
        String schema = document.text("schema");
        if (!SCHEMA.equals(schema)) {
            throw new IllegalArgumentException(document.where() + ": schema is '" + schema + "', expected '" + SCHEMA + "'");
        }
        List<Measurement> rows = new ArrayList<>();
        for (BenchJson.Fields row : document.array("rows")) {
            rows.add(row(row));
        }
        List<String> skipped = new ArrayList<>();
        for (BenchJson.Fields entry : document.array("skipped")) {
            skipped.add(entry.text("source") + " " + entry.integer("n") + "x" + entry.integer("k") + " M=" + entry.integer("m") + ": " + entry.text("reason"));
        }
        return new TorchBaselines(document.text("device"), document.text("torch"), document.text("date"), rows, skipped);
    }

    private static Measurement row(BenchJson.Fields row) {
        String key = row.text("source");
        Source source = Source.byKey(key)
                .filter(found -> found == Source.TORCH_FP16 || found == Source.TORCH_FP8_ROWWISE)
                .orElseThrow(() -> new IllegalArgumentException(row.where() + ".source is '" + key + "', expected " + Source.TORCH_FP16.key()
                        + " or " + Source.TORCH_FP8_ROWWISE.key()));
        int n = row.integer("n");
        int k = row.integer("k");
        int m = row.integer("m");
        long bytes = switch (source) {
            case TORCH_FP16 -> Traffic.dense16(n, k, m);
            case TORCH_FP8_ROWWISE -> Traffic.fp8RowWise(n, k, m);
            case KERNEL, CUBLAS_FP16 -> throw new IllegalStateException("filtered above: " + source);
        };
        return Measurement.baseline(source, n, k, m, BenchJson.readTiming(row), bytes);
    }

    /** The report with these rows in its tables, and notes on where they came from. */
    public BenchReport mergeInto(BenchReport report) {
        List<String> notes = new ArrayList<>();
        notes.add("torch baselines: torch " + torchVersion + " on " + device + " (" + date + "), " + rows.size() + " rows");
        if (!device.equals(report.header().device().name())) {
            notes.add("the torch baselines were measured on " + device + ", not on " + report.header().device().name() + ": compare with care");
        }
        skipped.forEach(entry -> notes.add("torch skipped " + entry));
        return report.withBaselines(rows, notes);
    }
}
