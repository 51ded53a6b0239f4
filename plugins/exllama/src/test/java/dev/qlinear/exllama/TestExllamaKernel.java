package dev.qlinear.exllama;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.ImageTarget;
import dev.qlinear.spi.device.KernelImages;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.UINT4;
import static dev.qlinear.spi.type.ScalarType.UINT4B8;
import static dev.qlinear.spi.type.ScalarType.UINT8B128;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The declaration, {@code supports} and {@code canImplement}, with the exact reasons. */
final class TestExllamaKernel {

    /** What the build puts in the jar; the bytes do not matter to these checks. */
    static final KernelImages BUILT = new KernelImages(ExllamaFunctions.IMAGE, Optional.of(new byte[] {1}), List.of(ImageTarget.parse("sm_80"), ImageTarget.parse("sm_90a"),
            ImageTarget.parse("compute_80")));
    private static final ExllamaKernel KERNEL = new ExllamaKernel(BUILT, ExllamaSettings.of(Optional.empty(), Optional.empty()));
    private static final Platform SM90 = Platform.parse("cuda:sm_90");

    @Test
    void declaresCudaSm60AndUpWithItsExactCapabilities() {
        KernelDescriptor descriptor = KERNEL.descriptor();
        assertThat(descriptor.id()).isEqualTo("exllama");
        assertThat(descriptor.family()).isEqualTo("exllama");
        assertThat(descriptor.version()).isEqualTo("0.1.0");
        assertThat(descriptor.platforms()).singleElement().satisfies(support -> {
            assertThat(support.requirement().spec()).isEqualTo("cuda:sm_60+");
            assertThat(support.priority()).isEqualTo(200);
        });
        assertThat(descriptor.tolerance()).isEqualTo(ToleranceClass.RELATIVE_MEAN_ERROR);
        assertThat(descriptor.maxRows()).isEqualTo(65536);
        assertThat(descriptor.capabilities()).isEqualTo(new WeightOnlyCapabilities(Set.of(UINT4B8, UINT8B128), Set.of(FLOAT16), Set.of(FLOAT16),
                Set.of(-1, 32, 64, 128, 256), false, true, 32, 8));
        assertThat(KERNEL.preparedLayout()).contains("exllama-gptq");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda:sm_80", "cuda:sm_86", "cuda:sm_89", "cuda:sm_90", "cuda:sm_100", "cuda:sm_120"})
    void supportsEveryArchitectureAnImageRunsOn(String spec) {
        assertThat(KERNEL.supports(Platform.parse(spec)).isAccepted()).isTrue();
    }

    @Test
    void refusesArchitecturesNoImageRunsOnNamingTheImages() {
        assertThat(KERNEL.supports(Platform.parse("cuda:sm_75")).reasons()).containsExactly(new Reason("CUDA architecture",
                "one the kernel images run on (SASS sm_80, SASS sm_90a, PTX compute_80)", "sm_75"));
        assertThat(KERNEL.supports(Platform.parse("cuda:sm_60")).reasons()).extracting(Reason::actual).containsExactly("sm_60");
    }

    @Test
    void refusesOtherVendors() {
        assertThat(KERNEL.supports(Platform.parse("rocm:gfx942")).reasons()).containsExactly(new Reason("platform", "a CUDA device", "rocm:gfx942"));
        assertThat(KERNEL.supports(Platform.parse("cpu:x86_64")).reasons()).containsExactly(new Reason("platform", "a CUDA device", "cpu:x86_64"));
    }

    @Test
    void withoutImagesRefusesEveryCudaPlatform() {
        ExllamaKernel unbuilt = new ExllamaKernel(KernelImages.absent(ExllamaFunctions.IMAGE), ExllamaSettings.of(Optional.empty(), Optional.empty()));
        Reason notBuilt = new Reason("kernel images", "CUDA kernel images in the plugin jar", "kernel images were not built (nvcc was missing at build time)");
        for (String spec : List.of("cuda:sm_80", "cuda:sm_90", "cuda:sm_120")) {
            assertThat(unbuilt.supports(Platform.parse(spec)).reasons()).containsExactly(notBuilt);
        }
        assertThat(unbuilt.canImplement(layer(4096, 4096, UINT4B8, 128, false), SM90).reasons()).containsExactly(notBuilt);
    }

    @Test
    void acceptsEveryDeclaredKindOfLayer() {
        assertThat(KERNEL.canImplement(layer(4096, 6144, UINT4B8, 128, false), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(2112, 576, UINT4B8, 64, true), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(704, 2112, UINT8B128, 32, true), Platform.parse("cuda:sm_80")).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(14336, 4096, UINT8B128, 256, false), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(2752, 704, UINT4B8, -1, false), SM90).isAccepted()).isTrue();
        // G = K is one group, which the engine calls channelwise
        assertThat(KERNEL.canImplement(layer(512, 64, UINT4B8, 512, false), SM90).isAccepted()).isTrue();
        // row-parallel without act-order
        assertThat(KERNEL.canImplement(new WeightOnlyConfig(new LayerShape(11008, 256), new LayerShape(2752, 256), UINT4B8, FLOAT16, 64, false, false, FLOAT16),
                SM90).isAccepted()).isTrue();
    }

