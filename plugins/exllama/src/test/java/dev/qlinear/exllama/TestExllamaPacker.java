package dev.qlinear.exllama;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.reference.layouts.ExllamaLayout;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.UINT4B8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kernel's packer, through {@code prepare} into host memory standing in for a GPU (as the conformance suite's
 * layout cases do it), against core's reference packer, written independently from the layout's definition.
 */
final class TestExllamaPacker {

    private static final ExllamaKernel KERNEL = new ExllamaKernel(TestExllamaKernel.BUILT, ExllamaSettings.of(Optional.empty(), Optional.empty()));
    private static final CpuDevice STAND_IN = new CpuDevice(Platform.parse("cuda:sm_90"));

    @ParameterizedTest(name = "K={0} N={1} {2} G={3} act-order={4} scales {5}")
    @CsvSource({
            "128, 64, uint4b8, 32, false, float16",
            "2112, 576, uint4b8, 64, true, float16",
            "576, 704, uint4b8, 64, true, bfloat16",
            "4224, 128, uint4b8, -1, false, float32",
            "704, 2112, uint8b128, 32, true, float16",
            "512, 1152, uint8b128, 256, false, bfloat16",
            "256, 200, uint8b128, -1, false, float16",
            "1024, 40, uint4b8, 256, true, float32"})
    void equalsTheReferencePackerBitForBit(int k, int n, String type, int groupSize, boolean actOrder, String scaleType) {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(k * 31L + n), k, n, ScalarType.parse(type), groupSize, actOrder, ScalarType.parse(scaleType),
                    true, arena);
            Map<String, HostTensor> expected = new ExllamaLayout().pack(layer.config(), layer.weights(), arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), STAND_IN)) {
                Map<String, Tensor> actual = prepared.layoutTensors();
                assertThat(actual.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
                assertThat(actual.keySet()).contains("codes", "scales");
                assertThat(actual.containsKey("perm")).isEqualTo(actOrder);
                for (Map.Entry<String, HostTensor> entry : expected.entrySet()) {
                    HostTensor tensor = (HostTensor) actual.get(entry.getKey());
                    assertThat(tensor.contentEquals(entry.getValue())).as("tensor %s %s vs %s", entry.getKey(), tensor, entry.getValue()).isTrue();
                }
                int perWord = 32 / ScalarType.parse(type).sizeBits();
                long groups = groupSize == -1 ? 1 : k / groupSize;
                long bytes = 4L * k / perWord * n + 2L * groups * n + (actOrder ? 4L * k : 0) + 2L * n;
                assertThat(prepared.deviceBytes()).isEqualTo(bytes);
            }
        }
    }

    @Test
    void theFirstWordOfALayerIsShuffledAsDefined() {
        // rows 0..7 of column 0 hold codes 0..7: the canonical word 0x76543210 becomes 0x75316420
        int[] codes = new int[32 * 8];
        for (int row = 0; row < 32; row++) {
            for (int column = 0; column < 8; column++) {
                codes[row * 8 + column] = (row + column) % 16;
            }
        }
        QuantizedMatrix matrix = new QuantizedMatrix(UINT4B8, 32, 8, 32, FLOAT16, codes, new int[8], Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            WeightOnlyConfig config = WeightOnlyConfig.unsharded(32, 8, UINT4B8, FLOAT16, 32, false, false);
            ExllamaPacker.Packed packed = ExllamaPacker.pack(config, CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
            assertThat(packed.codes().segment().getAtIndex(ExllamaPacker.INT, 0)).isEqualTo(0x75316420);
            // column 1 holds codes 1..8
            assertThat(packed.codes().segment().getAtIndex(ExllamaPacker.INT, 1)).isEqualTo(0x86427531);
            assertThat(packed.perm()).isEmpty();
            assertThat(packed.bias()).isEmpty();
        }
    }

    @Test
    void refusesAnActOrderGroupThatDoesNotHoldExactlyGRows() {
        // K = 64, G = 32: group 0 gets 33 rows, group 1 gets 31
        int[] groupIndex = new int[64];
        for (int row = 0; row < 64; row++) {
            groupIndex[row] = row <= 32 ? 0 : 1;
        }
        QuantizedMatrix matrix = new QuantizedMatrix(UINT4B8, 64, 8, 32, FLOAT16, new int[64 * 8], new int[2 * 8], Optional.empty(), Optional.of(groupIndex));
        try (Arena arena = Arena.ofConfined()) {
            WeightOnlyConfig config = WeightOnlyConfig.unsharded(64, 8, UINT4B8, FLOAT16, 32, false, true);
            assertThatThrownBy(() -> KERNEL.prepare(config, CanonicalWeights.of(matrix, Optional.empty(), arena), STAND_IN))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("act-order group 0 holds 33 rows; the exllama-gptq layout needs exactly G=32 rows in every group, as GPTQ act-order makes them");
        }
    }

    @Test
    void refusesWeightsThatDoNotMatchTheConfig() {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(3), 256, 64, UINT4B8, 64, false, FLOAT16, arena);
            WeightOnlyConfig other = WeightOnlyConfig.unsharded(256, 128, UINT4B8, FLOAT16, 64, false, false);
            assertThatThrownBy(() -> KERNEL.prepare(other, layer.weights(), STAND_IN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shape of the weights must be K=256 N=128, got K=256 N=64");
            WeightOnlyConfig actOrder = WeightOnlyConfig.unsharded(256, 64, UINT4B8, FLOAT16, 64, false, true);
            assertThatThrownBy(() -> KERNEL.prepare(actOrder, layer.weights(), STAND_IN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("group index of the weights must be present, got absent");
        }
    }

    @Test
    void aLayerPreparedIntoHostMemoryHoldsItsLayoutButDoesNotCompute() {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(5), 256, 64, UINT4B8, 64, true, FLOAT16, arena);
            PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), STAND_IN);
            assertThat(prepared.config()).isEqualTo(layer.config());
            assertThat(prepared).hasToString("exllama-gptq layer K=256 N=64 uint4b8 group 64 act-order");
            HostTensor input = HostTensor.allocate(arena, FLOAT16, 1, 256);
            HostTensor output = HostTensor.allocate(arena, FLOAT16, 1, 64);
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, STAND_IN.defaultStream())).isInstanceOf(IllegalStateException.class)
                    .hasMessage("exllama-gptq layer K=256 N=64 uint4b8 group 64 act-order was prepared into host memory, standing in for cuda:sm_90, "
                            + "to check its layout: exllama computes on CUDA devices");
            prepared.close();
            prepared.close();
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, STAND_IN.defaultStream())).isInstanceOf(IllegalStateException.class)
                    .hasMessage("exllama-gptq layer K=256 N=64 uint4b8 group 64 act-order is closed");
        }
    }
}
