package dev.qlinear.cli.bench;

import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestShapesAndSettings {

    @Test
    void presetsHoldTheLlamaLayersOfKernelsSection94() {
        assertThat(ShapeLists.parse(List.of("llama3-8b")).stream().map(BenchShape::layer))
                .containsExactly(new LayerKey(6144, 4096), new LayerKey(4096, 4096), new LayerKey(28672, 4096), new LayerKey(4096, 14336));
        assertThat(ShapeLists.parse(List.of("llama3-70b")).stream().map(BenchShape::layer))
                .containsExactly(new LayerKey(10240, 8192), new LayerKey(8192, 8192), new LayerKey(57344, 8192), new LayerKey(8192, 28672));
        assertThat(ShapeLists.parse(List.of("all"))).hasSize(13);
    }

    @Test
    void mixesPresetsAndExplicitShapesOnceEach() {
        List<BenchShape> shapes = ShapeLists.parse(List.of("4096x2112", "awkward", "6144X4096", "llama3-8b"));

        assertThat(shapes.getFirst()).isEqualTo(new BenchShape(new LayerKey(4096, 2112), Optional.empty()));
        assertThat(shapes.stream().map(BenchShape::layer).distinct()).hasSameSizeAs(shapes);
        assertThat(shapes.get(5).describe()).isEqualTo("6144x4096");
    }

    @Test
    void badShapesNameTheValue() {
        assertThatThrownBy(() -> ShapeLists.parse(List.of("4096x"))).hasMessageStartingWith("shape '4096x' is neither a preset (llama3-8b, llama3-70b, awkward, all)");
        assertThatThrownBy(() -> ShapeLists.parse(List.of("0x4096"))).hasMessage("shape '0x4096' needs N and K between 1 and 2147483647");
        assertThatThrownBy(() -> ShapeLists.parse(List.of("llama3-7b"))).hasMessageContaining("'llama3-7b'");
    }

    @Test
    void aGroupThatDoesNotDivideKShrinksToAPowerOfTwoThatDoes() {
        BenchSettings settings = settings(128, 200L << 20);

        assertThat(settings.groupFor(4096)).isEqualTo(128);
        assertThat(settings.groupFor(2112)).isEqualTo(64);
        assertThat(settings.groupFor(14784)).isEqualTo(64);
        assertThat(settings.groupFor(3696)).isEqualTo(16);
        assertThat(settings(-1, 1).groupFor(2112)).isEqualTo(-1);
    }

    @Test
    void weightsAreCopiedUntilTheyFillTheRotation() {
        BenchSettings settings = settings(128, 200L << 20);

        // 6144x4096 W4A16: 12.98 MB of codes and scales
        assertThat(settings.copiesFor(12_976_128L)).isEqualTo(17);
        // 57344x8192 fp16 is larger than the rotation on its own
        assertThat(settings.copiesFor(2L * 57344 * 8192)).isEqualTo(1);
        assertThat(settings.copiesFor(1000)).isEqualTo(BenchSettings.MAX_COPIES);
        assertThatThrownBy(() -> settings.copiesFor(0)).hasMessageContaining("at least one byte");
    }

    private static BenchSettings settings(int group, long rotate) {
        return new BenchSettings(ShapeLists.AWKWARD, List.of(1), group, ScalarType.UINT4B8, ScalarType.FLOAT16, 30, 10, 20, rotate, 150);
    }
}
