package dev.qlinear.core.checkpoint;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

final class TestLayerNames {

    @Test
    void foldsTheFirstIndexIntoRanges() {
        assertThat(LayerNames.summarize(List.of(
                "model.layers.0.mlp.down_proj", "model.layers.1.mlp.down_proj", "model.layers.2.mlp.down_proj",
                "model.layers.5.mlp.down_proj", "model.layers.7.mlp.down_proj", "model.layers.8.mlp.down_proj", "lm_head")))
                .containsExactly("model.layers.{0..2,5,7..8}.mlp.down_proj", "lm_head");
    }

    @Test
    void keepsASingleIndexAndDistinctPatternsApart() {
        assertThat(LayerNames.summarize(List.of("model.layers.3.self_attn.q_proj", "model.layers.3.self_attn.k_proj")))
                .containsExactly("model.layers.3.self_attn.q_proj", "model.layers.3.self_attn.k_proj");
    }
}
