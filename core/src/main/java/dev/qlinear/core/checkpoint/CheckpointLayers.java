package dev.qlinear.core.checkpoint;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import static java.util.Objects.requireNonNull;

/**
 * Finds the linear layers of a checkpoint from its tensor headers and quantization config, and describes each as
 * a {@link LayerConfig} for this tensor-parallel rank. Which tensors a layer has and how their shapes relate to K
 * and N follow from the quantization method; a shape that contradicts the config is reported on the layer.
 */
public final class CheckpointLayers {

    private static final Set<String> ROW_PARALLEL_SUFFIXES = Set.of("o_proj", "down_proj", "out_proj", "dense_4h_to_h", "wo", "w2", "c_proj");

    private CheckpointLayers() {
    }

    /**
     * @param quantization the checkpoint's quantization config, empty for an unquantized model
     * @param tensors every tensor of the checkpoint by name
     * @param activationType the model's activation dtype ({@code torch_dtype})
     * @param tensorParallel the tensor-parallel degree; 1 for none
     */
    public static List<LayerPlan> plan(Optional<QuantizationConfig> quantization, Map<String, TensorInfo> tensors, ScalarType activationType, int tensorParallel) {
        requireNonNull(quantization, "quantization is null");
        requireNonNull(tensors, "tensors is null");
        requireNonNull(activationType, "activationType is null");
        if (tensorParallel < 1) {
            throw new IllegalArgumentException("tensor-parallel degree must be at least 1, got " + tensorParallel);
        }
        Map<String, Map<String, TensorInfo>> byLayer = new TreeMap<>(CheckpointLayers::compareNatural);
        for (TensorInfo tensor : tensors.values()) {
            int dot = tensor.name().lastIndexOf('.');
            if (dot > 0) {
                byLayer.computeIfAbsent(tensor.name().substring(0, dot), layer -> new TreeMap<>()).put(tensor.name().substring(dot + 1), tensor);
            }
        }
        List<LayerPlan> plans = new ArrayList<>();
        for (Map.Entry<String, Map<String, TensorInfo>> layer : byLayer.entrySet()) {
            planLayer(layer.getKey(), layer.getValue(), quantization, activationType, tensorParallel).ifPresent(plans::add);
        }
        return List.copyOf(plans);
    }

    private static Optional<LayerPlan> planLayer(String name, Map<String, TensorInfo> tensors, Optional<QuantizationConfig> quantization, ScalarType activationType,
            int tensorParallel) {
        LayerPlan.Parallelism parallelism = parallelismOf(name);
        Optional<String> format = formatOf(tensors, quantization);
        if (format.isEmpty()) {
            return isUnquantizedLinear(name, tensors)
                    ? Optional.of(new LayerPlan(name, parallelism, LayerPlan.UNQUANTIZED, Optional.empty(), Optional.empty()))
                    : Optional.empty();
        }
        try {
            LayerConfig config = switch (quantization.orElseThrow()) {
                case QuantizationConfig.Gptq gptq -> weightOnly(name, gptq.bits(), gptq.symmetric(), gptq.groupSize(), gptq.descAct(),
                        gptqShape(tensors, gptq.bits()), parallelism, activationType, tensorParallel, groupCountOf(tensors.get("scales"), 0));
                case QuantizationConfig.Awq awq -> weightOnly(name, awq.bits(), !awq.zeroPoint(), awq.groupSize(), false,
                        new LayerShape(Math.toIntExact(tensors.get("qweight").dim(0)), Math.toIntExact(tensors.get("scales").dim(1))),
                        parallelism, activationType, tensorParallel, groupCountOf(tensors.get("scales"), 0));
                case QuantizationConfig.CompressedTensors ct -> compressedTensors(name, ct, tensors, parallelism, activationType, tensorParallel);
                case QuantizationConfig.Fp8 fp8 -> {
                    if (fp8.weightBlockSize().isPresent()) {
                        throw new CheckpointConfigException("block-wise FP8 (weight_block_size " + fp8.weightBlockSize().get() + ") is not supported");
                    }
                    yield scaledMm(tensors, GroupShape.PER_TENSOR, fp8.staticActivations() ? GroupShape.PER_TENSOR : GroupShape.PER_TOKEN, fp8.staticActivations(),
                            parallelism, activationType, tensorParallel);
                }
            };
            return Optional.of(new LayerPlan(name, parallelism, format.get(), Optional.of(config), Optional.empty()));
        }
        catch (CheckpointConfigException | IllegalArgumentException | ArithmeticException e) {
            return Optional.of(new LayerPlan(name, parallelism, format.get(), Optional.empty(), Optional.of(e.getMessage())));
        }
    }

