package dev.qlinear.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@code quantization_config} from a parsed {@code config.json}. Every missing or unsupported field is an
 * error naming the field and what was expected; nothing is guessed from tensor shapes.
 */
public final class QuantizationConfigParser {

    private QuantizationConfigParser() {
    }

    /**
     * @param config the whole {@code config.json}
     * @return the quantization config, or empty for an unquantized model
     * @throws CheckpointConfigException naming the field and the rule
     */
    public static Optional<QuantizationConfig> parse(JsonNode config) {
        JsonNode quantization = config.get("quantization_config");
        if (quantization == null || quantization.isNull()) {
            return Optional.empty();
        }
        if (!quantization.isObject()) {
            throw new CheckpointConfigException("quantization_config must be an object");
        }
        String method = text(quantization, "quant_method", "quantization_config").toLowerCase(Locale.ROOT);
        return Optional.of(switch (method) {
            case "gptq" -> new QuantizationConfig.Gptq(
                    bits(quantization, "bits", "quantization_config", List.of(4, 8)),
                    groupSize(quantization, "group_size", "quantization_config"),
                    bool(quantization, "desc_act", false),
                    bool(quantization, "sym", true),
                    optionalText(quantization, "checkpoint_format").map(format -> format.equals("gptq_v2")).orElse(false));
            case "awq" -> {
                String version = optionalText(quantization, "version").orElse("gemm").toLowerCase(Locale.ROOT);
                if (!version.equals("gemm")) {
                    throw new CheckpointConfigException("quantization_config.version '" + version + "' is not supported; AWQ checkpoints must use the gemm layout");
                }
                yield new QuantizationConfig.Awq(bits(quantization, "bits", "quantization_config", List.of(4)),
                        groupSize(quantization, "group_size", "quantization_config"), bool(quantization, "zero_point", true));
            }
            case "compressed-tensors" -> compressedTensors(quantization);
            case "fp8" -> new QuantizationConfig.Fp8(
                    switch (optionalText(quantization, "activation_scheme").orElse("dynamic")) {
                        case "static" -> true;
                        case "dynamic" -> false;
                        default -> throw new CheckpointConfigException("quantization_config.activation_scheme must be static or dynamic, got '"
                                + quantization.get("activation_scheme").asText() + "'");
                    },
                    Optional.ofNullable(quantization.get("weight_block_size")).filter(node -> !node.isNull())
                            .map(node -> {
                                List<Integer> sizes = new ArrayList<>();
                                node.forEach(size -> sizes.add(size.asInt()));
                                return List.copyOf(sizes);
                            }));
            default -> throw new CheckpointConfigException("quantization_config.quant_method '" + method
                    + "' is not supported; supported methods: gptq, awq, compressed-tensors, fp8");
        });
    }

    private static QuantizationConfig.CompressedTensors compressedTensors(JsonNode quantization) {
        String format = optionalText(quantization, "format").orElse("pack-quantized");
        JsonNode groupsNode = quantization.get("config_groups");
        if (groupsNode == null || !groupsNode.isObject() || groupsNode.isEmpty()) {
            throw new CheckpointConfigException("quantization_config.config_groups must be a non-empty object");
        }
        List<QuantizationConfig.SchemeGroup> groups = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = groupsNode.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> field = fields.next();
            String where = "quantization_config.config_groups." + field.getKey();
            JsonNode group = field.getValue();
            List<String> targets = strings(group, "targets", where);
            JsonNode weights = group.get("weights");
            if (weights == null || !weights.isObject()) {
                throw new CheckpointConfigException(where + ".weights must be an object");
            }
            JsonNode activations = group.get("input_activations");
            groups.add(new QuantizationConfig.SchemeGroup(field.getKey(), targets, arguments(weights, where + ".weights"),
                    activations == null || activations.isNull() ? Optional.empty() : Optional.of(arguments(activations, where + ".input_activations"))));
        }
        JsonNode ignoreNode = quantization.get("ignore");
        List<String> ignore = ignoreNode == null || ignoreNode.isNull() ? List.of() : strings(quantization, "ignore", "quantization_config");
        return new QuantizationConfig.CompressedTensors(format, groups, ignore);
    }

    private static QuantizationConfig.QuantizationArgs arguments(JsonNode node, String where) {
        String strategy = optionalText(node, "strategy").orElse("tensor").toLowerCase(Locale.ROOT);
        int groupSize = strategy.equals("group") ? groupSize(node, "group_size", where) : -1;
        Optional<String> actOrder = optionalText(node, "actorder").map(value -> value.toLowerCase(Locale.ROOT));
        return new QuantizationConfig.QuantizationArgs(
                bits(node, "num_bits", where, List.of(4, 8)),
                optionalText(node, "type").orElse("int").toLowerCase(Locale.ROOT),
                bool(node, "symmetric", true),
                strategy,
                groupSize,
                actOrder,
                node.path("dynamic").asBoolean(false));
    }

    private static int bits(JsonNode node, String field, String where, List<Integer> allowed) {
        JsonNode value = node.get(field);
        if (value == null || !value.isInt()) {
            throw new CheckpointConfigException(where + "." + field + " must be an integer, one of " + allowed);
        }
        if (!allowed.contains(value.asInt())) {
            throw new CheckpointConfigException(where + "." + field + " is " + value.asInt() + "; supported: " + allowed);
        }
        return value.asInt();
    }

    private static int groupSize(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isInt()) {
            throw new CheckpointConfigException(where + "." + field + " must be an integer (-1 for channelwise)");
        }
        int groupSize = value.asInt();
        if (groupSize == 0 || groupSize < -1) {
            throw new CheckpointConfigException(where + "." + field + " is " + groupSize + "; it must be -1 (channelwise) or positive");
        }
        return groupSize;
    }

    private static boolean bool(JsonNode node, String field, boolean fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw new CheckpointConfigException("quantization_config field '" + field + "' must be true or false, got " + value);
        }
        return value.asBoolean();
    }

    private static String text(JsonNode node, String field, String where) {
        return optionalText(node, field).orElseThrow(() -> new CheckpointConfigException(where + "." + field + " is missing"));
    }

    private static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    private static List<String> strings(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) {
            throw new CheckpointConfigException(where + "." + field + " must be a list of strings");
        }
        List<String> strings = new ArrayList<>();
        value.forEach(item -> strings.add(item.asText()));
        return List.copyOf(strings);
    }
}
