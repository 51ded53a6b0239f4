package dev.qlinear.core.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.core.safetensors.ShardedCheckpoint;
import dev.qlinear.core.safetensors.TensorEntry;
import dev.qlinear.spi.type.ScalarType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads what a checkpoint directory says about itself: {@code config.json} and the safetensors headers, never the
 * tensor data, so describing a 70B checkpoint takes milliseconds.
 */
public final class CheckpointReader {

    public static final String CONFIG_FILE = "config.json";
    private static final long MAX_CONFIG_BYTES = 10_000_000;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private CheckpointReader() {
    }

    /**
     * @throws IOException when a file cannot be read or a safetensors header is malformed (naming the file)
     * @throws CheckpointConfigException when {@code config.json} is missing or says something unusable
     */
    public static CheckpointSummary summarize(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new CheckpointConfigException("checkpoint directory " + directory + " does not exist or is not a directory");
        }
        JsonNode config = readConfig(directory.resolve(CONFIG_FILE));
        Optional<QuantizationConfig> quantization = QuantizationConfigParser.parse(config);
        ScalarType activationType = activationType(config);
        Map<String, TensorInfo> tensors = new HashMap<>();
        try (ShardedCheckpoint checkpoint = ShardedCheckpoint.openHeadersOnly(directory)) {
            for (String name : checkpoint.tensorNames()) {
                TensorEntry entry = checkpoint.entry(name);
                tensors.put(name, new TensorInfo(name, entry.dtype().name(), entry.shape()));
            }
        }
        return new CheckpointSummary(directory, quantization, activationType, tensors);
    }

    private static JsonNode readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new CheckpointConfigException(file + " is missing: a checkpoint directory needs its config.json");
        }
        if (Files.size(file) > MAX_CONFIG_BYTES) {
            throw new CheckpointConfigException(file + " is " + Files.size(file) + " bytes, more than the " + MAX_CONFIG_BYTES + " a config may have");
        }
        try {
            JsonNode config = MAPPER.readTree(file.toFile());
            if (config == null || !config.isObject()) {
                throw new CheckpointConfigException(file + " must hold a JSON object");
            }
            return config;
        }
        catch (JsonProcessingException e) {
            throw new CheckpointConfigException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** {@code torch_dtype} (or {@code dtype} in newer transformers); bf16 when absent, as most quantized checkpoints are. */
    private static ScalarType activationType(JsonNode config) {
        JsonNode dtype = config.has("torch_dtype") ? config.get("torch_dtype") : config.get("dtype");
        if (dtype == null || dtype.isNull()) {
            return ScalarType.BFLOAT16;
        }
        return switch (dtype.asText().toLowerCase(Locale.ROOT)) {
            case "float16", "half", "torch.float16" -> ScalarType.FLOAT16;
            case "bfloat16", "torch.bfloat16" -> ScalarType.BFLOAT16;
            case "float32", "float", "torch.float32" -> ScalarType.FLOAT32;
            default -> throw new CheckpointConfigException("config.json torch_dtype '" + dtype.asText() + "' is not one of float16, bfloat16, float32");
        };
    }
}