    /** The format of a quantized layer, or empty when the layer is not quantized (or not a linear layer at all). */
    private static Optional<String> formatOf(Map<String, TensorInfo> tensors, Optional<QuantizationConfig> quantization) {
        if (quantization.isEmpty()) {
            return Optional.empty();
        }
        return switch (quantization.get()) {
            case QuantizationConfig.Gptq gptq -> tensors.containsKey("qweight") ? Optional.of(gptq.version2() ? "gptq_v2" : "gptq") : Optional.empty();
            case QuantizationConfig.Awq awq -> tensors.containsKey("qweight") ? Optional.of("awq") : Optional.empty();
            case QuantizationConfig.CompressedTensors ct -> tensors.containsKey("weight_packed")
                    || (tensors.containsKey("weight") && tensors.get("weight").dtype().startsWith("F8") && tensors.containsKey("weight_scale"))
                    ? Optional.of("compressed-tensors " + ct.format()) : Optional.empty();
            case QuantizationConfig.Fp8 fp8 -> tensors.containsKey("weight") && tensors.get("weight").dtype().startsWith("F8") ? Optional.of("fp8") : Optional.empty();
        };
    }

    private static boolean isUnquantizedLinear(String name, Map<String, TensorInfo> tensors) {
        TensorInfo weight = tensors.get("weight");
        return weight != null && weight.rank() == 2 && !name.contains("embed") && !name.contains("norm")
                && (weight.dtype().equals("F16") || weight.dtype().equals("BF16") || weight.dtype().equals("F32"));
    }

    private static LayerShape gptqShape(Map<String, TensorInfo> tensors, int bits) {
        TensorInfo qweight = tensors.get("qweight");
        return new LayerShape(Math.toIntExact(qweight.dim(0) * (32 / bits)), Math.toIntExact(qweight.dim(1)));
    }

    private static int groupCountOf(TensorInfo scales, int dimension) {
        if (scales == null) {
            throw new CheckpointConfigException("the layer has no scales tensor");
        }
        return Math.toIntExact(scales.dim(dimension));
    }

    private static LayerConfig compressedTensors(String name, QuantizationConfig.CompressedTensors config, Map<String, TensorInfo> tensors,
            LayerPlan.Parallelism parallelism, ScalarType activationType, int tensorParallel) {
        if (config.ignores(name)) {
            throw new CheckpointConfigException("the layer is in the ignore list but has quantized tensors");
        }
        QuantizationConfig.SchemeGroup group = config.groupFor(name)
                .orElseThrow(() -> new CheckpointConfigException("no config group targets this layer"));
        QuantizationConfig.QuantizationArgs weights = group.weights();
        if (weights.type().equals("float")) {
            GroupShape weightScales = switch (weights.strategy()) {
                case "channel" -> GroupShape.PER_CHANNEL;
                case "tensor" -> GroupShape.PER_TENSOR;
                default -> throw new CheckpointConfigException(group.name() + " weight strategy '" + weights.strategy() + "' is not supported for FP8");
            };
            QuantizationConfig.QuantizationArgs activations = group.inputActivations()
                    .orElseThrow(() -> new CheckpointConfigException(group.name() + " has FP8 weights but no input_activations (weight-only FP8 is not supported)"));
            GroupShape activationScales = switch (activations.strategy()) {
                case "token" -> GroupShape.PER_TOKEN;
                case "tensor" -> GroupShape.PER_TENSOR;
                default -> throw new CheckpointConfigException(group.name() + " activation strategy '" + activations.strategy() + "' is not supported");
            };
            return scaledMm(tensors, weightScales, activationScales, !activations.dynamic(), parallelism, activationType, tensorParallel);
        }
        if (!weights.strategy().equals("group") && !weights.strategy().equals("channel")) {
            throw new CheckpointConfigException(group.name() + " weight strategy '" + weights.strategy() + "' is not supported for integer weights; use group or channel");
        }
        TensorInfo packed = tensors.get("weight_packed");
        int n = Math.toIntExact(packed.dim(0));
        int packedK = Math.toIntExact(packed.dim(1) * (32 / weights.numBits()));
        int groups = groupCountOf(tensors.get("weight_scale"), 1);
        int groupSize = weights.strategy().equals("group") ? weights.groupSize() : -1;
        // the packer pads K up to whole words; with groups, K is exactly groups x group size
        int k = groupSize > 0 && (long) groups * groupSize <= packedK && packedK - (long) groups * groupSize < 32 / weights.numBits() ? groups * groupSize : packedK;
        boolean actOrder = weights.actOrder().filter(order -> order.equals("group")).isPresent();
        return weightOnly(name, weights.numBits(), weights.symmetric(), groupSize, actOrder, new LayerShape(k, n), parallelism, activationType, tensorParallel, groups);
    }

