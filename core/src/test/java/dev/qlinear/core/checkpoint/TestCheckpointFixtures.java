package dev.qlinear.core.checkpoint;

import dev.qlinear.core.checkpoint.fixtures.CheckpointFixtures;
import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.safetensors.ShardedCheckpoint;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The fixture checkpoints, written by qlinear's writers, read back through headers, plans and every format. */
final class TestCheckpointFixtures {

    private static Path root;

    @BeforeAll
    static void writeFixtures(@TempDir Path directory) throws Exception {
        root = directory;
        CheckpointFixtures.writeAll(root, System.nanoTime());
    }

    @Test
    void everyFixtureIsAShardedCheckpointWithAConfig() {
        for (String name : CheckpointFixtures.descriptions().keySet()) {
            Path checkpoint = root.resolve(name);
            assertThat(checkpoint.resolve("config.json")).isRegularFile();
            assertThat(checkpoint.resolve(ShardedCheckpoint.INDEX_FILE)).isRegularFile();
            assertThat(checkpoint.resolve("model-00002-of-00002.safetensors")).isRegularFile();
        }
    }

    @Test
    void plansEveryLinearLayerWithItsShapeAndScheme() throws Exception {
        Map<String, WeightOnlyConfig> downProjections = Map.of(
                "llama-gptq-w4g64", WeightOnlyConfig.unsharded(2112, 576, ScalarType.UINT4B8, ScalarType.FLOAT16, 64, false, false),
                "llama-gptq-w4g32-actorder", WeightOnlyConfig.unsharded(2112, 576, ScalarType.UINT4B8, ScalarType.FLOAT16, 32, false, true),
                "llama-awq-w4g64", WeightOnlyConfig.unsharded(2112, 576, ScalarType.UINT4, ScalarType.FLOAT16, 64, true, false),
                "llama-ct-w4a16-asym-g32", WeightOnlyConfig.unsharded(2112, 576, ScalarType.UINT4, ScalarType.BFLOAT16, 32, true, false));
        for (Map.Entry<String, WeightOnlyConfig> expected : downProjections.entrySet()) {
            CheckpointSummary summary = CheckpointReader.summarize(root.resolve(expected.getKey()));
            List<LayerPlan> plans = CheckpointLayers.plan(summary.quantization(), summary.tensors(), summary.activationType(), 1);

            assertThat(plans).as(expected.getKey()).hasSize(1 + 7 * CheckpointFixtures.SHAPE.layers());
            assertThat(plans).filteredOn(plan -> plan.name().equals("model.layers.1.mlp.down_proj")).singleElement()
                    .satisfies(plan -> assertThat(plan.config()).as(expected.getKey()).contains(expected.getValue()));
            assertThat(plans).filteredOn(plan -> plan.name().equals("lm_head")).singleElement()
                    .satisfies(plan -> assertThat(plan.format()).isEqualTo(LayerPlan.UNQUANTIZED));
        }
        CheckpointSummary fp8 = CheckpointReader.summarize(root.resolve("llama-fp8-dynamic"));
        LayerPlan kProjection = CheckpointLayers.plan(fp8.quantization(), fp8.tensors(), fp8.activationType(), 1).stream()
                .filter(plan -> plan.name().equals("model.layers.0.self_attn.k_proj")).findFirst().orElseThrow();
        ScaledMmConfig config = (ScaledMmConfig) kProjection.config().orElseThrow();
        assertThat(config.k()).isEqualTo(576);
        assertThat(config.n()).isEqualTo(192);
    }

    @Test
    void loadsEveryQuantizedLayerIntoCanonicalWeights() throws Exception {
        for (String name : CheckpointFixtures.descriptions().keySet()) {
            CheckpointSummary summary = CheckpointReader.summarize(root.resolve(name));
            List<LayerPlan> plans = CheckpointLayers.plan(summary.quantization(), summary.tensors(), summary.activationType(), 1);
            try (ShardedCheckpoint checkpoint = ShardedCheckpoint.open(root.resolve(name)); Arena arena = Arena.ofConfined()) {
                for (LayerPlan plan : plans.stream().filter(LayerPlan::isQuantized).toList()) {
                    QuantizedWeights weights = CheckpointLoader.load(checkpoint, summary.quantization().orElseThrow(), plan, arena);
                    switch (weights) {
                        case QuantizedWeights.WeightOnly weightOnly -> {
                            QuantizedMatrix matrix = CanonicalWeights.toMatrix(weightOnly);
                            WeightOnlyConfig config = (WeightOnlyConfig) plan.config().orElseThrow();
                            assertThat(matrix.k()).isEqualTo(config.k());
                            assertThat(matrix.hasActOrder()).isEqualTo(config.actOrder());
                            // RTN of Gaussian weights with std 0.02: dequantized values stay small and are not all zero
                            double largest = 0;
                            for (int row = 0; row < matrix.k(); row++) {
                                largest = Math.max(largest, Math.abs(matrix.dequantized(row, 0)));
                            }
                            assertThat(largest).as(name + " " + plan.name()).isBetween(0.01, 0.2);
                        }
                        case QuantizedWeights.ScaledMm scaledMm -> assertThat(scaledMm.weight().dtype()).isEqualTo(ScalarType.FLOAT8_E4M3FN);
                    }
                }
            }
        }
    }

    @Test
    void fixturesDoNotOverwriteEachOther() throws Exception {
        try (java.util.stream.Stream<Path> files = Files.list(root)) {
            assertThat(files.map(path -> path.getFileName().toString()).toList()).containsExactlyInAnyOrderElementsOf(CheckpointFixtures.descriptions().keySet());
        }
    }
}
