package dev.qlinear.tritonfp8;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.reference.FnuzWeights;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.reference.layouts.CanonicalLayout;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static dev.qlinear.spi.config.GroupShape.PER_CHANNEL;
import static dev.qlinear.spi.config.GroupShape.PER_TENSOR;
import static dev.qlinear.spi.config.GroupShape.PER_TOKEN;
import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FN;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FNUZ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The prepared layout: canonical on CUDA, bit for bit; converted to e4m3fnuz on MI300 exactly as core's reference does. */
final class TestTritonFp8Packer {

    private static final Platform SM90 = Platform.parse("cuda:sm_90");
    private static final Platform GFX942 = Platform.parse("rocm:gfx942");

    @Test
    void convertsEveryE4m3fnByteAsCoreReferenceDoes() {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        byte[] expected = Fp8Reference.normalizeE4m3fnToFnuz(all, new float[] {1.0f}).weight();
        for (int i = 0; i < all.length; i++) {
            assertThat(TritonFp8Packer.toFnuz(all[i])).as("0x%02x", i).isEqualTo(expected[i]);
        }
        assertThat(TritonFp8Packer.toFnuz((byte) 0x80)).isZero();
    }

    @Test
    void knowsTheNanCodesOfBothTypes() {
        for (int i = 0; i < 256; i++) {
            byte code = (byte) i;
            assertThat(TritonFp8Packer.isNan(code, FLOAT8_E4M3FN)).as("0x%02x", i).isEqualTo(Double.isNaN(FLOAT8_E4M3FN.decode(i)));
            assertThat(TritonFp8Packer.isNan(code, FLOAT8_E4M3FNUZ)).as("0x%02x", i).isEqualTo(Double.isNaN(FLOAT8_E4M3FNUZ.decode(i)));
        }
    }

    @Test
    void keepsTheCanonicalLayoutOnCudaBitForBit() {
        CanonicalLayout canonical = new CanonicalLayout();
        TritonFp8Kernel kernel = new TritonFp8Kernel(TestTritonFp8Kernel.BUILT);
        CpuDevice device = new CpuDevice(SM90);
        SplittableRandom random = new SplittableRandom(7);
        for (GroupShape weightScales : List.of(PER_CHANNEL, PER_TENSOR)) {
            for (boolean staticScale : List.of(false, true)) {
                ScaledMmConfig config = Layers.config(2112, 576, FLOAT8_E4M3FN, weightScales, FLOAT8_E4M3FN, staticScale ? PER_TENSOR : PER_TOKEN, staticScale,
                        FLOAT16, BFLOAT16, true);
                try (Arena arena = Arena.ofConfined()) {
                    Layers.Layer layer = Layers.random(random, config, arena);
                    Map<String, HostTensor> expected = canonical.pack(config, layer.weights(), arena);
                    try (PreparedLayer prepared = kernel.prepare(config, layer.weights(), device)) {
                        Map<String, Tensor> actual = prepared.layoutTensors();
                        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
                        for (String name : expected.keySet()) {
                            HostTensor reference = expected.get(name);
                            HostTensor kernelTensor = (HostTensor) actual.get(name);
                            assertThat(kernelTensor.dtype()).as(name).isEqualTo(reference.dtype());
                            assertThat(kernelTensor.shape()).as(name).isEqualTo(reference.shape());
                            assertThat(kernelTensor.contentEquals(reference)).as("%s of %s", name, config).isTrue();
                        }
                        // weight, weight scales, the static input scale, a bf16 bias
                        assertThat(prepared.deviceBytes()).isEqualTo(2112L * 576 + 4L * (weightScales.isPerTensor() ? 1 : 576) + (staticScale ? 4 : 0) + 2L * 576);
                    }
                }
            }
        }
    }

