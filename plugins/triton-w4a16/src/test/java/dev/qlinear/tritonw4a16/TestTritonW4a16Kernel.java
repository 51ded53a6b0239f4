package dev.qlinear.tritonw4a16;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.UINT4;
import static dev.qlinear.spi.type.ScalarType.UINT4B8;
import static dev.qlinear.spi.type.ScalarType.UINT8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The declaration, {@code supports} and {@code canImplement} with the images this jar ships, and the exact reasons. */
final class TestTritonW4a16Kernel {

    private static final TritonW4a16Kernel KERNEL = new TritonW4a16Kernel();
    private static final Platform SM80 = Platform.parse("cuda:sm_80");
    private static final Platform SM90 = Platform.parse("cuda:sm_90");
    private static final String BUILD = "build them with " + TritonImages.PIPELINE;
    private static final String HELD = "images for compute_80, gfx90a, gfx942, gfx950, sm_80, sm_90a";

    @Test
    void declaresTheLowestCudaPriorityAndTheFirstOnRocmWithItsExactCapabilities() {
        KernelDescriptor descriptor = KERNEL.descriptor();
        assertThat(descriptor.id()).isEqualTo("triton-w4a16");
        assertThat(descriptor.family()).isEqualTo("triton-w4a16");
        assertThat(descriptor.version()).isEqualTo("0.1.0");
        assertThat(descriptor.platforms()).hasSize(2);
        assertThat(descriptor.platforms().get(0).requirement().spec()).isEqualTo("cuda:sm_80+");
        assertThat(descriptor.platforms().get(0).priority()).isEqualTo(100);
        assertThat(descriptor.platforms().get(1).requirement().spec()).isEqualTo("rocm:gfx1100,gfx1101,gfx1102,gfx1150,gfx1151,gfx1200,gfx1201,gfx90a,gfx942,gfx950");
        assertThat(descriptor.platforms().get(1).priority()).isEqualTo(400);
        assertThat(descriptor.priorityOn(Platform.parse("rocm:gfx942"))).hasValue(400);
        assertThat(descriptor.priorityOn(Platform.parse("cuda:sm_120"))).hasValue(100);
        assertThat(descriptor.priorityOn(Platform.parse("cuda:sm_75"))).isEmpty();
        assertThat(descriptor.tolerance()).isEqualTo(ToleranceClass.FUSED_16BIT);
        assertThat(descriptor.maxRows()).isEqualTo(65536);
        assertThat(descriptor.capabilities()).isEqualTo(new WeightOnlyCapabilities(Set.of(UINT4B8, UINT4), Set.of(FLOAT16, BFLOAT16), Set.of(FLOAT16, BFLOAT16),
                Set.of(-1, 32, 64, 128, 256), true, false, 8, 8, true));
        assertThat(KERNEL.preparedLayout()).contains("triton-w4a16-kn8");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda:sm_80", "cuda:sm_86", "cuda:sm_89", "cuda:sm_90", "cuda:sm_100", "cuda:sm_120"})
    void supportsEveryCudaArchitectureAnImageRunsOn(String spec) {
        assertThat(KERNEL.supports(Platform.parse(spec)).isAccepted()).isTrue();
    }

    @Test
    void runsMi300AndRefusesARocmArchitectureWithoutImagesNamingThePipeline() {
        assertThat(KERNEL.supports(Platform.parse("rocm:gfx942")).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 128), Platform.parse("rocm:gfx942")).isAccepted()).isTrue();
        assertThat(KERNEL.supports(Platform.parse("rocm:gfx1151")).reasons()).containsExactly(new Reason("Triton images",
                "images for gfx1151 of every variant (" + BUILD + ")", HELD + "; none runs w4a16_bf16_sym_m128n128k32 and 45 more"));
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 128), Platform.parse("rocm:gfx1151")).reasons()).containsExactly(new Reason(
                "Triton images", "images for gfx1151 of every variant (" + BUILD + ")", HELD + "; none runs w4a16_f16_sym_m128n128k64 and 5 more"));
        assertThat(KERNEL.supports(Platform.parse("cuda:sm_75")).reasons()).extracting(Reason::expected).containsExactly(
                "images for sm_75 of every variant (" + BUILD + ")");
        assertThat(KERNEL.supports(Platform.parse("cpu:x86_64")).reasons()).containsExactly(new Reason("platform", "a CUDA or ROCm device", "cpu:x86_64"));
    }

    @Test
    void withoutImagesRefusesEveryPlatform() {
        TritonW4a16Kernel unbuilt = new TritonW4a16Kernel(new TritonImages(TritonW4a16Kernel.class.getClassLoader(), TritonW4a16Variants.DIRECTORY, Map.of()));
        assertThat(unbuilt.supports(SM90).reasons()).containsExactly(new Reason("Triton images", "images for sm_90 of every variant (" + BUILD + ")",
                "no Triton images at all; none runs w4a16_bf16_sym_m128n128k32 and 45 more"));
        assertThat(unbuilt.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 128), SM90).isAccepted()).isFalse();
    }

    @Test
    void acceptsEveryDeclaredKindOfLayer() {
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 128), SM80).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(4096, 14336, UINT4B8, BFLOAT16, 32), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(14336, 4096, UINT4, BFLOAT16, 256), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(2752, 704, UINT4, FLOAT16, -1), Platform.parse("cuda:sm_120")).isAccepted()).isTrue();
        // G = K is one group, which the engine calls channelwise
        assertThat(KERNEL.canImplement(layer(512, 64, UINT4B8, FLOAT16, 512), SM90).isAccepted()).isTrue();
        // K = 104 = 3.25 K tiles of 32: the last tile masked
        assertThat(KERNEL.canImplement(layer(104, 64, UINT4B8, BFLOAT16, -1), SM90).isAccepted()).isTrue();
        // row-parallel with whole groups
        assertThat(KERNEL.canImplement(new WeightOnlyConfig(new LayerShape(4224, 256), new LayerShape(2112, 256), UINT4, BFLOAT16, 64, true, false, BFLOAT16),
                SM90).isAccepted()).isTrue();
    }

    @Test
    void acceptsAnUnshardedLayerEndingInAPartialGroup() {
        // Gemma 4's K = 2112 = 16.5 groups of 128: 17 groups, the last of 64 rows; K tiles (at most 128 rows) never straddle one
        WeightOnlyConfig gemma = layer(2112, 4096, UINT4B8, BFLOAT16, 128);
        assertThat(gemma.groupCount()).isEqualTo(17);
        assertThat(KERNEL.canImplement(gemma, SM80).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(704, 2112, UINT4, FLOAT16, 256), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(104, 64, UINT4B8, FLOAT16, 64), SM90).isAccepted()).isTrue();
    }

    @Test
    void aRowParallelPartitionEndingInAPartialGroupIsNoLayer() {
        // a rank must hold whole groups: the config itself refuses it, before any kernel is asked
        assertThatThrownBy(() -> new WeightOnlyConfig(new LayerShape(2112, 256), new LayerShape(1056, 256), UINT4B8, FLOAT16, 128, false, false, FLOAT16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("group size 128 does not divide K=1056");
    }

    @Test
    void listsEveryUnmetConstraintOfALayer() {
        WeightOnlyConfig everythingWrong = new WeightOnlyConfig(new LayerShape(4224, 100), new LayerShape(2112, 100), UINT8, FLOAT32, 16, true, true, FLOAT16);
        assertThat(KERNEL.canImplement(everythingWrong, SM90).reasons()).containsExactly(
                new Reason("weight type", "one of [uint4, uint4b8]", "uint8"),
                new Reason("activation type", "one of [bfloat16, float16]", "float32"),
                new Reason("output type", "the activation type (float32)", "float16"),
                new Reason("act-order", "none (activation reordering (g_idx) is not supported)", "act-order (g_idx)"),
                new Reason("group size", "one of [-1, 32, 64, 128, 256]", "16"),
                new Reason("N alignment", "N % 8 == 0", "N=100"));
        // a platform without images comes first
        assertThat(KERNEL.canImplement(everythingWrong, Platform.parse("cuda:sm_75")).reasons().getFirst()).isEqualTo(new Reason("Triton images",
                "images for sm_75 of every variant (" + BUILD + ")", HELD + "; none runs w4a16_bf16_sym_m128n128k32 and 45 more"));
    }

    @Test
    void refusesEachConstraintAloneWithItsReason() {
        assertThat(KERNEL.canImplement(WeightOnlyConfig.unsharded(4096, 4096, UINT4, FLOAT16, 128, false, false), SM90).reasons()).containsExactly(
                new Reason("zero points", "zero points with uint4 (W = (q - z) * s)", "none"));
        assertThat(KERNEL.canImplement(WeightOnlyConfig.unsharded(4096, 4096, UINT4B8, BFLOAT16, 128, false, true), SM90).toString())
                .isEqualTo("refused: act-order: needs none (activation reordering (g_idx) is not supported), got act-order (g_idx)");
        assertThat(KERNEL.canImplement(layer(4096, 4100, UINT4B8, BFLOAT16, 128), SM90).reasons()).containsExactly(
                new Reason("N alignment", "N % 8 == 0", "N=4100"));
        // the images assume K % 8 == 0 (variants.py's divisibility)
        assertThat(KERNEL.canImplement(layer(100, 64, UINT4B8, FLOAT16, 32), SM90).reasons()).containsExactly(
                new Reason("K alignment", "K % 8 == 0", "K=100"));
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 512), SM90).reasons()).containsExactly(
                new Reason("group size", "one of [-1, 32, 64, 128, 256]", "512"));
        LayerShape shape = new LayerShape(4096, 4096);
        assertThat(KERNEL.canImplement(new WeightOnlyConfig(shape, shape, UINT4B8, BFLOAT16, 128, false, false, FLOAT16), SM90).reasons()).containsExactly(
                new Reason("output type", "the activation type (bfloat16)", "float16"));
    }

    @Test
    void prepareRefusesWhatCanImplementRefusesWithEveryReason() {
        WeightOnlyConfig narrow = WeightOnlyConfig.unsharded(256, 100, UINT4B8, BFLOAT16, 128, false, true);
        assertThatThrownBy(() -> KERNEL.prepare(narrow, null, null)).isInstanceOf(NullPointerException.class);
        CpuDevice device = new CpuDevice(SM90);
        try (Arena arena = Arena.ofConfined()) {
            var weights = Layers.random(new SplittableRandom(1), 256, 104, UINT4B8, 128, BFLOAT16, FLOAT16, Optional.empty(), arena).weights();
            assertThatThrownBy(() -> KERNEL.prepare(narrow, weights, device)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("triton-w4a16 cannot prepare this layer: refused: act-order: needs none (activation reordering (g_idx) is not supported), "
                            + "got act-order (g_idx); N alignment: needs N % 8 == 0, got N=100");
        }
    }

    private static WeightOnlyConfig layer(int k, int n, ScalarType type, ScalarType activation, int groupSize) {
        return WeightOnlyConfig.unsharded(k, n, type, activation, groupSize, type.equals(UINT4), false);
    }
}
