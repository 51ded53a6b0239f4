package dev.qlinear.aiterfp8;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.reference.layouts.AiterPreshuffleLayout;
import dev.qlinear.core.reference.layouts.ReferenceLayouts;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FN;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FNUZ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kernel's own tile-by-tile packer against core's element-by-element reference of the layout, bit for bit, on fresh
 * random weights each run, prepared into host memory standing in for MI300 and MI350 as the conformance suite does.
 */
final class TestAiterFp8Packer {

    private static final Platform GFX942 = Platform.parse("rocm:gfx942");
    private static final Platform GFX950 = Platform.parse("rocm:gfx950");

    @TempDir
    Path temp;

    private long seed;
    private SplittableRandom random;
    private AiterFp8Kernel kernel;

    @BeforeEach
    void freshData() {
        seed = new SecureRandom().nextLong();
        random = new SplittableRandom(seed);
        Path home = Installations.lay(temp.resolve("aiter"), List.of(Installations.HEADER,
                tuned("gfx942", "torch.float8_e4m3fnuz", 64, 128), tuned("gfx942", "torch.float8_e4m3fnuz", 704, 576), tuned("gfx942", "torch.float8_e4m3fnuz", 48, 96),
                tuned("gfx950", "torch.float8_e4m3fn", 64, 128), tuned("gfx950", "torch.float8_e4m3fn", 704, 576)), List.of("7"), false);
        kernel = new AiterFp8Kernel(Installations.settings(home));
    }

    private static String tuned(String gfx, String dtype, int n, int k) {
        return gfx + ",304,16," + n + "," + k + "," + dtype + ",ck,7,0,1.0,a8w8_bpreshuffle_test,1,1,0";
    }

