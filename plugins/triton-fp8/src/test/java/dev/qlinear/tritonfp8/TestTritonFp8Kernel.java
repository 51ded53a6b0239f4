package dev.qlinear.tritonfp8;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.qlinear.spi.config.GroupShape.PER_CHANNEL;
import static dev.qlinear.spi.config.GroupShape.PER_TENSOR;
import static dev.qlinear.spi.config.GroupShape.PER_TOKEN;
import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FN;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FNUZ;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E5M2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The declaration, {@code supports} and {@code canImplement} on every kind of platform, with the exact reasons. */
final class TestTritonFp8Kernel {

    /** The images of this module's jar: sm_89, sm_90a and compute_89. */
    static final TritonImages BUILT = TritonImages.load(TestTritonFp8Kernel.class.getClassLoader(), TritonFp8Kernel.IMAGES);
    private static final TritonFp8Kernel KERNEL = new TritonFp8Kernel(BUILT);
    private static final Platform SM89 = Platform.parse("cuda:sm_89");
    private static final Platform SM90 = Platform.parse("cuda:sm_90");
    private static final Platform GFX942 = Platform.parse("rocm:gfx942");
    private static final Platform GFX950 = Platform.parse("rocm:gfx950");
    private static final String ROCM_IMAGES = "images for gfx942 of every variant (build them with " + TritonImages.PIPELINE + ")";

    /** The jar's images plus ones listed for gfx942 (the {@code _fnuz} variants) and gfx950, as a ROCm build would add. */
    static TritonImages withRocmImages() {
        Map<String, List<String>> targets = new LinkedHashMap<>();
        BUILT.targetsByVariant().forEach((variant, listed) -> targets.put(variant, new ArrayList<>(listed)));
        TritonFp8Variants.all(true).forEach(variant -> targets.computeIfAbsent(variant, name -> new ArrayList<>()).add("gfx942"));
        TritonFp8Variants.all(false).forEach(variant -> targets.get(variant).add("gfx950"));
        return new TritonImages(TestTritonFp8Kernel.class.getClassLoader(), TritonFp8Kernel.IMAGES, targets);
    }

