package dev.qlinear.core.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.kernel.KernelCapabilities;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads and writes {@link KernelManifest} JSON. Sets are written sorted, so the same descriptors always give the
 * same bytes. Also used for the JSON output of the CLI, so tools see kernels in one shape.
 */
public final class KernelManifestCodec {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private KernelManifestCodec() {
    }

    public static String write(KernelManifest manifest) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("spiVersion", manifest.spiVersion());
        ArrayNode kernels = root.putArray("kernels");
        manifest.kernels().forEach(kernel -> kernels.add(toJson(kernel)));
        try {
            return MAPPER.writeValueAsString(root) + "\n";
        }
        catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write kernel manifest", e);
        }
    }

    /**
     * Parses a manifest.
     *
     * @throws IllegalArgumentException naming the field that is missing or invalid
     */
    public static KernelManifest read(String json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        }
        catch (JsonProcessingException e) {
            throw new IllegalArgumentException("kernel manifest is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("kernel manifest must be a JSON object");
        }
        String spiVersion = text(root, "spiVersion");
        List<KernelDescriptor> kernels = new ArrayList<>();
        for (JsonNode kernel : array(root, "kernels")) {
            String id = kernel.path("id").asText("?");
            try {
                kernels.add(fromJson(kernel));
            }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("kernel '" + id + "' in the manifest: " + e.getMessage(), e);
            }
        }
        return new KernelManifest(spiVersion, kernels);
    }

    public static ObjectNode toJson(KernelDescriptor descriptor) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("id", descriptor.id());
        node.put("family", descriptor.family());
        node.put("version", descriptor.version());
        ArrayNode platforms = node.putArray("platforms");
        for (PlatformSupport support : descriptor.platforms()) {
            platforms.addObject().put("platform", support.requirement().spec()).put("priority", support.priority());
        }
        node.put("layerKind", descriptor.layerKind().name());
        switch (descriptor.capabilities()) {
            case WeightOnlyCapabilities capabilities -> {
                putTypes(node, "weightTypes", capabilities.weightTypes());
                putTypes(node, "activationTypes", capabilities.activationTypes());
                putTypes(node, "outputTypes", capabilities.outputTypes());
                ArrayNode groups = node.putArray("groupSizes");
                capabilities.groupSizes().stream().sorted().forEach(groups::add);
                node.put("zeroPoints", capabilities.zeroPoints());
                node.put("actOrder", capabilities.actOrder());
                node.put("partialLastGroup", capabilities.partialLastGroup());
            }
            case ScaledMmCapabilities capabilities -> {
                putTypes(node, "weightTypes", capabilities.weightTypes());
                putTypes(node, "activationTypes", capabilities.activationTypes());
                putStrings(node, "weightScaleShapes", capabilities.weightScaleShapes(), GroupShape::toString);
                putStrings(node, "activationScaleShapes", capabilities.activationScaleShapes(), GroupShape::toString);
                node.put("staticActivationScales", capabilities.staticActivationScales());
                node.put("dynamicActivationScales", capabilities.dynamicActivationScales());
                putTypes(node, "inputTypes", capabilities.inputTypes());
                putTypes(node, "outputTypes", capabilities.outputTypes());
                node.put("bias", capabilities.bias());
            }
        }
        node.put("kAlignment", descriptor.capabilities().kAlignment());
        node.put("nAlignment", descriptor.capabilities().nAlignment());
        node.put("tolerance", descriptor.tolerance().name());
        node.put("maxRows", descriptor.maxRows());
        return node;
    }

    static KernelDescriptor fromJson(JsonNode node) {
        List<PlatformSupport> platforms = new ArrayList<>();
        for (JsonNode platform : array(node, "platforms")) {
            platforms.add(PlatformSupport.of(text(platform, "platform"), integer(platform, "priority")));
        }
        LayerKind kind = enumValue(LayerKind.class, text(node, "layerKind"), "layerKind");
        KernelCapabilities capabilities = switch (kind) {
            case WEIGHT_ONLY -> new WeightOnlyCapabilities(
                    types(node, "weightTypes"),
                    types(node, "activationTypes"),
                    types(node, "outputTypes"),
                    set(node, "groupSizes", item -> {
                        if (!item.isInt()) {
                            throw new IllegalArgumentException("groupSizes must hold integers, got " + item);
                        }
                        return item.asInt();
                    }),
                    bool(node, "zeroPoints"),
                    bool(node, "actOrder"),
                    integer(node, "kAlignment"),
                    integer(node, "nAlignment"),
                    // manifests written before SPI 1.2.0 declare no partial last group
                    node.has("partialLastGroup") && bool(node, "partialLastGroup"));
            case SCALED_MM -> new ScaledMmCapabilities(
                    types(node, "weightTypes"),
                    types(node, "activationTypes"),
                    set(node, "weightScaleShapes", item -> GroupShape.parse(item.asText())),
                    set(node, "activationScaleShapes", item -> GroupShape.parse(item.asText())),
                    bool(node, "staticActivationScales"),
                    bool(node, "dynamicActivationScales"),
                    types(node, "inputTypes"),
                    types(node, "outputTypes"),
                    bool(node, "bias"),
                    integer(node, "kAlignment"),
                    integer(node, "nAlignment"));
        };
        return new KernelDescriptor(
                text(node, "id"),
                text(node, "family"),
                text(node, "version"),
                platforms,
                capabilities,
                enumValue(ToleranceClass.class, text(node, "tolerance"), "tolerance"),
                integer(node, "maxRows"));
    }

    private static void putTypes(ObjectNode node, String field, Collection<ScalarType> types) {
        putStrings(node, field, types, ScalarType::name);
    }

    private static <T> void putStrings(ObjectNode node, String field, Collection<T> values, Function<T, String> format) {
        ArrayNode array = node.putArray(field);
        values.stream().map(format).sorted().forEach(array::add);
    }

    private static Set<ScalarType> types(JsonNode node, String field) {
        return set(node, field, item -> ScalarType.parse(item.asText()));
    }

    private static <T> Set<T> set(JsonNode node, String field, Function<JsonNode, T> parse) {
        Set<T> values = new LinkedHashSet<>();
        for (JsonNode item : array(node, field)) {
            values.add(parse.apply(item));
        }
        return values;
    }

    private static JsonNode array(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isArray()) {
            throw new IllegalArgumentException("field '" + field + "' must be an array");
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return value.asText();
    }

    private static int integer(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isInt()) {
            throw new IllegalArgumentException("field '" + field + "' must be an integer");
        }
        return value.asInt();
    }

    private static boolean bool(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isBoolean()) {
            throw new IllegalArgumentException("field '" + field + "' must be true or false");
        }
        return value.asBoolean();
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String text, String field) {
        try {
            return Enum.valueOf(type, text);
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field '" + field + "' must be one of " + List.of(type.getEnumConstants()) + ", got '" + text + "'", e);
        }
    }
}