    private static WeightOnlyConfig weightOnly(String name, int bits, boolean symmetric, int groupSize, boolean actOrder, LayerShape full,
            LayerPlan.Parallelism parallelism, ScalarType activationType, int tensorParallel, int storedGroups) {
        // a group size that does not divide K leaves a shorter last group: ceil(K / G) groups
        int expectedGroups = groupSize == -1 ? 1 : (full.k() + groupSize - 1) / groupSize;
        if (storedGroups != expectedGroups) {
            throw new CheckpointConfigException("the scales hold " + storedGroups + " groups, but K=" + full.k() + " with group size " + groupSize
                    + " makes " + expectedGroups);
        }
        ScalarType weightType = symmetric ? (bits == 4 ? ScalarType.UINT4B8 : ScalarType.UINT8B128) : (bits == 4 ? ScalarType.UINT4 : ScalarType.UINT8);
        try {
            return new WeightOnlyConfig(full, partition(full, parallelism, tensorParallel), weightType, activationType, groupSize, !symmetric, actOrder, activationType);
        }
        catch (IllegalArgumentException e) {
            throw new CheckpointConfigException(e.getMessage());
        }
    }

    private static ScaledMmConfig scaledMm(Map<String, TensorInfo> tensors, GroupShape weightScales, GroupShape activationScales, boolean staticActivations,
            LayerPlan.Parallelism parallelism, ScalarType activationType, int tensorParallel) {
        TensorInfo weight = tensors.get("weight");
        ScalarType fp8 = switch (weight.dtype()) {
            case "F8_E4M3" -> ScalarType.FLOAT8_E4M3FN;
            case "F8_E5M2" -> ScalarType.FLOAT8_E5M2;
            default -> throw new CheckpointConfigException("FP8 weight has dtype " + weight.dtype());
        };
        LayerShape full = new LayerShape(Math.toIntExact(weight.dim(1)), Math.toIntExact(weight.dim(0)));
        return new ScaledMmConfig(partition(full, parallelism, tensorParallel), QuantKey.of(fp8, weightScales, true),
                QuantKey.of(fp8, activationScales, staticActivations), activationType, activationType, tensors.containsKey("bias"));
    }

    private static LayerShape partition(LayerShape full, LayerPlan.Parallelism parallelism, int tensorParallel) {
        if (tensorParallel == 1) {
            return full;
        }
        int split = parallelism == LayerPlan.Parallelism.COLUMN ? full.n() : full.k();
        String dimension = parallelism == LayerPlan.Parallelism.COLUMN ? "N" : "K";
        if (split % tensorParallel != 0) {
            throw new CheckpointConfigException("tensor parallelism " + tensorParallel + " does not divide " + dimension + "=" + split + " of this "
                    + parallelism.name().toLowerCase(java.util.Locale.ROOT) + "-parallel layer");
        }
        return parallelism == LayerPlan.Parallelism.COLUMN
                ? new LayerShape(full.k(), full.n() / tensorParallel)
                : new LayerShape(full.k() / tensorParallel, full.n());
    }

    /** Column-parallel unless the layer's last name part is one of the row-parallel projections. */
    public static LayerPlan.Parallelism parallelismOf(String layer) {
        String last = layer.substring(layer.lastIndexOf('.') + 1);
        return ROW_PARALLEL_SUFFIXES.contains(last) ? LayerPlan.Parallelism.ROW : LayerPlan.Parallelism.COLUMN;
    }

    /** Orders layer names with numbers compared numerically: layers.2 before layers.10. */
    static int compareNatural(String left, String right) {
        return NATURAL.compare(left, right);
    }

    private static final Comparator<String> NATURAL = (left, right) -> {
        String[] a = left.split("\\.");
        String[] b = right.split("\\.");
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int order = a[i].matches("\\d+") && b[i].matches("\\d+")
                    ? Long.compare(Long.parseLong(a[i]), Long.parseLong(b[i]))
                    : a[i].compareTo(b[i]);
            if (order != 0) {
                return order;
            }
        }
        return Integer.compare(a.length, b.length);
    };
}