    @Test
    void readsAStridedWeightInRowMajorOrder() {
        ScaledMmConfig config = Layers.config(48, 32, FLOAT8_E4M3FN, PER_CHANNEL, FLOAT8_E4M3FN, PER_TOKEN, false, BFLOAT16, BFLOAT16, false);
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(3), config, arena);
            // the same codes stored [K, N] and viewed as [N, K]
            HostTensor transposed = HostTensor.allocate(arena, FLOAT8_E4M3FN, 48, 32);
            byte[] codes = layer.matrix().codes();
            for (int n = 0; n < 32; n++) {
                for (int k = 0; k < 48; k++) {
                    transposed.segment().set(ValueLayout.JAVA_BYTE, (long) k * 32 + n, codes[n * 48 + k]);
                }
            }
            HostTensor view = HostTensor.strided(transposed.segment(), FLOAT8_E4M3FN, new long[] {32, 48}, new long[] {1, 32});
            QuantizedWeights.ScaledMm strided = new QuantizedWeights.ScaledMm(view, layer.weights().weightScale(), Optional.empty(), Optional.empty());
            TritonFp8Packer.Packed packed = TritonFp8Packer.pack(config, strided, FLOAT8_E4M3FN, arena);
            assertThat(Layers.bytes(packed.weight())).isEqualTo(codes);
        }
    }

    @Test
    void convertsE4m3fnCheckpointsOnMi300AsCoreFnuzWeights() {
        SplittableRandom random = new SplittableRandom(11);
        for (GroupShape weightScales : List.of(PER_CHANNEL, PER_TENSOR)) {
            ScaledMmConfig config = Layers.config(256, 64, FLOAT8_E4M3FN, weightScales, FLOAT8_E4M3FN, PER_TENSOR, true, BFLOAT16, FLOAT16, false);
            try (Arena arena = Arena.ofConfined()) {
                Layers.Layer layer = Layers.random(random, config, arena);
                // negative zeros, which e4m3fnuz reads as NaN
                HostTensor weight = (HostTensor) layer.weights().weight();
                weight.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 0x80);
                weight.segment().set(ValueLayout.JAVA_BYTE, 255, (byte) 0x80);
                FnuzWeights expected = Fp8Reference.normalizeE4m3fnToFnuz(Layers.bytes(weight), Layers.floats(layer.weights().weightScale()), layer.inputScale());

                TritonFp8Packer.Packed packed = TritonFp8Packer.pack(config, layer.weights(), FLOAT8_E4M3FNUZ, arena);
                assertThat(packed.weight().dtype()).isEqualTo(FLOAT8_E4M3FNUZ);
                assertThat(Layers.bytes(packed.weight())).isEqualTo(expected.weight());
                assertThat(Layers.floats(packed.weightScale())).isEqualTo(expected.weightScales());
                assertThat(packed.inputScale().map(Layers::floats).map(values -> values[0])).isEqualTo(expected.inputScale());

                // prepared on host memory standing in for a gfx942 whose images are there
                TritonFp8Kernel kernel = new TritonFp8Kernel(TestTritonFp8Kernel.withRocmImages());
                CpuDevice device = new CpuDevice(GFX942);
                try (PreparedLayer prepared = kernel.prepare(config, layer.weights(), device)) {
                    Tensor converted = prepared.layoutTensors().get("weight");
                    assertThat(converted.dtype()).isEqualTo(FLOAT8_E4M3FNUZ);
                    assertThat(Layers.bytes(converted)).isEqualTo(expected.weight());
                    assertThat(Layers.floats(prepared.layoutTensors().get("weight_scale"))).isEqualTo(expected.weightScales());
                }
            }
        }
    }

    @Test
    void takesE4m3fnuzCheckpointsOnMi300AsTheyAre() {
        ScaledMmConfig config = Layers.config(128, 32, FLOAT8_E4M3FNUZ, PER_CHANNEL, FLOAT8_E4M3FNUZ, PER_TENSOR, true, BFLOAT16, BFLOAT16, false);
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(5), config, arena);
            TritonFp8Packer.Packed packed = TritonFp8Packer.pack(config, layer.weights(), FLOAT8_E4M3FNUZ, arena);
            assertThat(Layers.bytes(packed.weight())).isEqualTo(layer.matrix().codes());
            assertThat(Layers.floats(packed.weightScale())).isEqualTo(layer.matrix().scales());
            assertThat(packed.inputScale().map(Layers::floats).map(values -> values[0])).isEqualTo(layer.inputScale());
        }
    }

    @Test
    void doublesAnE4m3fnStaticInputScaleForE4m3fnuzActivationsOnly() {
        ScaledMmConfig config = Layers.config(128, 32, FLOAT8_E4M3FNUZ, PER_CHANNEL, FLOAT8_E4M3FN, PER_TENSOR, true, BFLOAT16, BFLOAT16, false);
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(5), config, arena);
            TritonFp8Packer.Packed packed = TritonFp8Packer.pack(config, layer.weights(), FLOAT8_E4M3FNUZ, arena);
            assertThat(Layers.floats(packed.weightScale())).isEqualTo(layer.matrix().scales());
            assertThat(Layers.floats(packed.inputScale().orElseThrow())[0]).isEqualTo(2 * layer.inputScale().orElseThrow());
        }
    }

    @Test
    void refusesNanWeightCodesNamingWhere() {
        ScaledMmConfig config = Layers.config(64, 16, FLOAT8_E4M3FN, PER_CHANNEL, FLOAT8_E4M3FN, PER_TOKEN, false, BFLOAT16, BFLOAT16, false);
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(1), config, arena);
            ((HostTensor) layer.weights().weight()).segment().set(ValueLayout.JAVA_BYTE, 3 * 64 + 5, (byte) 0xFF);
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, layer.weights(), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight code 0xff at [3, 5] is NaN in float8_e4m3fn; FP8 weights must be finite");
        }
    }

    @Test
    void refusesWeightsThatDoNotMatchTheConfig() {
        ScaledMmConfig config = Layers.config(64, 16, FLOAT8_E4M3FN, PER_CHANNEL, FLOAT8_E4M3FN, PER_TENSOR, true, BFLOAT16, BFLOAT16, true);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.ScaledMm weights = Layers.random(new SplittableRandom(1), config, arena).weights();
            HostTensor perTensorScale = HostTensor.allocate(arena, FLOAT32, 1);
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), perTensorScale, weights.inputScale(),
                    weights.bias()), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight scale must be float32 [N=16, 1], got float32[1]");
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), weights.weightScale(), Optional.empty(),
                    weights.bias()), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("static activation scales need the weights' input scale, got none");
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), weights.weightScale(), weights.inputScale(),
                    Optional.empty()), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bias of the weights must be present, got absent");
            HostTensor fp16Bias = HostTensor.allocate(arena, FLOAT16, 16);
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), weights.weightScale(), weights.inputScale(),
                    Optional.of(fp16Bias)), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bias must be bfloat16[N=16], got float16[16]");
            HostTensor wide = HostTensor.allocate(arena, FLOAT8_E4M3FN, 16, 128);
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, new QuantizedWeights.ScaledMm(wide, weights.weightScale(), weights.inputScale(),
                    weights.bias()), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("shape of the weight must be [16, 64], got [16, 128]");
            HostTensor zeroScale = HostTensor.allocate(arena, FLOAT32, 1);
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, new QuantizedWeights.ScaledMm(weights.weight(), weights.weightScale(), Optional.of(zeroScale),
                    weights.bias()), FLOAT8_E4M3FN, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("input scale must be finite and positive, got 0.0");
        }
    }

    @Test
    void refusesAScaleThatOverflowsWhenDoubled() {
        ScaledMmConfig config = Layers.config(64, 16, FLOAT8_E4M3FN, PER_TENSOR, FLOAT8_E4M3FN, PER_TOKEN, false, BFLOAT16, BFLOAT16, false);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights.ScaledMm weights = Layers.random(new SplittableRandom(1), config, arena).weights();
            ((HostTensor) weights.weightScale()).segment().setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, Float.MAX_VALUE);
            assertThatThrownBy(() -> TritonFp8Packer.pack(config, weights, FLOAT8_E4M3FNUZ, arena)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight scale at 0 doubled for e4m3fnuz must be finite in float32, got 3.4028235E38 * 2 overflows");
        }
    }
}
