package dev.qlinear.marlin;

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
import static dev.qlinear.spi.type.ScalarType.UINT8;
import static dev.qlinear.spi.type.ScalarType.UINT8B128;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The declaration, {@code supports} and {@code canImplement}, with the exact reasons. */
final class TestMarlinKernel {

    /** What the build puts in the jar; the bytes do not matter to these checks. */
    static final KernelImages BUILT = new KernelImages(MarlinFunctions.IMAGE, Optional.of(new byte[] {1}), List.of(ImageTarget.parse("sm_80"), ImageTarget.parse("sm_90a"),
            ImageTarget.parse("compute_80")));
    private static final MarlinKernel KERNEL = new MarlinKernel(BUILT, MarlinSettings.of(Optional.empty(), Optional.empty()));
    private static final Platform SM90 = Platform.parse("cuda:sm_90");
    private static final String K_NOT_FULL = "K not split across tensor-parallel ranks (partition K == full K)";

    @Test
    void declaresCudaSm80AndUpAboveExllamaWithItsExactCapabilities() {
        KernelDescriptor descriptor = KERNEL.descriptor();
        assertThat(descriptor.id()).isEqualTo("marlin");
        assertThat(descriptor.family()).isEqualTo("marlin");
        assertThat(descriptor.version()).isEqualTo("0.1.0");
        assertThat(descriptor.platforms()).singleElement().satisfies(support -> {
            assertThat(support.requirement().spec()).isEqualTo("cuda:sm_80+");
            assertThat(support.priority()).isEqualTo(300);
        });
        assertThat(descriptor.tolerance()).isEqualTo(ToleranceClass.RELATIVE_MEAN_ERROR);
        assertThat(descriptor.maxRows()).isEqualTo(65536);
        assertThat(descriptor.capabilities()).isEqualTo(new WeightOnlyCapabilities(Set.of(UINT4B8, UINT4), Set.of(FLOAT16, BFLOAT16), Set.of(FLOAT16, BFLOAT16),
                Set.of(-1, 32, 64, 128), true, true, 128, 64));
        assertThat(KERNEL.preparedLayout()).contains("marlin");
        assertThat(KERNEL).hasToString("marlin");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda:sm_80", "cuda:sm_86", "cuda:sm_89", "cuda:sm_90", "cuda:sm_100", "cuda:sm_120"})
    void supportsEveryArchitectureAnImageRunsOn(String spec) {
        assertThat(KERNEL.supports(Platform.parse(spec)).isAccepted()).isTrue();
    }

    @Test
    void refusesArchitecturesBelowSm80NamingTheImages() {
        assertThat(KERNEL.supports(Platform.parse("cuda:sm_75")).reasons()).containsExactly(new Reason("CUDA architecture",
                "one the kernel images run on (SASS sm_80, SASS sm_90a, PTX compute_80)", "sm_75"));
        assertThat(KERNEL.supports(Platform.parse("cuda:sm_70")).reasons()).extracting(Reason::actual).containsExactly("sm_70");
    }

    @Test
    void refusesOtherVendors() {
        assertThat(KERNEL.supports(Platform.parse("rocm:gfx942")).reasons()).containsExactly(new Reason("platform", "a CUDA device", "rocm:gfx942"));
        assertThat(KERNEL.supports(Platform.parse("cpu:x86_64")).reasons()).containsExactly(new Reason("platform", "a CUDA device", "cpu:x86_64"));
    }

    @Test
    void withoutImagesRefusesEveryCudaPlatform() {
        MarlinKernel unbuilt = new MarlinKernel(KernelImages.absent(MarlinFunctions.IMAGE), MarlinSettings.of(Optional.empty(), Optional.empty()));
        Reason notBuilt = new Reason("kernel images", "CUDA kernel images in the plugin jar", "kernel images were not built (nvcc was missing at build time)");
        for (String spec : List.of("cuda:sm_80", "cuda:sm_90", "cuda:sm_120")) {
            assertThat(unbuilt.supports(Platform.parse(spec)).reasons()).containsExactly(notBuilt);
        }
        assertThat(unbuilt.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 128, false), SM90).reasons()).containsExactly(notBuilt);
    }

    @Test
    void acceptsEveryDeclaredKindOfLayer() {
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 128, false), SM90).isAccepted()).isTrue();
        // bfloat16 uint4 with zero points
        assertThat(KERNEL.canImplement(layer(4096, 14336, UINT4, BFLOAT16, 128, false), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(14336, 4096, UINT4, BFLOAT16, 32, true), Platform.parse("cuda:sm_80")).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(2048, 576, UINT4B8, BFLOAT16, 64, true), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(2816, 704, UINT4B8, FLOAT16, -1, false), SM90).isAccepted()).isTrue();
        // G = K is one group, which the engine calls channelwise
        assertThat(KERNEL.canImplement(layer(512, 64, UINT4, FLOAT16, 512, false), SM90).isAccepted()).isTrue();
        // row-parallel without act-order
        assertThat(KERNEL.canImplement(new WeightOnlyConfig(new LayerShape(14336, 256), new LayerShape(3584, 256), UINT4B8, FLOAT16, 64, false, false, FLOAT16),
                SM90).isAccepted()).isTrue();
    }

    @Test
    void listsEveryUnmetConstraintOfALayer() {
        WeightOnlyConfig everythingWrong = new WeightOnlyConfig(new LayerShape(4224, 100), new LayerShape(2112, 100), UINT8, FLOAT32, 16, true, true,
                FLOAT16);
        assertThat(KERNEL.canImplement(everythingWrong, Platform.parse("cuda:sm_75")).reasons()).containsExactly(
                new Reason("CUDA architecture", "one the kernel images run on (SASS sm_80, SASS sm_90a, PTX compute_80)", "sm_75"),
                new Reason("weight type", "one of [uint4, uint4b8]", "uint8"),
                new Reason("activation type", "one of [float16, bfloat16]", "float32"),
                new Reason("output type", "the activation type (float32)", "float16"),
                new Reason("group size", "one of [-1, 32, 64, 128]", "16"),
                new Reason("K alignment", "K % 128 == 0", "K=2112"),
                new Reason("N alignment", "N % 64 == 0", "N=100"),
                new Reason("act-order", K_NOT_FULL, "partition K=2112 of full K=4224"));
    }

    @Test
    void refusesAKOfWholeGroupsThatIsNoMultipleOf128() {
        // 2112 = 33 * 64: a layer of groups of 64 that the exllama kernel takes, but not whole stages of 128 rows
        assertThat(KERNEL.canImplement(layer(2112, 4096, UINT4B8, FLOAT16, 64, false), SM90).reasons()).containsExactly(
                new Reason("K alignment", "K % 128 == 0", "K=2112"));
        assertThat(KERNEL.canImplement(layer(2112, 4096, UINT4B8, FLOAT16, 64, false), SM90).toString())
                .isEqualTo("refused: K alignment: needs K % 128 == 0, got K=2112");
    }

    @Test
    void zeroPointsGoWithUint4Only() {
        assertThat(KERNEL.canImplement(WeightOnlyConfig.unsharded(4096, 4096, UINT4, FLOAT16, 128, false, false), SM90).reasons()).containsExactly(
                new Reason("zero points", "stored zero points for uint4, none for uint4b8 (which holds its zero point, 8, in the type)", "none with uint4"));
        // uint8 with zero points is refused for its type alone
        assertThat(KERNEL.canImplement(WeightOnlyConfig.unsharded(4096, 4096, UINT8, FLOAT16, 128, true, false), SM90).reasons()).containsExactly(
                new Reason("weight type", "one of [uint4, uint4b8]", "uint8"));
    }

    @Test
    void refusesEachOtherTypeAndGroupSize() {
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT8B128, FLOAT16, 128, false), SM90).reasons()).containsExactly(
                new Reason("weight type", "one of [uint4, uint4b8]", "uint8b128"));
        assertThat(KERNEL.canImplement(layer(4096, 4096, UINT4B8, FLOAT16, 256, false), SM90).reasons()).containsExactly(
                new Reason("group size", "one of [-1, 32, 64, 128]", "256"));
        assertThat(KERNEL.canImplement(new WeightOnlyConfig(new LayerShape(4096, 4096), new LayerShape(4096, 4096), UINT4B8, BFLOAT16, 128, false, false,
                FLOAT16), SM90).reasons()).containsExactly(new Reason("output type", "the activation type (bfloat16)", "float16"));
        assertThat(KERNEL.canImplement(layer(4096, 4160, UINT4B8, FLOAT16, -1, false), SM90).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(layer(4096, 4104, UINT4B8, FLOAT16, -1, false), SM90).reasons()).containsExactly(
                new Reason("N alignment", "N % 64 == 0", "N=4104"));
    }

    @Test
    void prepareRefusesWhatCanImplementRefusesWithEveryReason() {
        WeightOnlyConfig wrong = WeightOnlyConfig.unsharded(2112, 100, UINT4B8, FLOAT32, 64, false, false);
        assertThatThrownBy(() -> KERNEL.prepare(wrong, null, null)).isInstanceOf(NullPointerException.class);
        CpuDevice device = new CpuDevice(SM90);
        try (Arena arena = Arena.ofConfined()) {
            var weights = Layers.random(new SplittableRandom(1), 2112, 128, UINT4B8, 64, false, FLOAT16, FLOAT16, false, arena).weights();
            assertThatThrownBy(() -> KERNEL.prepare(wrong, weights, device)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("marlin cannot prepare this layer: refused: activation type: needs one of [float16, bfloat16], got float32; K alignment: "
                            + "needs K % 128 == 0, got K=2112; N alignment: needs N % 64 == 0, got N=100");
        }
    }

    private static WeightOnlyConfig layer(int k, int n, ScalarType type, ScalarType activation, int groupSize, boolean actOrder) {
        return WeightOnlyConfig.unsharded(k, n, type, activation, groupSize, type.equals(UINT4), actOrder);
    }
}
