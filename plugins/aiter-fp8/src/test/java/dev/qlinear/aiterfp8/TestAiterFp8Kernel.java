package dev.qlinear.aiterfp8;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FN;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FNUZ;
import static org.assertj.core.api.Assertions.assertThat;

/** The declaration, {@code supports} and {@code canImplement} with real installations in folders, and the exact reasons. */
final class TestAiterFp8Kernel {

    private static final Platform GFX942 = Platform.parse("rocm:gfx942");
    private static final Platform GFX950 = Platform.parse("rocm:gfx950");
    private static final ScaledMmConfig TUNED = Layers.ptpc(576, 704, FLOAT8_E4M3FN, false);

    @TempDir
    Path temp;

    private AiterFp8Kernel kernel(Path home) {
        return new AiterFp8Kernel(Installations.settings(home));
    }

    private static List<String> reasons(Verdict verdict) {
        return verdict.reasons().stream().map(Reason::message).toList();
    }

    @Test
    void declaresMi300AndMi350AboveTritonWithItsExactCapabilities() {
        KernelDescriptor descriptor = new AiterFp8Provider().kernels().getFirst().descriptor();
        assertThat(descriptor.id()).isEqualTo("aiter-fp8");
        assertThat(descriptor.family()).isEqualTo("aiter-fp8");
        assertThat(descriptor.version()).isEqualTo("0.1.0");
        assertThat(descriptor.platforms()).extracting(support -> support.requirement().spec() + " " + support.priority()).containsExactly("rocm:gfx942,gfx950 300");
        assertThat(descriptor.tolerance()).isEqualTo(ToleranceClass.FP8_W8A8);
        assertThat(descriptor.maxRows()).isEqualTo(65536);
        assertThat(descriptor.capabilities()).isEqualTo(new ScaledMmCapabilities(Set.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ), Set.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ),
                Set.of(GroupShape.PER_CHANNEL), Set.of(GroupShape.PER_TOKEN), false, true, Set.of(BFLOAT16), Set.of(BFLOAT16), true, 32, 16));
        assertThat(kernel(temp).preparedLayout()).contains("aiter-preshuffle-16x16");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda:sm_90", "rocm:gfx90a", "rocm:gfx940", "rocm:gfx1151", "rocm:gfx1201"})
    void supportsOnlyMi300AndMi350(String spec) {
        Path home = Installations.complete(temp.resolve("aiter"));
        assertThat(reasons(kernel(home).supports(Platform.parse(spec)))).containsExactly(
                "platform: needs ROCm gfx942 (MI300) or gfx950 (MI350), whose FP8 matrix cores aiter's CK GEMMs use, got " + Platform.parse(spec).spec());
    }

    @Test
    void supportsMi300AndMi350WithACompleteInstallation() {
        AiterFp8Kernel kernel = kernel(Installations.complete(temp.resolve("aiter")));
        assertThat(kernel.supports(GFX942).isAccepted()).isTrue();
        assertThat(kernel.supports(GFX950).isAccepted()).isTrue();
    }

    @Test
    void aiterSwitchedOffOrUnreadableComesBeforeTheInstallation() {
        Map<String, String> off = Map.of(AiterSettings.USE_AITER, "off", AiterSettings.AITER_HOME, temp.toString());
        assertThat(reasons(new AiterFp8Kernel(AiterSettings.fromEnvironment(off)).supports(GFX942)))
                .containsExactly("aiter enabled: needs QLINEAR_ROCM_USE_AITER unset or one of [1, true, on, yes], got QLINEAR_ROCM_USE_AITER=off");
        Map<String, String> unreadable = Map.of(AiterSettings.USE_AITER, "sometimes", AiterSettings.AITER_HOME, temp.toString());
        assertThat(reasons(new AiterFp8Kernel(AiterSettings.fromEnvironment(unreadable)).supports(GFX942))).singleElement().asString()
                .startsWith("QLINEAR_ROCM_USE_AITER: needs one of [1, true, on, yes] (use aiter) or [0, false, off, no] (do not)").endsWith("got 'sometimes'");
    }

    @Test
    void refusesAnInstallationWithoutTheShimSayingHowToBuildIt() {
        Path home = Installations.lay(temp.resolve("aiter"), Installations.TUNED, Installations.KERNELS, false);
        assertThat(reasons(kernel(home).supports(GFX942))).containsExactly("aiter shim: needs " + home
                + "/qlinear/libqlinear_aiter_fp8.so (build it with plugins/aiter-fp8/src/main/hip/build-shim.sh " + home + " (aiter-shim/build-shim.sh in a GPU bundle)), got no such file");
        // the tuned-GEMM lookup needs no shim
        assertThat(kernel(home).canImplement(TUNED, GFX942).isAccepted()).isTrue();
    }

    @Test
    void acceptsTunedPtpcLayersOfEitherCheckpointTypeOnMi300AndE4m3fnOnMi350() {
        AiterFp8Kernel kernel = kernel(Installations.complete(temp.resolve("aiter")));
        assertThat(kernel.canImplement(TUNED, GFX942).isAccepted()).isTrue();
        assertThat(kernel.canImplement(Layers.ptpc(576, 704, FLOAT8_E4M3FNUZ, true), GFX942).isAccepted()).isTrue();
        assertThat(kernel.canImplement(Layers.ptpc(576, 704, FLOAT8_E4M3FN, true), GFX950).isAccepted()).isTrue();
    }

    @Test
    void refusesE4m3fnuzOnMi350() {
        AiterFp8Kernel kernel = kernel(Installations.complete(temp.resolve("aiter")));
        assertThat(reasons(kernel.canImplement(Layers.ptpc(576, 704, FLOAT8_E4M3FNUZ, false), GFX950))).containsExactly(
                "weight type: needs float8_e4m3fn (gfx950 takes e4m3fn; e4m3fnuz is the MI300 encoding), got float8_e4m3fnuz",
                "activation type: needs float8_e4m3fn (gfx950 takes e4m3fn; e4m3fnuz is the MI300 encoding), got float8_e4m3fnuz");
    }

    @Test
    void refusesShapesTheShuffleCannotTileNamingItsTiles() {
        Path home = Installations.complete(temp.resolve("aiter"));
        AiterFp8Kernel kernel = kernel(home);
        // K = 3696 = 115.5 tiles of 32 bytes: the Qwen2.5-72B down projection at TP 8, which vLLM's K % 16 admits
        assertThat(reasons(kernel.canImplement(Layers.ptpc(3696, 704, FLOAT8_E4M3FN, false), GFX942))).contains(
                "K alignment: needs K % 32 == 0 (the (16, 16) shuffle's 32-byte K tiles), got K=3696");
        assertThat(reasons(kernel.canImplement(Layers.ptpc(576, 712, FLOAT8_E4M3FN, false), GFX942))).contains(
                "N alignment: needs N % 16 == 0 (the (16, 16) shuffle's 16-row tiles), got N=712");
    }

    @Test
    void listsEveryUnmetConstraintOfANonPtpcLayer() {
        AiterFp8Kernel kernel = kernel(Installations.complete(temp.resolve("aiter")));
        ScaledMmConfig perTensor = new ScaledMmConfig(new LayerShape(576, 704), QuantKey.of(FLOAT8_E4M3FN, GroupShape.PER_TENSOR, true),
                QuantKey.of(FLOAT8_E4M3FN, GroupShape.PER_TENSOR, true), FLOAT16, FLOAT16, false);
        assertThat(reasons(kernel.canImplement(perTensor, GFX942))).containsExactly(
                "weight scales: needs per-channel (aiter's per-token x per-channel GEMM), got per-tensor",
                "activation scales: needs per-token (aiter's per-token x per-channel GEMM), got per-tensor",
                "activation scales: needs dynamic (each row quantized on every call), got static",
                "input type: needs bfloat16, got float16",
                "output type: needs bfloat16 (aiter's pre-shuffled GEMM writes bf16), got float16");
    }

    @Test
    void refusesAnUntunedShapeNamingTheCsvAndTheShape() {
        Path home = Installations.complete(temp.resolve("aiter"));
        assertThat(reasons(kernel(home).canImplement(Layers.ptpc(4096, 4096, FLOAT8_E4M3FN, false), GFX942))).containsExactly(
                "tuned GEMM: needs a row for N=4096, K=4096 with q_dtype_w torch.float8_e4m3fnuz, libtype ck, gfx gfx942 and a kernelId listed in " + home
                        + "/qlinear/kernels.list, in the tuned-GEMM CSV " + home + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv (aiter's pre-shuffled GEMM "
                        + "is chosen for tuned shapes only), got none for N=4096, K=4096");
    }

    @Test
    void aShapeTunedForAnotherGpuModelIsUntunedOnADetectedDevice() {
        AiterFp8Kernel kernel = kernel(Installations.complete(temp.resolve("aiter")));
        Platform mi308x = new Platform(new Architecture.Rocm("gfx942"), Optional.of(new DeviceProperties("AMD Instinct MI308X", 80, 192L << 30, 256L << 20, Set.of())));
        Platform mi300x = new Platform(new Architecture.Rocm("gfx942"), Optional.of(new DeviceProperties("AMD Instinct MI300X", 304, 192L << 30, 256L << 20, Set.of())));

        assertThat(kernel.canImplement(TUNED, mi300x).isAccepted()).isTrue();
        assertThat(reasons(kernel.canImplement(TUNED, mi308x))).singleElement().asString()
                .contains("with q_dtype_w torch.float8_e4m3fnuz, libtype ck, gfx gfx942, cu_num 80 and a kernelId").endsWith("got none for N=704, K=576");
    }

    @Test
    void saysSoWhenThereIsNoInstallationOrNoTable() throws IOException {
        AiterSettings nowhere = AiterSettings.fromEnvironment(Map.of("HOME", temp.toString()));
        if (AiterInstallation.locate(nowhere).isEmpty()) {
            assertThat(reasons(new AiterFp8Kernel(nowhere).canImplement(TUNED, GFX942))).singleElement().asString()
                    .startsWith("tuned GEMM: needs a row for N=704, K=576 in aiter's tuned-GEMM CSV, got no aiter installation (aiter installation: needs an aiter "
                            + "source tree");
        }
        Path bare = Installations.lay(temp.resolve("bare"), null, Installations.KERNELS, true);
        assertThat(reasons(kernel(bare).canImplement(TUNED, GFX942))).containsExactly("tuned GEMM: needs a row for N=704, K=576 in " + bare
                + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv, got no table to look in (aiter tuned-GEMM CSV: needs " + bare
                + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv (aiter's pre-shuffled a8w8 tuned-GEMM table in the source tree " + bare
                + "), got no such file)");

        Path broken = Installations.complete(temp.resolve("broken"));
        Files.write(broken.resolve(AiterInstallation.TUNED_GEMM_CSV), List.of(Installations.HEADER, "gfx942,304,one,704,576,torch.float8_e4m3fnuz,ck,3,0,1,a,1,1,0"));
        assertThat(reasons(kernel(broken).canImplement(TUNED, GFX942))).containsExactly("tuned GEMM: needs a row for N=704, K=576 in " + broken
                + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv, got tuned-GEMM CSV " + broken
                + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv is unreadable: line 2: M 'one' is not an integer");
    }

    @Test
    void onOtherPlatformsTheLayerIsJudgedWithoutLookingForATable() {
        AiterFp8Kernel kernel = kernel(temp.resolve("none"));
        assertThat(reasons(kernel.canImplement(TUNED, Platform.parse("cuda:sm_90")))).containsExactly(
                "platform: needs ROCm gfx942 (MI300) or gfx950 (MI350), whose FP8 matrix cores aiter's CK GEMMs use, got cuda:sm_90");
    }
}
