package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.reference.FnuzWeights;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.BitSet;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestAiterPreshuffleLayout {

    private static final Platform MI300 = Platform.parse("rocm:gfx942");
    private static final Platform MI350 = Platform.parse("rocm:gfx950");
    private static final AiterPreshuffleLayout LAYOUT = new AiterPreshuffleLayout();

    @Test
    void isRegisteredByName() {
        assertThat(ReferenceLayouts.find("aiter-preshuffle-16x16")).containsInstanceOf(AiterPreshuffleLayout.class);
        assertThat(ReferenceLayouts.names()).contains("aiter-preshuffle-16x16", "canonical");
    }

    /**
     * N = 32, K = 64: two 16-row blocks of 16 x 64 = 1024 bytes, each two 32-byte K tiles of 512 bytes, each two halves
     * of 256 bytes (16 rows x 16 bytes). One non-zero code at a time, found where the hand-computed offset says.
     */
    @Test
    void movesEachElementToItsHandComputedOffset() {
        int[][] cases = {
                // n, k, offset
                {0, 0, 0},
                {0, 15, 15},
                {0, 16, 256},          // second half of the first tile
                {1, 0, 16},            // next row of the half: 16 bytes on
                {15, 15, 255},
                {15, 31, 511},         // last byte of the first tile
                {0, 32, 512},          // second K tile
                {3, 40, 512 + 3 * 16 + 8},
                {2, 63, 512 + 256 + 2 * 16 + 15},
                {16, 0, 1024},         // second 16-row block starts after 16 x K bytes
                {17, 33, 1024 + 512 + 16 + 1},
                {31, 63, 2047}};
        for (int[] entry : cases) {
            assertThat(AiterPreshuffleLayout.offset(entry[0], entry[1], 64)).as("off(%d, %d)", entry[0], entry[1]).isEqualTo(entry[2]);
            byte[] codes = new byte[32 * 64];
            codes[entry[0] * 64 + entry[1]] = 0x11;
            try (Arena arena = Arena.ofConfined()) {
                byte[] packed = bytes(LAYOUT.pack(config(64, 32, ScalarType.FLOAT8_E4M3FN), weights(ScalarType.FLOAT8_E4M3FN, codes, new float[32], 32, 64, arena),
                        arena).get("weight"));
                for (int i = 0; i < packed.length; i++) {
                    assertThat(packed[i]).as("byte %d for (%d, %d)", i, entry[0], entry[1]).isEqualTo(i == entry[2] ? (byte) 0x11 : 0);
                }
            }
        }
    }

    @Test
    void isABijectionOfA32By64Matrix() {
        BitSet seen = new BitSet(32 * 64);
        for (int n = 0; n < 32; n++) {
            for (int k = 0; k < 64; k++) {
                long offset = AiterPreshuffleLayout.offset(n, k, 64);
                assertThat(offset).as("off(%d, %d)", n, k).isBetween(0L, 32L * 64 - 1);
                assertThat(seen.get((int) offset)).as("off(%d, %d) = %d taken twice", n, k, offset).isFalse();
                seen.set((int) offset);
            }
        }
        assertThat(seen.cardinality()).isEqualTo(32 * 64);
    }

    @Test
    void keepsTheCodesAndScalesOfFreshRandomWeightsWithoutAPlatform() {
        long seed = new SecureRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        int n = 48;
        int k = 96;
        byte[] codes = randomCodes(random, n * k);
        float[] scales = randomScales(random, n);
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = LAYOUT.pack(config(k, n, ScalarType.FLOAT8_E4M3FN), weights(ScalarType.FLOAT8_E4M3FN, codes, scales, n, k, arena), arena);
            assertThat(tensors.keySet()).containsExactly("weight", "weight_scale");
            HostTensor weight = tensors.get("weight");
            assertThat(weight.dtype()).isEqualTo(ScalarType.FLOAT8_E4M3FN);
            assertThat(weight.shape()).containsExactly(n, k);
            assertThat(unshuffle(bytes(weight), n, k)).as("seed %d", seed).isEqualTo(codes);
            HostTensor weightScale = tensors.get("weight_scale");
            assertThat(weightScale.dtype()).isEqualTo(ScalarType.FLOAT32);
            assertThat(weightScale.shape()).containsExactly(n);
            assertThat(floats(weightScale)).as("seed %d", seed).isEqualTo(scales);
        }
    }

    @Test
    void convertsE4m3fnToE4m3fnuzForMi300AndKeepsItForMi350() {
        long seed = new SecureRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        int n = 32;
        int k = 64;
        byte[] codes = randomCodes(random, n * k);
        codes[0] = (byte) 0x80;
        codes[n * k - 1] = (byte) 0x80;
        float[] scales = randomScales(random, n);
        FnuzWeights expected = Fp8Reference.normalizeE4m3fnToFnuz(codes, scales);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights weights = weights(ScalarType.FLOAT8_E4M3FN, codes, scales, n, k, arena);
            Map<String, HostTensor> mi300 = LAYOUT.pack(config(k, n, ScalarType.FLOAT8_E4M3FN), weights, MI300, arena);
            assertThat(mi300.get("weight").dtype()).isEqualTo(ScalarType.FLOAT8_E4M3FNUZ);
            byte[] converted = unshuffle(bytes(mi300.get("weight")), n, k);
            assertThat(converted).as("seed %d", seed).isEqualTo(expected.weight());
            assertThat(converted[0]).isZero();
            assertThat(floats(mi300.get("weight_scale"))).as("seed %d", seed).isEqualTo(expected.weightScales());
            assertThat(floats(mi300.get("weight_scale"))[1]).isEqualTo(2 * scales[1]);

            Map<String, HostTensor> mi350 = LAYOUT.pack(config(k, n, ScalarType.FLOAT8_E4M3FN), weights, MI350, arena);
            assertThat(mi350.get("weight").dtype()).isEqualTo(ScalarType.FLOAT8_E4M3FN);
            assertThat(unshuffle(bytes(mi350.get("weight")), n, k)).as("seed %d", seed).isEqualTo(codes);
            assertThat(floats(mi350.get("weight_scale"))).isEqualTo(scales);
        }
    }

    @Test
    void takesE4m3fnuzWeightsOnMi300AsTheyAre() {
        long seed = new SecureRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        byte[] codes = randomCodes(random, 16 * 32);
        float[] scales = randomScales(random, 16);
        try (Arena arena = Arena.ofConfined()) {
            Map<String, HostTensor> tensors = LAYOUT.pack(config(32, 16, ScalarType.FLOAT8_E4M3FNUZ),
                    weights(ScalarType.FLOAT8_E4M3FNUZ, codes, scales, 16, 32, arena), MI300, arena);
            assertThat(tensors.get("weight").dtype()).isEqualTo(ScalarType.FLOAT8_E4M3FNUZ);
            assertThat(unshuffle(bytes(tensors.get("weight")), 16, 32)).as("seed %d", seed).isEqualTo(codes);
            assertThat(floats(tensors.get("weight_scale"))).isEqualTo(scales);
        }
    }

    @Test
    void refusesShapesTheTilesDoNotCoverNamingTheRule() {
        try (Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> LAYOUT.pack(config(64, 24, ScalarType.FLOAT8_E4M3FN),
                    weights(ScalarType.FLOAT8_E4M3FN, new byte[24 * 64], new float[24], 24, 64, arena), MI300, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("aiter-preshuffle-16x16 needs N % 16 == 0 (16-row tiles), got N=24");
            assertThatThrownBy(() -> LAYOUT.pack(config(48, 16, ScalarType.FLOAT8_E4M3FN),
                    weights(ScalarType.FLOAT8_E4M3FN, new byte[16 * 48], new float[16], 16, 48, arena), MI300, arena))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("aiter-preshuffle-16x16 needs K % 32 == 0 (32-byte K tiles), got K=48");
        }
    }

    @Test
    void refusesPerTensorScalesAndWeightsThatDoNotMatchTheConfig() {
        ScaledMmConfig perTensor = new ScaledMmConfig(new LayerShape(32, 16), QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TENSOR, true),
                QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TOKEN, false), ScalarType.BFLOAT16, ScalarType.BFLOAT16, false);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights weights = weights(ScalarType.FLOAT8_E4M3FN, new byte[16 * 32], new float[16], 16, 32, arena);
            assertThatThrownBy(() -> LAYOUT.pack(perTensor, weights, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("aiter-preshuffle-16x16 holds per-channel weight scales, got per-tensor");
            assertThatThrownBy(() -> LAYOUT.pack(config(64, 16, ScalarType.FLOAT8_E4M3FN), weights, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("aiter-preshuffle-16x16 needs the weight as float8_e4m3fn [N=16, K=64], got float8_e4m3fn [16, 32]");
        }
    }

    static ScaledMmConfig config(int k, int n, ScalarType weightType) {
        return new ScaledMmConfig(new LayerShape(k, n), QuantKey.of(weightType, GroupShape.PER_CHANNEL, true),
                QuantKey.of(weightType, GroupShape.PER_TOKEN, false), ScalarType.BFLOAT16, ScalarType.BFLOAT16, false);
    }

    static QuantizedWeights weights(ScalarType type, byte[] codes, float[] scales, int n, int k, Arena arena) {
        HostTensor weight = HostTensor.allocate(arena, type, n, k);
        for (int i = 0; i < codes.length; i++) {
            weight.segment().set(ValueLayout.JAVA_BYTE, i, codes[i]);
        }
        HostTensor weightScale = HostTensor.allocate(arena, ScalarType.FLOAT32, n, 1);
        for (int i = 0; i < scales.length; i++) {
            weightScale.segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, scales[i]);
        }
        return new QuantizedWeights.ScaledMm(weight, weightScale, Optional.empty(), Optional.empty());
    }

    /** Finite codes of either FP8 type: every byte but the NaN patterns 0x7F and 0xFF. */
    static byte[] randomCodes(SplittableRandom random, int count) {
        byte[] codes = new byte[count];
        for (int i = 0; i < count; i++) {
            int code;
            do {
                code = random.nextInt(256);
            } while ((code & 0x7F) == 0x7F);
            codes[i] = (byte) code;
        }
        return codes;
    }

    static float[] randomScales(SplittableRandom random, int count) {
        float[] scales = new float[count];
        for (int i = 0; i < count; i++) {
            scales[i] = (float) (1e-4 + random.nextDouble() * 1e-2);
        }
        return scales;
    }

    /** Reads the shuffled bytes back in 16-row by 32-byte tiles, each two 16 x 16 halves, as the layout describes them in words. */
    private static byte[] unshuffle(byte[] shuffled, int n, int k) {
        byte[] codes = new byte[n * k];
        int next = 0;
        for (int block = 0; block < n / 16; block++) {
            for (int tile = 0; tile < k / 32; tile++) {
                for (int half = 0; half < 2; half++) {
                    for (int row = 0; row < 16; row++) {
                        for (int byteInRow = 0; byteInRow < 16; byteInRow++) {
                            codes[(block * 16 + row) * k + tile * 32 + half * 16 + byteInRow] = shuffled[next++];
                        }
                    }
                }
            }
        }
        return codes;
    }

    static byte[] bytes(HostTensor tensor) {
        byte[] bytes = new byte[Math.toIntExact(tensor.elementCount())];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = tensor.segment().get(ValueLayout.JAVA_BYTE, i);
        }
        return bytes;
    }

    static float[] floats(HostTensor tensor) {
        float[] floats = new float[Math.toIntExact(tensor.elementCount())];
        for (int i = 0; i < floats.length; i++) {
            floats[i] = tensor.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
        }
        return floats;
    }
}
