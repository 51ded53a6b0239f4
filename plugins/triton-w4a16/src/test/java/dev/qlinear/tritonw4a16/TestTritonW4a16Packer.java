package dev.qlinear.tritonw4a16;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.reference.layouts.TritonW4a16Layout;
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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.UINT4;
import static dev.qlinear.spi.type.ScalarType.UINT4B8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kernel's packer, through {@code prepare} into host memory standing in for a GPU (as the conformance suite's
 * layout cases do it), against core's reference packer, written independently from the layout's definition.
 */
final class TestTritonW4a16Packer {

    private static final TritonW4a16Kernel KERNEL = new TritonW4a16Kernel();
    private static final CpuDevice STAND_IN = new CpuDevice(Platform.parse("cuda:sm_90"));

    @ParameterizedTest(name = "K={0} N={1} {2} G={3} {4} scales {5} bias {6}")
    @CsvSource({
            "128, 64, uint4b8, 32, float16, float16, none",
            "4096, 256, uint4b8, 128, bfloat16, bfloat16, bfloat16",
            "2112, 576, uint4b8, 128, bfloat16, float16, float32",
            "2112, 64, uint4, 256, float16, float32, float16",
            "704, 2112, uint4, 128, bfloat16, bfloat16, none",
            "1000, 40, uint4b8, -1, float16, float32, none",
            "104, 8, uint4, 32, bfloat16, float32, bfloat16",
            "40, 16, uint4b8, 64, float16, float16, float16",
            "512, 72, uint4, 512, bfloat16, float16, none"})
    void equalsTheReferencePackerBitForBit(int k, int n, String type, int groupSize, String activation, String scaleType, String bias) {
        try (Arena arena = Arena.ofConfined()) {
            Optional<ScalarType> biasType = bias.equals("none") ? Optional.empty() : Optional.of(ScalarType.parse(bias));
            Layers.Layer layer = Layers.random(new SplittableRandom(k * 31L + n), k, n, ScalarType.parse(type), groupSize, ScalarType.parse(activation),
                    ScalarType.parse(scaleType), biasType, arena);
            Map<String, HostTensor> expected = new TritonW4a16Layout().pack(layer.config(), layer.weights(), arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), STAND_IN)) {
                Map<String, Tensor> actual = prepared.layoutTensors();
                assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
                assertThat(actual.containsKey("zero_points")).isEqualTo(type.equals("uint4"));
                for (Map.Entry<String, HostTensor> entry : expected.entrySet()) {
                    HostTensor tensor = (HostTensor) actual.get(entry.getKey());
                    assertThat(tensor.contentEquals(entry.getValue())).as("tensor %s %s vs %s", entry.getKey(), tensor, entry.getValue()).isTrue();
                }
                long groups = layer.config().groupCount();
                long bytes = 4L * Math.ceilDiv(k, 8) * n + 2L * groups * n + (type.equals("uint4") ? groups * n : 0) + (biasType.isPresent() ? 2L * n : 0);
                assertThat(prepared.deviceBytes()).isEqualTo(bytes);
            }
        }
    }

    /** K that no word divides: the kernel refuses it (its images assume K % 8 == 0), but the packer follows the layout's definition. */
    @ParameterizedTest(name = "K={0} N={1} {2} G={3}")
    @CsvSource({"100, 8, uint4, 32", "37, 16, uint4b8, 64", "12, 24, uint4b8, -1", "131, 8, uint4, 128"})
    void packsAKThatNoWordDividesAsTheReferenceDoes(int k, int n, String type, int groupSize) {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(k * 17L + n), k, n, ScalarType.parse(type), groupSize, BFLOAT16, FLOAT32,
                    Optional.empty(), arena);
            Map<String, HostTensor> expected = new TritonW4a16Layout().pack(layer.config(), layer.weights(), arena);
            TritonW4a16Packer.Packed packed = TritonW4a16Packer.pack(layer.config(), layer.weights(), arena);
            assertThat(HostTensor.wrap(packed.codes().segment(), ScalarType.INT32, Math.ceilDiv(k, 8), n).contentEquals(expected.get("codes"))).isTrue();
            assertThat(HostTensor.wrap(packed.scales().segment(), BFLOAT16, layer.config().groupCount(), n).contentEquals(expected.get("scales"))).isTrue();
            assertThat(packed.zeroPoints().map(buffer -> HostTensor.wrap(buffer.segment(), ScalarType.UINT8, layer.config().groupCount(), n)
                    .contentEquals(expected.get("zero_points")))).isEqualTo(type.equals("uint4") ? Optional.of(true) : Optional.empty());
        }
    }

    @Test
    void copiesTheCanonicalWordsAndClearsRowsPastK() {
        // K = 12, N = 8: row k of column n holds (k + n) % 16; word row 1 holds rows 8..11 in its low 16 bits
        int[] codes = new int[12 * 8];
        for (int row = 0; row < 12; row++) {
            for (int column = 0; column < 8; column++) {
                codes[row * 8 + column] = (row + column) % 16;
            }
        }
        QuantizedMatrix matrix = new QuantizedMatrix(UINT4B8, 12, 8, -1, FLOAT16, codes, new int[8], Optional.empty(), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            WeightOnlyConfig config = WeightOnlyConfig.unsharded(12, 8, UINT4B8, FLOAT16, -1, false, false);
            TritonW4a16Packer.Packed packed = TritonW4a16Packer.pack(config, CanonicalWeights.of(matrix, Optional.empty(), arena), arena);
            MemorySegment words = packed.codes().segment();
            assertThat(packed.codes().size(0)).isEqualTo(2);
            assertThat(words.getAtIndex(TritonW4a16Packer.INT, 0)).isEqualTo(0x76543210);
            assertThat(words.getAtIndex(TritonW4a16Packer.INT, 1)).isEqualTo(0x87654321);
            assertThat(words.getAtIndex(TritonW4a16Packer.INT, 8)).isEqualTo(0x0000BA98);
            assertThat(words.getAtIndex(TritonW4a16Packer.INT, 15)).isEqualTo(0x0000210F);
            assertThat(packed.zeroPoints()).isEmpty();
            assertThat(packed.bias()).isEmpty();
        }
    }

    @Test
    void keepsRawZeroPointsAndRoundsScalesAndBiasToTheActivationType() {
        // uint4, K = 16, N = 8, G = 8: z(g, n) = (7g + n) % 16; fp32 scale 1 + 2^-8 is a bfloat16 tie that goes to even 1.0
        int[] zeros = new int[16];
        int[] scales = new int[16];
        for (int index = 0; index < 16; index++) {
            zeros[index] = (7 * (index / 8) + index % 8) % 16;
            scales[index] = Float.floatToRawIntBits(1.00390625f);
        }
        QuantizedMatrix matrix = new QuantizedMatrix(UINT4, 16, 8, 8, FLOAT32, new int[16 * 8], scales, Optional.of(zeros), Optional.empty());
        try (Arena arena = Arena.ofConfined()) {
            HostTensor bias = HostTensor.allocate(arena, FLOAT32, 8);
            for (int column = 0; column < 8; column++) {
                bias.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, column, 1.01171875f);
            }
            WeightOnlyConfig config = WeightOnlyConfig.unsharded(16, 8, UINT4, BFLOAT16, 8, true, false);
            TritonW4a16Packer.Packed packed = TritonW4a16Packer.pack(config, CanonicalWeights.of(matrix, Optional.of(bias), arena), arena);
            assertThat(packed.scales().dtype()).isEqualTo(BFLOAT16);
            assertThat(packed.scales().segment().toArray(TritonW4a16Packer.HALF)).containsOnly((short) 0x3F80);
            // 1 + 3 * 2^-8 is a tie that goes to the even 0x3F82
            assertThat(packed.bias().orElseThrow().segment().toArray(TritonW4a16Packer.HALF)).containsOnly((short) 0x3F82);
            byte[] raw = packed.zeroPoints().orElseThrow().segment().toArray(ValueLayout.JAVA_BYTE);
            assertThat(raw).hasSize(16);
            for (int index = 0; index < 16; index++) {
                assertThat(Byte.toUnsignedInt(raw[index])).isEqualTo(zeros[index]);
            }
        }
    }

    @Test
    void refusesWeightsThatDoNotMatchTheConfigAndScalesTheTypeCannotHold() {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(3), 256, 64, UINT4B8, 64, FLOAT16, FLOAT16, Optional.empty(), arena);
            WeightOnlyConfig other = WeightOnlyConfig.unsharded(256, 128, UINT4B8, FLOAT16, 64, false, false);
            assertThatThrownBy(() -> KERNEL.prepare(other, layer.weights(), STAND_IN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shape of the weights must be K=256 N=128, got K=256 N=64");
            WeightOnlyConfig groups = WeightOnlyConfig.unsharded(256, 64, UINT4B8, FLOAT16, 128, false, false);
            assertThatThrownBy(() -> KERNEL.prepare(groups, layer.weights(), STAND_IN)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("groups of the weights must be 2, got 4");

            QuantizedMatrix huge = new QuantizedMatrix(UINT4B8, 8, 8, -1, FLOAT32, new int[64], fill(8, Float.floatToRawIntBits(1.0e6f)), Optional.empty(),
                    Optional.empty());
            WeightOnlyConfig config = WeightOnlyConfig.unsharded(8, 8, UINT4B8, FLOAT16, -1, false, false);
            assertThatThrownBy(() -> KERNEL.prepare(config, CanonicalWeights.of(huge, Optional.empty(), arena), STAND_IN))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("scale of group 0, column 0 is 1000000.0, which float16 cannot hold");
        }
    }

    @Test
    void aLayerPreparedIntoHostMemoryHoldsItsLayoutButDoesNotCompute() {
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(5), 2112, 64, UINT4, 128, BFLOAT16, BFLOAT16, Optional.empty(), arena);
            PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), STAND_IN);
            assertThat(prepared.config()).isEqualTo(layer.config());
            assertThat(prepared).hasToString("triton-w4a16-kn8 layer K=2112 N=64 uint4 x bfloat16 group 128 zero points");
            HostTensor input = HostTensor.allocate(arena, BFLOAT16, 1, 2112);
            HostTensor output = HostTensor.allocate(arena, BFLOAT16, 1, 64);
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, STAND_IN.defaultStream())).isInstanceOf(IllegalStateException.class)
                    .hasMessage("triton-w4a16-kn8 layer K=2112 N=64 uint4 x bfloat16 group 128 zero points was prepared into host memory, standing in for "
                            + "cuda:sm_90, to check its layout: triton-w4a16 computes on CUDA and ROCm devices");
            prepared.close();
            prepared.close();
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, STAND_IN.defaultStream())).isInstanceOf(IllegalStateException.class)
                    .hasMessage("triton-w4a16-kn8 layer K=2112 N=64 uint4 x bfloat16 group 128 zero points is closed");
        }
    }

    private static int[] fill(int length, int value) {
        int[] values = new int[length];
        Arrays.fill(values, value);
        return values;
    }
}
