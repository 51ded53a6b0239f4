package dev.qlinear.core.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestQuantizationConfigParser {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static Optional<QuantizationConfig> parse(String json) throws Exception {
        JsonNode node = MAPPER.readTree(json);
        return QuantizationConfigParser.parse(node);
    }

    @Test
    void gptqWithActOrderAndVersion2() throws Exception {
        assertThat(parse("""
                {"quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 128, "desc_act": true, "sym": true, "checkpoint_format": "gptq_v2"}}
                """)).contains(new QuantizationConfig.Gptq(4, 128, true, true, true));
        assertThat(parse("""
                {"quantization_config": {"quant_method": "gptq", "bits": 8, "group_size": -1}}
                """)).contains(new QuantizationConfig.Gptq(8, -1, false, true, false));
    }

    @Test
    void awq() throws Exception {
        assertThat(parse("""
                {"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": true, "version": "GEMM"}}
                """)).contains(new QuantizationConfig.Awq(4, 128, true));
        assertThatThrownBy(() -> parse("""
                {"quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemv"}}
                """)).hasMessage("quantization_config.version 'gemv' is not supported; AWQ checkpoints must use the gemm layout");
    }

    @Test
    void compressedTensorsWithPerGroupSchemesAndIgnoreList() throws Exception {
        QuantizationConfig config = parse("""
                {"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized",
                  "config_groups": {
                    "group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "int", "symmetric": true, "strategy": "group", "group_size": 128,
                                "actorder": "group"}},
                    "group_1": {"targets": ["re:.*self_attn\\\\.(q|k|v)_proj"], "weights": {"num_bits": 8, "type": "int", "symmetric": false,
                                "strategy": "channel"}}},
                  "ignore": ["lm_head", "re:.*mlp\\\\.gate$"]}}
                """).orElseThrow();

        QuantizationConfig.CompressedTensors ct = (QuantizationConfig.CompressedTensors) config;
        assertThat(ct.groups()).extracting(QuantizationConfig.SchemeGroup::name).containsExactly("group_0", "group_1");
        assertThat(ct.groupFor("model.layers.3.self_attn.k_proj").orElseThrow().name()).isEqualTo("group_1");
        assertThat(ct.groupFor("model.layers.3.mlp.down_proj").orElseThrow().name()).isEqualTo("group_0");
        assertThat(ct.groups().getFirst().weights().actOrder()).contains("group");
        assertThat(ct.groups().get(1).weights().groupSize()).isEqualTo(-1);
        assertThat(ct.ignores("lm_head")).isTrue();
        assertThat(ct.ignores("model.layers.0.mlp.gate")).isTrue();
        assertThat(ct.ignores("model.layers.0.mlp.gate_proj")).isFalse();
    }

    @Test
    void fp8Methods() throws Exception {
        assertThat(parse("""
                {"quantization_config": {"quant_method": "fp8", "activation_scheme": "static"}}
                """)).contains(new QuantizationConfig.Fp8(true, Optional.empty()));
        assertThat(parse("""
                {"quantization_config": {"quant_method": "fp8", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}}
                """)).contains(new QuantizationConfig.Fp8(false, Optional.of(List.of(128, 128))));
    }

    @Test
    void unquantizedModelsHaveNoConfig() throws Exception {
        assertThat(parse("{\"torch_dtype\": \"bfloat16\"}")).isEmpty();
    }

    @Test
    void errorsNameTheFieldAndTheRule() {
        assertThatThrownBy(() -> parse("{\"quantization_config\": {\"quant_method\": \"bitsandbytes\"}}"))
                .isInstanceOf(CheckpointConfigException.class)
                .hasMessage("quantization_config.quant_method 'bitsandbytes' is not supported; supported methods: gptq, awq, compressed-tensors, fp8");
        assertThatThrownBy(() -> parse("{\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 3, \"group_size\": 128}}"))
                .hasMessage("quantization_config.bits is 3; supported: [4, 8]");
        assertThatThrownBy(() -> parse("{\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 0}}"))
                .hasMessage("quantization_config.group_size is 0; it must be -1 (channelwise) or positive");
        assertThatThrownBy(() -> parse("{\"quantization_config\": {\"quant_method\": \"compressed-tensors\", \"config_groups\": {}}}"))
                .hasMessage("quantization_config.config_groups must be a non-empty object");
        assertThatThrownBy(() -> parse("{\"quantization_config\": {\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 128, \"sym\": \"yes\"}}"))
                .hasMessage("quantization_config field 'sym' must be true or false, got \"yes\"");
    }
}
