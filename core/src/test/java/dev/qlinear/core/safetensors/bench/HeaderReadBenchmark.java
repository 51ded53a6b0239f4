package dev.qlinear.core.safetensors.bench;

import dev.qlinear.core.safetensors.SafetensorsDtype;
import dev.qlinear.core.safetensors.SafetensorsHeader;
import dev.qlinear.core.safetensors.SafetensorsWriter;
import dev.qlinear.core.safetensors.ShardedCheckpoint;
import dev.qlinear.core.safetensors.WritableTensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Times reading the headers of a 4 GiB, 8-shard Llama-shaped checkpoint whose tensor bytes are file holes, so it
 * takes next to no disk. A plain {@code main} rather than JMH: JDK 23 and later run no annotation processor that is
 * not configured explicitly, and configuring JMH's for core's tests would also run PF4J's over them.
 *
 * <p>From the repository root, with a JDK 25 {@code java}:
 *
 * <pre>{@code
 * ./mvnw -B -q -pl core -am test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test && java -cp "core/target/test-classes:core/target/classes:$(cat core/target/test-classpath.txt)" dev.qlinear.core.safetensors.bench.HeaderReadBenchmark [DIR]
 * }</pre>
 *
 * With {@code DIR} the checkpoint is written there (if not already) and kept; without, it goes to a temporary
 * directory that is deleted afterwards.
 */
public final class HeaderReadBenchmark {

    private static final int RUNS = 20;
    private static final int WARM_UP_RUNS = 5;
    private static final int SHARDS = 8;
    private static final long HIDDEN = 2048;
    private static final long INTERMEDIATE = 8192;
    private static final long VOCABULARY = 32000;
    private static final int LAYERS = 32;

