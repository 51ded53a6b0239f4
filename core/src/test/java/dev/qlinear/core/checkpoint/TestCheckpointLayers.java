package dev.qlinear.core.checkpoint;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

final class TestCheckpointLayers {

    private static final Optional<QuantizationConfig> GPTQ = Optional.of(new QuantizationConfig.Gptq(4, 32, false, true, false));

    private static void tensor(Map<String, TensorInfo> tensors, String name, String dtype, long... shape) {
        tensors.put(name, new TensorInfo(name, dtype, java.util.Arrays.stream(shape).boxed().toList()));
    }

    /** GPTQ tensors of a layer K x N with group size 32. */
    private static void gptqLayer(Map<String, TensorInfo> tensors, String layer, int k, int n) {
        tensor(tensors, layer + ".qweight", "I32", k / 8, n);
        tensor(tensors, layer + ".qzeros", "I32", k / 32, n / 8);
        tensor(tensors, layer + ".scales", "F16", k / 32, n);
        tensor(tensors, layer + ".g_idx", "I32", k);
    }

    @Test
    void findsGptqLayersWithTheirShapesAndSkipsNonLinearTensors() {
        Map<String, TensorInfo> tensors = new HashMap<>();
        gptqLayer(tensors, "model.layers.10.mlp.down_proj", 2112, 576);
        gptqLayer(tensors, "model.layers.2.mlp.down_proj", 2112, 576);
        gptqLayer(tensors, "model.layers.2.mlp.gate_proj", 576, 2112);
        tensor(tensors, "model.embed_tokens.weight", "BF16", 32000, 576);
        tensor(tensors, "model.norm.weight", "BF16", 576);
        tensor(tensors, "lm_head.weight", "BF16", 32000, 576);

        List<LayerPlan> plans = CheckpointLayers.plan(GPTQ, tensors, ScalarType.BFLOAT16, 1);

        assertThat(plans).extracting(LayerPlan::name).containsExactly(
                "lm_head", "model.layers.2.mlp.down_proj", "model.layers.2.mlp.gate_proj", "model.layers.10.mlp.down_proj");
        assertThat(plans.getFirst().format()).isEqualTo(LayerPlan.UNQUANTIZED);
        assertThat(plans.get(1).config()).contains(WeightOnlyConfig.unsharded(2112, 576, ScalarType.UINT4B8, ScalarType.BFLOAT16, 32, false, false));
        assertThat(plans.get(1).parallelism()).isEqualTo(LayerPlan.Parallelism.ROW);
        assertThat(plans.get(2).parallelism()).isEqualTo(LayerPlan.Parallelism.COLUMN);
    }

    @Test
    void tensorParallelismSplitsColumnLayersAlongNAndRowLayersAlongK() {
        Map<String, TensorInfo> tensors = new HashMap<>();
        gptqLayer(tensors, "model.layers.0.mlp.down_proj", 2112, 576);
        gptqLayer(tensors, "model.layers.0.mlp.up_proj", 576, 2112);

        List<LayerPlan> tp2 = CheckpointLayers.plan(GPTQ, tensors, ScalarType.FLOAT16, 2);
        List<LayerPlan> tp8 = CheckpointLayers.plan(GPTQ, tensors, ScalarType.FLOAT16, 8);

        WeightOnlyConfig down = (WeightOnlyConfig) tp2.getFirst().config().orElseThrow(() -> new AssertionError(tp2.getFirst().problem()));
        WeightOnlyConfig up = (WeightOnlyConfig) tp2.get(1).config().orElseThrow(() -> new AssertionError(tp2.get(1).problem()));
        assertThat(down.partitionShape()).isEqualTo(new LayerShape(1056, 576));
        assertThat(down.isRowParallel()).isTrue();
        assertThat(down.fullShape()).isEqualTo(new LayerShape(2112, 576));
        assertThat(up.partitionShape()).isEqualTo(new LayerShape(576, 1056));
        // 2112 / 8 = 264 is not a multiple of the group size 32
        assertThat(tp8.getFirst().config()).isEmpty();
        assertThat(tp8.getFirst().problem()).contains("group size 32 does not divide K=264 of this partition (full K=2112): a tensor-parallel rank must hold whole groups");
        assertThat(tp8.get(1).config()).isPresent();
    }

