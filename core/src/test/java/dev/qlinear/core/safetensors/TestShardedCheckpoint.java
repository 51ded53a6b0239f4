package dev.qlinear.core.safetensors;

import dev.qlinear.core.weights.HostTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestShardedCheckpoint {

    private static final String A = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    private static final String B = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]}}";
    private static final String AB = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[8,16]}}";

    @TempDir
    Path directory;

    @Test
    void roundTripsAShardedCheckpointThroughItsIndex() throws IOException {
        long seed = ThreadLocalRandom.current().nextLong();
        Random random = new Random(seed);
        List<WritableTensor> tensors = new ArrayList<>();
        Map<String, byte[]> written = new LinkedHashMap<>();
        for (int layer = 0; layer < 4; layer++) {
            for (String part : List.of("self_attn.q_proj.weight", "mlp.down_proj.weight", "input_layernorm.weight")) {
                String name = "model.layers." + layer + "." + part;
                long rows = 1 + random.nextInt(16);
                byte[] bytes = new byte[(int) rows * 8 * 2];
                random.nextBytes(bytes);
                tensors.add(WritableTensor.of(name, SafetensorsDtype.BF16, MemorySegment.ofArray(bytes), rows, 8));
                written.put(name, bytes);
            }
        }
        Path checkpoint = directory.resolve("checkpoint");

        List<Path> files = SafetensorsWriter.writeSharded(checkpoint, tensors, 3, Map.of("format", "pt"));

        assertThat(files).extracting(path -> path.getFileName().toString()).containsExactly(
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", ShardedCheckpoint.INDEX_FILE);
        try (ShardedCheckpoint opened = ShardedCheckpoint.open(checkpoint)) {
            assertThat(opened.shards()).isEqualTo(files.subList(0, 3));
            assertThat(opened.tensorNames()).as("seed %d", seed).containsExactlyElementsOf(written.keySet());
            assertThat(opened.indexMetadata()).containsExactly(Map.entry("total_size", Long.toString(opened.totalBytes())));
            assertThat(opened.totalBytes()).isEqualTo(written.values().stream().mapToLong(bytes -> bytes.length).sum());
            for (Map.Entry<String, byte[]> tensor : written.entrySet()) {
                HostTensor host = opened.tensor(tensor.getKey());
                assertThat(host.segment().toArray(ValueLayout.JAVA_BYTE)).as("seed %d, %s", seed, tensor.getKey()).isEqualTo(tensor.getValue());
                assertThat(opened.bytes(tensor.getKey()).byteSize()).isEqualTo(tensor.getValue().length);
                assertThat(opened.headers().get(opened.shardOf(tensor.getKey())).metadata()).containsExactly(Map.entry("format", "pt"));
            }
            assertThat(opened.headers().values()).allSatisfy(header -> assertThat(header.tensors()).isNotEmpty());
        }
        try (ShardedCheckpoint headers = ShardedCheckpoint.openHeadersOnly(checkpoint)) {
            assertThat(headers.headersOnly()).isTrue();
            assertThat(headers.tensorNames()).containsExactlyElementsOf(written.keySet());
            assertThat(headers.entry("model.layers.3.mlp.down_proj.weight").dtype()).isEqualTo(SafetensorsDtype.BF16);
            assertThatThrownBy(() -> headers.tensor("model.layers.0.input_layernorm.weight"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("checkpoint " + checkpoint + " was opened for headers only; open it with open(directory) to read tensors");
            assertThatThrownBy(() -> headers.entry("lm_head.weight"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("checkpoint " + checkpoint + " has no tensor 'lm_head.weight'");
        }
    }

    @Test
    void splitsIntoShardsOfAboutEqualBytesNoneEmpty() throws IOException {
        List<WritableTensor> tensors = new ArrayList<>();
        tensors.add(WritableTensor.hole("embed", SafetensorsDtype.F32, 1 << 20));
        for (int i = 0; i < 12; i++) {
            tensors.add(WritableTensor.hole("small." + i, SafetensorsDtype.F32, 1 << 16));
        }
        tensors.add(WritableTensor.hole("head", SafetensorsDtype.F32, 1 << 20));

        SafetensorsWriter.writeSharded(directory, tensors, 8, Map.of());

        try (ShardedCheckpoint opened = ShardedCheckpoint.openHeadersOnly(directory)) {
            assertThat(opened.shards()).hasSize(8);
            assertThat(opened.headers().values()).allSatisfy(header -> assertThat(header.tensors()).isNotEmpty());
            assertThat(opened.shardOf("embed")).isEqualTo(opened.shards().getFirst());
            assertThat(opened.shardOf("head")).isEqualTo(opened.shards().getLast());
            assertThat(opened.tensorNames()).containsExactlyElementsOf(tensors.stream().map(WritableTensor::name).toList());
        }
    }

    @Test
    void opensASingleFileCheckpoint() throws IOException {
        SafetensorsWriter.writeSharded(directory, List.of(WritableTensor.of("w", SafetensorsDtype.I8, MemorySegment.ofArray(new byte[] {-1, 2}), 2)), 1, Map.of());

        assertThat(directory.resolve(ShardedCheckpoint.INDEX_FILE)).doesNotExist();
        try (ShardedCheckpoint opened = ShardedCheckpoint.open(directory)) {
            assertThat(opened.shards()).containsExactly(directory.resolve(ShardedCheckpoint.SINGLE_FILE));
            assertThat(opened.indexMetadata()).isEmpty();
            assertThat(opened.bytes("w").toArray(ValueLayout.JAVA_BYTE)).containsExactly(-1, 2);
        }
        assertThatThrownBy(() -> SafetensorsWriter.writeSharded(directory, List.of(WritableTensor.hole("x", SafetensorsDtype.U8, 1)), 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(directory + " already holds model.safetensors; write a checkpoint into a directory without one");
        assertThatThrownBy(() -> SafetensorsWriter.writeSharded(directory.resolve("two"), List.of(WritableTensor.hole("x", SafetensorsDtype.U8, 1)), 2, Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("cannot split 1 tensors into 2 non-empty shards");
    }

    @Test
    void refusesADirectoryWithoutACheckpoint() {
        assertThatThrownBy(() -> ShardedCheckpoint.open(directory))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessage(directory + ": holds neither model.safetensors nor model.safetensors.index.json");
    }

    @Test
    void refusesShardsOutsideTheDirectory() throws IOException {
        Path checkpoint = Files.createDirectory(directory.resolve("checkpoint"));
        RawFiles.safetensors(directory.resolve("outside.safetensors"), A, 8);

        assertIndexRefused(checkpoint, "{\"weight_map\":{\"a\":\"../outside.safetensors\"}}",
                "shard '../outside.safetensors' leaves the checkpoint directory; shards must lie inside it");
        assertIndexRefused(checkpoint, "{\"weight_map\":{\"a\":\"sub/../../outside.safetensors\"}}",
                "shard 'sub/../../outside.safetensors' leaves the checkpoint directory; shards must lie inside it");
        assertIndexRefused(checkpoint, "{\"weight_map\":{\"a\":\"" + directory.resolve("outside.safetensors") + "\"}}",
                "shard '" + directory.resolve("outside.safetensors") + "' is not a relative file name; shards must lie inside the checkpoint directory");
        assertIndexRefused(checkpoint, "{\"weight_map\":{\"a\":\"\"}}", "shard '' is not a relative file name");
        assertIndexRefused(checkpoint, "{\"weight_map\":{\"a\":\"nul\\u0000.safetensors\"}}", "shard 'nul\0.safetensors' is not a valid file name");
    }

    @Test
    void refusesAnIndexThatDisagreesWithItsShards() throws IOException {
        RawFiles.safetensors(directory.resolve("one.safetensors"), A, 8);
        RawFiles.safetensors(directory.resolve("two.safetensors"), B, 8);
        RawFiles.safetensors(directory.resolve("both.safetensors"), AB, 16);

        assertIndexRefused(directory, "{\"weight_map\":{\"a\":\"one.safetensors\",\"b\":\"missing.safetensors\"}}",
                "shard 'missing.safetensors' named in the weight_map is not a file in " + directory);
        assertIndexRefused(directory, "{\"weight_map\":{\"a\":\"one.safetensors\",\"b\":\"one.safetensors\"}}",
                "the weight_map puts tensor 'b' in shard 'one.safetensors', which does not hold it");
        assertIndexRefused(directory, "{\"weight_map\":{\"a\":\"one.safetensors\",\"b\":\"./two.safetensors\",\"c\":\"two.safetensors\"}}",
                "the weight_map puts tensor 'c' in shard 'two.safetensors', which does not hold it");
        assertIndexRefused(directory, "{\"weight_map\":{\"a\":\"one.safetensors\",\"b\":\"both.safetensors\"}}",
                "tensor 'a' is in two shards, 'one.safetensors' and 'both.safetensors'");
        assertIndexRefused(directory, "{\"weight_map\":{\"b\":\"both.safetensors\"}}",
                "tensor 'a' of shard 'both.safetensors' is missing from the weight_map");
        assertIndexRefused(directory, "{\"weight_map\":{\"a\":\"one.safetensors\",\"a\":\"one.safetensors\"}}",
                "the weight_map lists tensor 'a' twice");
        assertIndexRefused(directory, "{\"weight_map\":{\"a\":1}}", "the weight_map maps tensor 'a' to an integer, not a shard file name");
        assertIndexRefused(directory, "{\"weight_map\":[\"one.safetensors\"]}", "the weight_map is an array, not an object of tensor names to shard files");
        assertIndexRefused(directory, "{\"metadata\":{\"total_size\":8}}", "the index has no weight_map");
        assertIndexRefused(directory, "{\"weight_map\":{},\"weight_map\":{}}", "the index has 'weight_map' twice");
        assertIndexRefused(directory, "{\"weight_map\":{\"a\":\"one.safetensors\"}", "the index is not valid JSON");
        assertIndexRefused(directory, "[]", "the index is an array, not a JSON object");
        assertIndexRefused(directory, "{\"weight_map\":{\"a\":\"one.safetensors\",\"重み\":\"one.safetensors\"}}",
                "the weight_map puts tensor '重み' in shard 'one.safetensors', which does not hold it");

        Files.write(directory.resolve(ShardedCheckpoint.INDEX_FILE), new byte[] {'{', '"', (byte) 0xFF, (byte) 0xFE, '"', ':', '1', '}'});
        assertThatThrownBy(() -> ShardedCheckpoint.openHeadersOnly(directory))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessage(directory.resolve(ShardedCheckpoint.INDEX_FILE) + ": the index is not valid UTF-8: byte 0xFF at byte 2 starts no valid sequence");
    }

    @Test
    void namesTheShardWhoseHeaderIsMalformed() throws IOException {
        RawFiles.safetensors(directory.resolve("one.safetensors"), A, 8);
        Path broken = RawFiles.safetensors(directory.resolve("two.safetensors"), B, 6);
        Files.writeString(directory.resolve(ShardedCheckpoint.INDEX_FILE), "{\"weight_map\":{\"a\":\"one.safetensors\",\"b\":\"two.safetensors\"}}");

        for (boolean headersOnly : new boolean[] {true, false}) {
            assertThatThrownBy(() -> (headersOnly ? ShardedCheckpoint.openHeadersOnly(directory) : ShardedCheckpoint.open(directory)).close())
                    .isInstanceOf(SafetensorsFormatException.class)
                    .hasMessage(broken + ": tensor 'b' has data_offsets [0, 8] past the end of the data section, which has 6 bytes");
        }
        RawFiles.safetensors(broken, B, 8);
        try (ShardedCheckpoint opened = ShardedCheckpoint.open(directory)) {
            assertThat(opened.tensorNames()).containsExactly("a", "b");
            assertThat(opened.indexMetadata()).isEmpty();
        }
    }

    @Test
    void keepsIndexMetadataAsText() throws IOException {
        RawFiles.safetensors(directory.resolve("one.safetensors"), A, 8);
        Files.writeString(directory.resolve(ShardedCheckpoint.INDEX_FILE),
                "{\"metadata\":{\"total_size\":8,\"format\":\"pt\",\"nested\":{\"x\":[1]}},\"weight_map\":{\"a\":\"one.safetensors\"},\"other\":[1,{}]}",
                StandardCharsets.UTF_8);

        try (ShardedCheckpoint opened = ShardedCheckpoint.openHeadersOnly(directory)) {
            assertThat(opened.indexMetadata()).containsExactly(Map.entry("total_size", "8"), Map.entry("format", "pt"), Map.entry("nested", "{\"x\":[1]}"));
        }
    }

    /** The index is refused naming itself and the problem, and a good checkpoint beside it still opens. */
    private void assertIndexRefused(Path checkpoint, String index, String problem) throws IOException {
        Path indexFile = checkpoint.resolve(ShardedCheckpoint.INDEX_FILE);
        Files.writeString(indexFile, index, StandardCharsets.UTF_8);

        for (boolean headersOnly : new boolean[] {true, false}) {
            assertThatThrownBy(() -> (headersOnly ? ShardedCheckpoint.openHeadersOnly(checkpoint) : ShardedCheckpoint.open(checkpoint)).close())
                    .isInstanceOf(SafetensorsFormatException.class)
                    .hasMessageStartingWith(indexFile + ": " + problem);
        }
        Path good = checkpoint.resolveSibling(checkpoint.getFileName() + "-good");
        if (!Files.exists(good)) {
            SafetensorsWriter.writeSharded(good, List.of(WritableTensor.hole("x", SafetensorsDtype.F16, 4), WritableTensor.hole("y", SafetensorsDtype.F16, 4)), 2, Map.of());
        }
        try (ShardedCheckpoint opened = ShardedCheckpoint.open(good)) {
            assertThat(opened.tensorNames()).containsExactly("x", "y");
        }
    }
}