    private HeaderReadBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        Path directory = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("qlinear-safetensors-bench");
        try {
            if (!Files.exists(directory.resolve(ShardedCheckpoint.INDEX_FILE))) {
                long start = System.nanoTime();
                SafetensorsWriter.writeSharded(directory, llamaShapedHoles(), SHARDS, Map.of("format", "pt"));
                System.out.printf("wrote %s in %.0f ms%n", directory, millis(System.nanoTime() - start));
            }
            long firstStart = System.nanoTime();
            long totalBytes;
            int tensors;
            long headerBytes;
            try (ShardedCheckpoint checkpoint = ShardedCheckpoint.openHeadersOnly(directory)) {
                totalBytes = checkpoint.totalBytes();
                tensors = checkpoint.tensorNames().size();
                headerBytes = checkpoint.headers().values().stream().mapToLong(SafetensorsHeader::dataOffset).sum()
                        + Files.size(directory.resolve(ShardedCheckpoint.INDEX_FILE));
            }
            long first = System.nanoTime() - firstStart;

            for (int i = 0; i < WARM_UP_RUNS; i++) {
                ShardedCheckpoint.openHeadersOnly(directory).close();
                ShardedCheckpoint.open(directory).close();
            }
            // After warm-up no class is loaded from a jar any more, so what the process reads is what the reader reads.
            long rcharBefore = readBytes();
            ShardedCheckpoint.openHeadersOnly(directory).close();
            long readByOneRun = readBytes() - rcharBefore;
            long[] headersOnly = time(directory, true);
            long[] mapped = time(directory, false);

            System.out.printf("checkpoint: %d shards, %d tensors, %.2f GiB of tensor data (apparent)%n", SHARDS, tensors, totalBytes / (double) (1L << 30));
            System.out.printf("disk used: %s%n", diskUsage(directory));
            System.out.printf("index + headers: %d bytes; bytes the process read during one openHeadersOnly (rchar of /proc/self/io): %s%n", headerBytes,
                    rcharBefore < 0 ? "unknown" : Long.toString(readByOneRun));
            System.out.printf("first openHeadersOnly in this JVM (class loading included): %.2f ms%n", millis(first));
            System.out.printf("openHeadersOnly, median of %d: %.3f ms (min %.3f, max %.3f)%n", RUNS, millis(median(headersOnly)),
                    millis(headersOnly[0]), millis(headersOnly[RUNS - 1]));
            System.out.printf("open (headers + mmap of every shard), median of %d: %.3f ms (min %.3f, max %.3f)%n", RUNS, millis(median(mapped)),
                    millis(mapped[0]), millis(mapped[RUNS - 1]));
        }
        finally {
            if (args.length == 0) {
                try (Stream<Path> files = Files.walk(directory)) {
                    for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(file);
                    }
                }
            }
        }
    }

    /** Llama-shaped BF16 weights (hidden 2048, MLP 8192, 32 layers): 4 GiB of layers plus embeddings and head. */
    private static List<WritableTensor> llamaShapedHoles() {
        List<WritableTensor> tensors = new ArrayList<>();
        tensors.add(WritableTensor.hole("model.embed_tokens.weight", SafetensorsDtype.BF16, VOCABULARY, HIDDEN));
        for (int layer = 0; layer < LAYERS; layer++) {
            String prefix = "model.layers." + layer + ".";
            for (String projection : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                tensors.add(WritableTensor.hole(prefix + "self_attn." + projection + ".weight", SafetensorsDtype.BF16, HIDDEN, HIDDEN));
            }
            tensors.add(WritableTensor.hole(prefix + "mlp.gate_proj.weight", SafetensorsDtype.BF16, INTERMEDIATE, HIDDEN));
            tensors.add(WritableTensor.hole(prefix + "mlp.up_proj.weight", SafetensorsDtype.BF16, INTERMEDIATE, HIDDEN));
            tensors.add(WritableTensor.hole(prefix + "mlp.down_proj.weight", SafetensorsDtype.BF16, HIDDEN, INTERMEDIATE));
            tensors.add(WritableTensor.hole(prefix + "input_layernorm.weight", SafetensorsDtype.BF16, HIDDEN));
            tensors.add(WritableTensor.hole(prefix + "post_attention_layernorm.weight", SafetensorsDtype.BF16, HIDDEN));
        }
        tensors.add(WritableTensor.hole("model.norm.weight", SafetensorsDtype.BF16, HIDDEN));
        tensors.add(WritableTensor.hole("lm_head.weight", SafetensorsDtype.BF16, VOCABULARY, HIDDEN));
        return tensors;
    }

    /** Sorted run times in nanoseconds. */
    private static long[] time(Path directory, boolean headersOnly) throws IOException {
        long[] times = new long[RUNS];
        for (int i = 0; i < RUNS; i++) {
            long start = System.nanoTime();
            try (ShardedCheckpoint checkpoint = headersOnly ? ShardedCheckpoint.openHeadersOnly(directory) : ShardedCheckpoint.open(directory)) {
                if (checkpoint.tensorNames().size() < SHARDS) {
                    throw new IllegalStateException("checkpoint " + directory + " has too few tensors");
                }
            }
            times[i] = System.nanoTime() - start;
        }
        Arrays.sort(times);
        return times;
    }

    private static long median(long[] sorted) {
        return (sorted[(sorted.length - 1) / 2] + sorted[sorted.length / 2]) / 2;
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }

    /** Bytes this process has read through read(2) and the like, from Linux's /proc/self/io; -1 elsewhere. */
    private static long readBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("rchar:")) {
                    return Long.parseLong(line.substring("rchar:".length()).strip());
                }
            }
        }
        catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static String diskUsage(Path directory) {
        try {
            Process du = new ProcessBuilder("du", "-sh", "--apparent-size", directory.toString()).redirectErrorStream(true).start();
            String apparent = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            du.waitFor();
            Process allocated = new ProcessBuilder("du", "-sh", directory.toString()).redirectErrorStream(true).start();
            String used = new String(allocated.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            allocated.waitFor();
            return "du -sh: " + used.split("\\s+")[0] + " (apparent size " + apparent.split("\\s+")[0] + ")";
        }
        catch (IOException e) {
            return "unknown (no du: " + e.getMessage() + ")";
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }
}