    @Test
    void compressedTensorsSchemesPerGroupAndFp8Layers() {
        QuantizationConfig.QuantizationArgs int4 = new QuantizationConfig.QuantizationArgs(4, "int", false, "group", 32, Optional.of("group"), false);
        QuantizationConfig.QuantizationArgs fp8Weights = new QuantizationConfig.QuantizationArgs(8, "float", true, "channel", -1, Optional.empty(), false);
        QuantizationConfig.QuantizationArgs fp8Tokens = new QuantizationConfig.QuantizationArgs(8, "float", true, "token", -1, Optional.empty(), true);
        Optional<QuantizationConfig> config = Optional.of(new QuantizationConfig.CompressedTensors("mixed", List.of(
                new QuantizationConfig.SchemeGroup("group_0", List.of("re:.*mlp.*"), int4, Optional.empty()),
                new QuantizationConfig.SchemeGroup("group_1", List.of("re:.*self_attn.*"), fp8Weights, Optional.of(fp8Tokens))), List.of("lm_head")));
        Map<String, TensorInfo> tensors = new HashMap<>();
        tensor(tensors, "model.layers.0.mlp.down_proj.weight_packed", "I32", 576, 704 / 8);
        tensor(tensors, "model.layers.0.mlp.down_proj.weight_scale", "BF16", 576, 704 / 32);
        tensor(tensors, "model.layers.0.mlp.down_proj.weight_zero_point", "I32", 576 / 8, 704 / 32);
        tensor(tensors, "model.layers.0.mlp.down_proj.weight_g_idx", "I32", 704);
        tensor(tensors, "model.layers.0.mlp.down_proj.weight_shape", "I64", 2);
        tensor(tensors, "model.layers.0.self_attn.o_proj.weight", "F8_E4M3", 576, 576);
        tensor(tensors, "model.layers.0.self_attn.o_proj.weight_scale", "F32", 576, 1);
        tensor(tensors, "lm_head.weight", "BF16", 32000, 576);

        List<LayerPlan> plans = CheckpointLayers.plan(config, tensors, ScalarType.BFLOAT16, 1);

        assertThat(plans).extracting(LayerPlan::name).containsExactly("lm_head", "model.layers.0.mlp.down_proj", "model.layers.0.self_attn.o_proj");
        assertThat(plans.get(1).config()).contains(WeightOnlyConfig.unsharded(704, 576, ScalarType.UINT4, ScalarType.BFLOAT16, 32, true, true));
        ScaledMmConfig fp8 = (ScaledMmConfig) plans.get(2).config().orElseThrow();
        assertThat(fp8.weightQuant().groupShape()).isEqualTo(GroupShape.PER_CHANNEL);
        assertThat(fp8.activationQuant().groupShape()).isEqualTo(GroupShape.PER_TOKEN);
        assertThat(fp8.activationQuant().staticScale()).isFalse();
        assertThat(fp8.shape()).isEqualTo(new LayerShape(576, 576));
    }

    @Test
    void scalesThatContradictTheGroupSizeAreReportedOnTheLayer() {
        Map<String, TensorInfo> tensors = new HashMap<>();
        gptqLayer(tensors, "model.layers.0.mlp.down_proj", 2112, 576);
        tensor(tensors, "model.layers.0.mlp.down_proj.scales", "F16", 2112 / 128, 576);

        LayerPlan plan = CheckpointLayers.plan(GPTQ, tensors, ScalarType.FLOAT16, 1).getFirst();

        assertThat(plan.problem()).contains("the scales hold 16 groups, but K=2112 with group size 32 makes 66");
    }
}