    @Test
    void listsEveryUnmetConstraintOfALayer() {
        WeightOnlyConfig everythingWrong = new WeightOnlyConfig(new LayerShape(4256, 100), new LayerShape(2128, 100), UINT4, BFLOAT16, 16, true, true,
                FLOAT32);
        assertThat(KERNEL.canImplement(everythingWrong, Platform.parse("cuda:sm_75")).reasons()).containsExactly(
                new Reason("CUDA architecture", "one the kernel images run on (SASS sm_80, SASS sm_90a, PTX compute_80)", "sm_75"),
                new Reason("weight type", "one of [uint4b8, uint8b128]", "uint4"),
                new Reason("activation type", "float16", "bfloat16"),
                new Reason("output type", "float16", "float32"),
                new Reason("zero points", "none (uint4b8 and uint8b128 hold their zero point in the type)", "zero points"),
                new Reason("group size", "one of [-1, 32, 64, 128, 256]", "16"),
                new Reason("K alignment", "K % 32 == 0", "K=2128"),
                new Reason("N alignment", "N % 8 == 0", "N=100"),
                new Reason("act-order", "K not split across tensor-parallel ranks (partition K == full K)", "partition K=2128 of full K=4256"));
    }

    @Test
    void refusesEachOtherGroupSizeAndChannelwiseOfAnUnalignedK() {
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT4B8, 512, false), SM90).reasons()).containsExactly(
                new Reason("group size", "one of [-1, 32, 64, 128, 256]", "512"));
        assertThat(KERNEL.canImplement(layer(96, 64, UINT4B8, 48, false), SM90).reasons()).containsExactly(
                new Reason("group size", "one of [-1, 32, 64, 128, 256]", "48"));
        assertThat(KERNEL.canImplement(layer(100, 64, UINT8B128, -1, false), SM90).reasons()).containsExactly(
                new Reason("K alignment", "K % 32 == 0", "K=100"));
    }

    @Test
    void prepareRefusesWhatCanImplementRefusesWithEveryReason() {
        WeightOnlyConfig bf16 = WeightOnlyConfig.unsharded(4096, 100, UINT4B8, BFLOAT16, 128, false, false);
        assertThatThrownBy(() -> KERNEL.prepare(bf16, null, null)).isInstanceOf(NullPointerException.class);
        CpuDevice device = new CpuDevice(SM90);
        try (Arena arena = Arena.ofConfined()) {
            var weights = Layers.random(new SplittableRandom(1), 4096, 104, UINT4B8, 128, false, FLOAT16, arena).weights();
            assertThatThrownBy(() -> KERNEL.prepare(bf16, weights, device)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("exllama cannot prepare this layer: refused: activation type: needs float16, got bfloat16; output type: needs float16, "
                            + "got bfloat16; N alignment: needs N % 8 == 0, got N=100");
        }
    }

    private static WeightOnlyConfig layer(int k, int n, ScalarType type, int groupSize, boolean actOrder) {
        return WeightOnlyConfig.unsharded(k, n, type, FLOAT16, groupSize, false, actOrder);
    }
}
