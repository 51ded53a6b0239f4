package dev.qlinear.core.checkpoint;

import dev.qlinear.core.format.AwqFormat;
import dev.qlinear.core.format.CompressedTensorsFormat;
import dev.qlinear.core.format.Fp8Format;
import dev.qlinear.core.format.GptqFormat;
import dev.qlinear.core.format.LayerTensors;
import dev.qlinear.core.format.WeightOnlyFormat;
import dev.qlinear.core.safetensors.ShardedCheckpoint;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads one planned layer's canonical weights from a mapped checkpoint, with the format its quantization config
 * names. Layouts that already are canonical (GPTQ codes) stay views of the mapped file; the others are repacked
 * into the arena.
 */
public final class CheckpointLoader {

    private CheckpointLoader() {
    }

    /** The format of a weight-only layer of a checkpoint with this config. */
    public static WeightOnlyFormat formatOf(QuantizationConfig config) {
        return switch (config) {
            case QuantizationConfig.Gptq gptq -> gptq.version2() ? GptqFormat.V2 : GptqFormat.V1;
            case QuantizationConfig.Awq awq -> AwqFormat.INSTANCE;
            case QuantizationConfig.CompressedTensors ct -> CompressedTensorsFormat.INSTANCE;
            case QuantizationConfig.Fp8 fp8 -> throw new IllegalArgumentException("fp8 checkpoints hold scaled-mm layers, not weight-only layers");
        };
    }

    /**
     * The canonical weights of the whole (unsharded) layer.
     *
     * @throws IllegalArgumentException when the plan has no config (see its problem)
     */
    public static QuantizedWeights load(ShardedCheckpoint checkpoint, QuantizationConfig config, LayerPlan plan, Arena arena) {
        LayerTensors tensors = tensorsOf(checkpoint, plan.name());
        return switch (plan.config().orElseThrow(() -> new IllegalArgumentException("layer " + plan.name() + " cannot be loaded: " + plan.problem().orElse("unquantized")))) {
            case WeightOnlyConfig layer -> formatOf(config).read(tensors, WeightLayout.canonical(layer.weightType(), layer.fullShape().k(), layer.fullShape().n(),
                    layer.groupSize(), layer.zeroPoints(), layer.actOrder()), arena);
            case ScaledMmConfig layer -> Fp8Format.read(tensors, layer);
        };
    }

    /** The tensors whose names are the layer's name, a dot and one more part. */
    static LayerTensors tensorsOf(ShardedCheckpoint checkpoint, String layer) {
        Map<String, HostTensor> tensors = new HashMap<>();
        String prefix = layer + ".";
        for (String name : checkpoint.tensorNames()) {
            if (name.startsWith(prefix) && name.indexOf('.', prefix.length()) < 0) {
                tensors.put(name.substring(prefix.length()), checkpoint.tensor(name));
            }
        }
        return new LayerTensors(layer, tensors);
    }
}