    @Test
    void declaresCudaSm89AndUpAndMi300AndMi350WithItsExactCapabilities() {
        KernelDescriptor descriptor = new TritonFp8Provider().kernels().getFirst().descriptor();
        assertThat(descriptor.id()).isEqualTo("triton-fp8");
        assertThat(descriptor.family()).isEqualTo("triton-fp8");
        assertThat(descriptor.version()).isEqualTo("0.1.0");
        assertThat(descriptor.platforms()).extracting(support -> support.requirement().spec() + " " + support.priority())
                .containsExactly("cuda:sm_89+ 200", "rocm:gfx942,gfx950 100");
        assertThat(descriptor.tolerance()).isEqualTo(ToleranceClass.FP8_W8A8);
        assertThat(descriptor.maxRows()).isEqualTo(65536);
        assertThat(descriptor.capabilities()).isEqualTo(new ScaledMmCapabilities(Set.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ), Set.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ),
                Set.of(PER_CHANNEL, PER_TENSOR), Set.of(PER_TOKEN, PER_TENSOR), true, true, Set.of(FLOAT16, BFLOAT16), Set.of(FLOAT16, BFLOAT16), true, 16, 16));
        assertThat(KERNEL.preparedLayout()).contains("canonical");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda:sm_89", "cuda:sm_90", "cuda:sm_100", "cuda:sm_120"})
    void supportsEveryCudaArchitectureWithFp8TensorCores(String spec) {
        assertThat(KERNEL.supports(Platform.parse(spec)).isAccepted()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda:sm_75", "cuda:sm_80", "cuda:sm_86", "cuda:sm_87"})
    void refusesCudaBelowSm89ForTheArchitecture(String spec) {
        Platform platform = Platform.parse(spec);
        Reason architecture = new Reason("CUDA architecture", "sm_89 or newer (FP8 tensor cores)", platform.architecture().name());
        assertThat(KERNEL.supports(platform).reasons()).containsExactly(architecture);
        assertThat(KERNEL.canImplement(layer(4096, 4096, PER_CHANNEL, PER_TOKEN, false), platform).reasons()).containsExactly(architecture);
    }

    @Test
    void runsMi300ButRefusesMi350WithoutImagesNamingThePipeline() {
        assertThat(KERNEL.supports(GFX942).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(4096, 4096, PER_CHANNEL, PER_TOKEN, false), GFX942).isAccepted()).isTrue();
        assertThat(KERNEL.supports(GFX950).reasons()).singleElement().satisfies(reason -> {
            assertThat(reason.expected()).contains("gfx950", TritonImages.PIPELINE);
            assertThat(reason.actual()).endsWith("none runs fp8_gemm_bf16_m128n128k128 and 11 more");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"rocm:gfx90a", "rocm:gfx1100", "rocm:gfx1151"})
    void refusesRocmArchitecturesWithoutFp8MatrixCores(String spec) {
        Platform platform = Platform.parse(spec);
        assertThat(KERNEL.supports(platform).reasons()).containsExactly(new Reason("ROCm architecture", "one of [gfx942, gfx950] (FP8 matrix cores)",
                platform.architecture().name()));
    }

    @Test
    void refusesCpus() {
        Platform cpu = Platform.parse("cpu:x86_64");
        assertThat(KERNEL.supports(cpu).reasons()).containsExactly(new Reason("platform", "a CUDA or ROCm device", "cpu:x86_64"));
        assertThat(KERNEL.canImplement(layer(4096, 4096, PER_CHANNEL, PER_TOKEN, false), cpu).reasons())
                .containsExactly(new Reason("platform", "a CUDA or ROCm device", "cpu:x86_64"));
    }

    @Test
    void withoutImagesRefusesEveryCudaPlatformNamingThePipeline() {
        TritonFp8Kernel unbuilt = new TritonFp8Kernel(new TritonImages(getClass().getClassLoader(), TritonFp8Kernel.IMAGES, Map.of()));
        assertThat(unbuilt.supports(SM90).reasons()).containsExactly(new Reason("Triton images", "images for sm_90 of every variant (build them with "
                + TritonImages.PIPELINE + ")", "no Triton images at all; none runs fp8_gemm_bf16_m128n128k128 and 11 more"));
    }

    @Test
    void acceptsEveryDeclaredKindOfLayerOnSm89AndSm90() {
        for (Platform platform : List.of(SM89, SM90)) {
            for (GroupShape weightScales : List.of(PER_CHANNEL, PER_TENSOR)) {
                for (ScalarType input : List.of(FLOAT16, BFLOAT16)) {
                    for (ScalarType output : List.of(FLOAT16, BFLOAT16)) {
                        for (boolean bias : List.of(false, true)) {
                            ScaledMmConfig dynamic = Layers.config(2112, 576, FLOAT8_E4M3FN, weightScales, FLOAT8_E4M3FN, PER_TOKEN, false, input, output, bias);
                            ScaledMmConfig fixed = Layers.config(16, 16, FLOAT8_E4M3FN, weightScales, FLOAT8_E4M3FN, PER_TENSOR, true, input, output, bias);
                            assertThat(KERNEL.canImplement(dynamic, platform).isAccepted()).as("%s on %s", dynamic, platform).isTrue();
                            assertThat(KERNEL.canImplement(fixed, platform).isAccepted()).as("%s on %s", fixed, platform).isTrue();
                        }
                    }
                }
            }
        }
    }

    @Test
    void refusesE4m3fnuzOnCudaSayingWhy() {
        String why = "float8_e4m3fn (e4m3fnuz is the ROCm MI300 encoding; CUDA FP8 tensor cores take e4m3fn)";
        ScaledMmConfig fnuz = Layers.config(4096, 4096, FLOAT8_E4M3FNUZ, PER_CHANNEL, FLOAT8_E4M3FNUZ, PER_TOKEN, false, BFLOAT16, BFLOAT16, false);
        assertThat(KERNEL.canImplement(fnuz, SM90).reasons()).containsExactly(new Reason("weight type", why, "float8_e4m3fnuz"),
                new Reason("activation type", why, "float8_e4m3fnuz"));
        ScaledMmConfig fnuzActivations = Layers.config(4096, 4096, FLOAT8_E4M3FN, PER_CHANNEL, FLOAT8_E4M3FNUZ, PER_TOKEN, false, BFLOAT16, BFLOAT16, false);
        assertThat(KERNEL.canImplement(fnuzActivations, SM89).reasons()).containsExactly(new Reason("activation type", why, "float8_e4m3fnuz"));
        ScaledMmConfig e5m2 = Layers.config(4096, 4096, FLOAT8_E5M2, PER_CHANNEL, FLOAT8_E4M3FN, PER_TOKEN, false, BFLOAT16, BFLOAT16, false);
        assertThat(KERNEL.canImplement(e5m2, SM90).reasons()).containsExactly(new Reason("weight type", "float8_e4m3fn", "float8_e5m2"));
    }

    @Test
    void refusesDynamicPerTensorAndStaticPerTokenActivationScales() {
        assertThat(KERNEL.canImplement(layer(4096, 4096, PER_CHANNEL, PER_TENSOR, false), SM90).reasons()).containsExactly(new Reason(
                "dynamic activation scales", "per-token (the kernel quantizes each row on its own; a dynamic per-tensor scale needs the whole batch's maximum first)",
                "per-tensor"));
        assertThat(KERNEL.canImplement(layer(4096, 4096, PER_CHANNEL, PER_TOKEN, true), SM90).reasons()).containsExactly(
                new Reason("static activation scales", "per-tensor", "per-token"));
    }

    @Test
    void refusesBlockScalesAndUnalignedShapes() {
        assertThat(KERNEL.canImplement(layer(4096, 4096, new GroupShape(128, 128), new GroupShape(1, 128), false), SM90).reasons()).containsExactly(
                new Reason("weight scales", "one of [per-channel, per-tensor]", "128x128"),
                new Reason("activation scales", "one of [per-token, per-tensor]", "1x128"));
        assertThat(KERNEL.canImplement(layer(4104, 4096, PER_CHANNEL, PER_TOKEN, false), SM90).reasons()).containsExactly(
                new Reason("K alignment", "K % 16 == 0", "K=4104"));
        assertThat(KERNEL.canImplement(layer(4096, 4104, PER_TENSOR, PER_TOKEN, false), SM90).reasons()).containsExactly(
                new Reason("N alignment", "N % 16 == 0", "N=4104"));
    }

    @Test
    void listsEveryUnmetConstraintOfALayer() {
        ScaledMmConfig everythingWrong = new ScaledMmConfig(new LayerShape(100, 90), new QuantKey(FLOAT8_E5M2, FLOAT16, new GroupShape(128, 128), true, false),
                new QuantKey(FLOAT8_E4M3FNUZ, FLOAT16, new GroupShape(1, 128), true, false), FLOAT32, FLOAT32, true);
        assertThat(KERNEL.canImplement(everythingWrong, SM90).reasons()).containsExactly(
                new Reason("weight type", "float8_e4m3fn", "float8_e5m2"),
                new Reason("weight scale type", "float32", "float16"),
                new Reason("weight scales", "one of [per-channel, per-tensor]", "128x128"),
                new Reason("weight zero point", "symmetric", "asymmetric"),
                new Reason("activation type", "float8_e4m3fn (e4m3fnuz is the ROCm MI300 encoding; CUDA FP8 tensor cores take e4m3fn)", "float8_e4m3fnuz"),
                new Reason("activation scale type", "float32", "float16"),
                new Reason("activation scales", "one of [per-token, per-tensor]", "1x128"),
                new Reason("static activation scales", "per-tensor", "1x128"),
                new Reason("activation zero point", "symmetric", "asymmetric"),
                new Reason("input type", "one of [bfloat16, float16]", "float32"),
                new Reason("output type", "one of [bfloat16, float16]", "float32"),
                new Reason("K alignment", "K % 16 == 0", "K=100"),
                new Reason("N alignment", "N % 16 == 0", "N=90"));
    }

    @Test
    void takesE4m3fnAndE4m3fnuzOnMi300AndE4m3fnOnlyOnMi350OnceTheirImagesAreThere() {
        TritonFp8Kernel kernel = new TritonFp8Kernel(withRocmImages());
        assertThat(kernel.supports(GFX942).isAccepted()).isTrue();
        assertThat(kernel.supports(GFX950).isAccepted()).isTrue();
        for (ScalarType weight : List.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ)) {
            for (ScalarType activation : List.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ)) {
                ScaledMmConfig config = Layers.config(4096, 4096, weight, PER_CHANNEL, activation, PER_TOKEN, false, BFLOAT16, BFLOAT16, true);
                assertThat(kernel.canImplement(config, GFX942).isAccepted()).as("%s on gfx942", config).isTrue();
            }
        }
        assertThat(kernel.canImplement(layer(4096, 4096, PER_TENSOR, PER_TENSOR, true), GFX950).isAccepted()).isTrue();
        ScaledMmConfig fnuz = Layers.config(4096, 4096, FLOAT8_E4M3FNUZ, PER_CHANNEL, FLOAT8_E4M3FN, PER_TOKEN, false, BFLOAT16, BFLOAT16, false);
        assertThat(kernel.canImplement(fnuz, GFX950).reasons()).containsExactly(new Reason("weight type",
                "float8_e4m3fn (e4m3fnuz is the ROCm MI300 encoding; gfx950 takes e4m3fn)", "float8_e4m3fnuz"));
        assertThat(TritonFp8Kernel.quantizedType(GFX942)).contains(FLOAT8_E4M3FNUZ);
        assertThat(TritonFp8Kernel.quantizedType(GFX950)).contains(FLOAT8_E4M3FN);
        assertThat(TritonFp8Kernel.quantizedType(SM90)).contains(FLOAT8_E4M3FN);
        assertThat(TritonFp8Kernel.quantizedType(Platform.parse("cuda:sm_80"))).isEmpty();
    }

    @Test
    void prepareRefusesWhatCanImplementRefusesWithEveryReason() {
        ScaledMmConfig bad = Layers.config(4096, 4104, FLOAT8_E4M3FN, PER_CHANNEL, FLOAT8_E4M3FN, PER_TENSOR, false, BFLOAT16, BFLOAT16, false);
        CpuDevice device = new CpuDevice(SM90);
        try (Arena arena = Arena.ofConfined()) {
            var weights = Layers.random(new SplittableRandom(1), layer(4096, 4096, PER_CHANNEL, PER_TOKEN, false), arena).weights();
            assertThatThrownBy(() -> KERNEL.prepare(bad, weights, device)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-fp8 cannot prepare this layer on cuda:sm_90: refused: dynamic activation scales: needs per-token (the kernel quantizes "
                            + "each row on its own; a dynamic per-tensor scale needs the whole batch's maximum first), got per-tensor; N alignment: needs N % 16 == 0, "
                            + "got N=4104");
            assertThatThrownBy(() -> KERNEL.prepare(layer(4096, 4096, PER_CHANNEL, PER_TOKEN, false), weights, new CpuDevice(Platform.parse("cuda:sm_80"))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-fp8 cannot prepare this layer on cuda:sm_80: refused: CUDA architecture: needs sm_89 or newer (FP8 tensor cores), got sm_80");
        }
    }

    @Test
    void aLayerPreparedIntoHostMemoryHoldsItsLayoutButDoesNotCompute() {
        ScaledMmConfig config = layer(64, 32, PER_CHANNEL, PER_TOKEN, false);
        try (Arena arena = Arena.ofConfined()) {
            Layers.Layer layer = Layers.random(new SplittableRandom(2), config, arena);
            CpuDevice device = new CpuDevice(SM90);
            try (PreparedLayer prepared = KERNEL.prepare(config, layer.weights(), device)) {
                assertThat(prepared.layoutTensors()).containsOnlyKeys("weight", "weight_scale");
                assertThat(prepared.deviceBytes()).isEqualTo(64 * 32 + 4 * 32);
                assertThat(prepared.toString()).isEqualTo("triton-fp8 layer K=64 N=32 float8_e4m3fn per-channel static x float8_e4m3fn per-token dynamic "
                        + "bfloat16 -> bfloat16");
                var input = device.allocate(this, BFLOAT16, 1, 64);
                var output = device.allocate(this, BFLOAT16, 1, 32);
                assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, device.defaultStream())).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("was prepared into host memory, standing in for cuda:sm_90, to check its layout: triton-fp8 computes on GPUs");
            }
            finally {
                device.release(this);
            }
        }
    }

    private static ScaledMmConfig layer(int k, int n, GroupShape weightScales, GroupShape activationScales, boolean staticScale) {
        return Layers.config(k, n, FLOAT8_E4M3FN, weightScales, FLOAT8_E4M3FN, activationScales, staticScale, BFLOAT16, BFLOAT16, false);
    }
}