    @Test
    void matchesCoreReferenceBitForBitOnMi300AndMi350() {
        AiterPreshuffleLayout reference = (AiterPreshuffleLayout) ReferenceLayouts.find(AiterFp8Kernel.LAYOUT).orElseThrow();
        for (Platform platform : List.of(GFX942, GFX950)) {
            for (ScalarType type : platform.equals(GFX942) ? List.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ) : List.of(FLOAT8_E4M3FN)) {
                for (int[] shape : new int[][] {{128, 64}, {576, 704}}) {
                    ScaledMmConfig config = Layers.ptpc(shape[0], shape[1], type, true);
                    try (Arena arena = Arena.ofConfined()) {
                        QuantizedWeights.ScaledMm weights = Layers.random(random, config, arena);
                        if (type.equals(FLOAT8_E4M3FN)) {
                            // negative zeros, which e4m3fnuz reads as NaN
                            ((HostTensor) weights.weight()).segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0x80);
                            ((HostTensor) weights.weight()).segment().set(ValueLayout.JAVA_BYTE, 17L * shape[0] + 5, (byte) 0x80);
                        }
                        Map<String, HostTensor> expected = reference.pack(config, weights, platform, arena);
                        try (PreparedLayer prepared = kernel.prepare(config, weights, new CpuDevice(platform))) {
                            Map<String, Tensor> actual = prepared.layoutTensors();
                            assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
                            for (String name : expected.keySet()) {
                                HostTensor kernelTensor = (HostTensor) actual.get(name);
                                String what = name + " of " + config + " on " + platform.spec() + ", seed " + seed;
                                assertThat(kernelTensor.dtype()).as(what).isEqualTo(expected.get(name).dtype());
                                assertThat(kernelTensor.shape()).as(what).isEqualTo(expected.get(name).shape());
                                assertThat(kernelTensor.contentEquals(expected.get(name))).as(what).isTrue();
                            }
                            boolean converted = platform.equals(GFX942) && type.equals(FLOAT8_E4M3FN);
                            assertThat(actual.get("weight").dtype()).isEqualTo(converted ? FLOAT8_E4M3FNUZ : type);
                            assertThat(Layers.floats(actual.get("weight_scale"))[3]).as("seed %d", seed)
                                    .isEqualTo(Layers.floats(weights.weightScale())[3] * (converted ? 2 : 1));
                            // weight, scales [N] and a bf16 bias
                            assertThat(prepared.deviceBytes()).isEqualTo((long) shape[0] * shape[1] + 4L * shape[1] + 2L * shape[1]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void readsAStridedWeightInRowMajorOrder() {
        ScaledMmConfig config = Layers.ptpc(96, 48, FLOAT8_E4M3FN, false);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.ScaledMm weights = Layers.random(random, config, arena);
            // the same codes stored [K, N] and viewed as [N, K]
            HostTensor transposed = HostTensor.allocate(arena, FLOAT8_E4M3FN, 96, 48);
            byte[] codes = Layers.bytes(weights.weight());
            for (int n = 0; n < 48; n++) {
                for (int k = 0; k < 96; k++) {
                    transposed.segment().set(ValueLayout.JAVA_BYTE, (long) k * 48 + n, codes[n * 96 + k]);
                }
            }
            HostTensor view = HostTensor.strided(transposed.segment(), FLOAT8_E4M3FN, new long[] {48, 96}, new long[] {1, 48});
            QuantizedWeights.ScaledMm strided = new QuantizedWeights.ScaledMm(view, weights.weightScale(), Optional.empty(), Optional.empty());

            AiterFp8Packer.Packed fromView = AiterFp8Packer.pack(config, strided, FLOAT8_E4M3FN, arena);
            AiterFp8Packer.Packed fromRows = AiterFp8Packer.pack(config, weights, FLOAT8_E4M3FN, arena);
            assertThat(Layers.bytes(fromView.weight())).as("seed %d", seed).isEqualTo(Layers.bytes(fromRows.weight()));
            assertThat(Layers.bytes(fromRows.weight())).as("seed %d", seed)
                    .isEqualTo(Layers.bytes(new AiterPreshuffleLayout().pack(config, weights, arena).get("weight")));
        }
    }

    @Test
    void aLayerPreparedIntoHostMemoryHoldsTheLayoutButCannotCompute() {
        ScaledMmConfig config = Layers.ptpc(128, 64, FLOAT8_E4M3FN, false);
        CpuDevice device = new CpuDevice(GFX942);
        try (Arena arena = Arena.ofConfined(); PreparedLayer prepared = kernel.prepare(config, Layers.random(random, config, arena), device)) {
            Tensor input = device.allocate(this, BFLOAT16, 1, 128);
            Tensor output = device.allocate(this, BFLOAT16, 1, 64);
            assertThatThrownBy(() -> kernel.apply(prepared, input, output, device.defaultStream())).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessage("aiter-fp8 layer K=128 N=64 was prepared into host memory, standing in for rocm:gfx942, to check its layout: aiter-fp8 computes "
                            + "through its HIP shim on a ROCm GPU");
        }
        finally {
            device.release(this);
        }
    }

    @Test
    void refusesToPrepareWhatItCannotImplement() {
        ScaledMmConfig untuned = Layers.ptpc(256, 256, FLOAT8_E4M3FN, false);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.ScaledMm weights = Layers.random(random, untuned, arena);
            assertThatThrownBy(() -> kernel.prepare(untuned, weights, new CpuDevice(GFX942))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("aiter-fp8 cannot prepare this layer on rocm:gfx942: refused: tuned GEMM: needs a row for N=256, K=256");
        }
    }

    @Test
    void refusesNanCodesAndWeightsThatDoNotMatchTheConfig() {
        ScaledMmConfig config = Layers.ptpc(96, 48, FLOAT8_E4M3FN, true);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.ScaledMm weights = Layers.random(random, config, arena);
            HostTensor nan = HostTensor.allocate(arena, FLOAT8_E4M3FN, 48, 96);
            nan.segment().copyFrom(((HostTensor) weights.weight()).segment());
            nan.segment().set(ValueLayout.JAVA_BYTE, 3 * 96 + 5, (byte) 0x7F);
            assertThatThrownBy(() -> AiterFp8Packer.pack(config, new QuantizedWeights.ScaledMm(nan, weights.weightScale(), Optional.empty(), weights.bias()),
                    FLOAT8_E4M3FNUZ, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight code 0x7f at [3, 5] is NaN in float8_e4m3fn; FP8 weights must be finite");
            assertThatThrownBy(() -> AiterFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), weights.weightScale(), Optional.empty(),
                    Optional.empty()), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bias of the weights must be present, got absent");
            HostTensor fp16Bias = HostTensor.allocate(arena, FLOAT16, 48);
            assertThatThrownBy(() -> AiterFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), weights.weightScale(), Optional.empty(),
                    Optional.of(fp16Bias)), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bias must be bfloat16[N=48], got float16[48]");
            HostTensor perTensor = HostTensor.allocate(arena, FLOAT32, 1);
            assertThatThrownBy(() -> AiterFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), perTensor, Optional.empty(), weights.bias()),
                    FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight scale must be float32 [N=48, 1] or [N=48], got float32[1]");
            HostTensor wide = HostTensor.allocate(arena, FLOAT8_E4M3FN, 48, 128);
            assertThatThrownBy(() -> AiterFp8Packer.pack(config, new QuantizedWeights.ScaledMm(wide, weights.weightScale(), Optional.empty(), weights.bias()),
                    FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shape of the weight must be [48, 96], got [48, 128]");
        }
    }

    @Test
    void refusesAScaleThatOverflowsWhenDoubled() {
        ScaledMmConfig config = Layers.ptpc(96, 48, FLOAT8_E4M3FN, false);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.ScaledMm weights = Layers.random(random, config, arena);
            ((HostTensor) weights.weightScale()).segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 2, Float.MAX_VALUE);
            assertThatThrownBy(() -> AiterFp8Packer.pack(config, weights, FLOAT8_E4M3FNUZ, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight scale at 2 doubled for e4m3fnuz must be finite in float32, got 3.4028235E38 * 2 overflows");
        }
    }
}
