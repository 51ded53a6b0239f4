package dev.qlinear.aiterfp8;

import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.select.CandidateVerdict;
import dev.qlinear.core.select.KernelSelector;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.core.select.SelectionReport;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.tritonfp8.TritonFp8Provider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FN;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Core's selection engine over this kernel and the Triton FP8 kernel as shipped, on MI300: aiter's tuned kernel comes
 * first where its table has the shape, and an untuned shape is refused with the table's reason so that the next kernel
 * is tried.
 */
final class TestAiterFp8Selection {

    private static final Platform MI300 = Platform.parse("rocm:gfx942");

    @TempDir
    Path temp;

    private KernelSelector selector(AiterSettings settings) {
        return new KernelSelector(new KernelRegistry(List.of(), List.of(registered(new AiterFp8Kernel(settings), "aiter-fp8"),
                registered(new TritonFp8Provider().kernels().getFirst(), "triton-fp8"))));
    }

    private static RegisteredKernel registered(LinearKernel<?> kernel, String pluginId) {
        return new RegisteredKernel(kernel, kernel.descriptor(), pluginId, "0.1.0", kernel.getClass().getClassLoader());
    }

    private static List<String> reasons(CandidateVerdict candidate) {
        return candidate.reasons().stream().map(Reason::message).toList();
    }

    @Test
    void aiterComesFirstAndIsSelectedForATunedPtpcLayer() {
        SelectionReport report = selector(Installations.settings(Installations.complete(temp.resolve("aiter"))))
                .explain(Layers.ptpc(576, 704, FLOAT8_E4M3FN, true), MI300, SelectionPolicy.defaults());

        assertThat(report.candidates()).extracting(CandidateVerdict::kernelId).containsExactly("aiter-fp8", "triton-fp8");
        assertThat(report.candidates().getFirst().priority()).hasValue(300);
        assertThat(report.selectedKernelId()).contains("aiter-fp8");
        assertThat(report.performanceWarning()).isEmpty();
    }

    @Test
    void anUntunedShapeIsRefusedWithTheTablesReasonAndFallsBackToTritonWithTheWarning() {
        Path home = Installations.complete(temp.resolve("aiter"));
        ScaledMmConfig untuned = Layers.ptpc(4096, 4096, FLOAT8_E4M3FN, false);

        SelectionReport report = selector(Installations.settings(home)).explain(untuned, MI300, SelectionPolicy.defaults());

        CandidateVerdict aiter = report.candidates().getFirst();
        assertThat(aiter.kernelId()).isEqualTo("aiter-fp8");
        assertThat(aiter.status()).isEqualTo(CandidateVerdict.Status.REFUSED);
        assertThat(reasons(aiter)).singleElement().asString().startsWith("tuned GEMM: needs a row for N=4096, K=4096 with q_dtype_w torch.float8_e4m3fnuz")
                .contains(home + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv");
        CandidateVerdict triton = report.candidates().get(1);
        assertThat(triton.kernelId()).isEqualTo("triton-fp8");
        assertThat(triton.status()).isEqualTo(CandidateVerdict.Status.SELECTED);
        assertThat(report.selectedKernelId()).contains("triton-fp8");
        assertThat(report.performanceWarning()).hasValueSatisfying(warning -> assertThat(warning).contains("aiter-fp8", "tuned GEMM"));
    }

    @Test
    void aiterSwitchedOffLeavesTheLayerToTheNextCandidate() {
        Path home = Installations.complete(temp.resolve("aiter"));
        AiterSettings off = AiterSettings.fromEnvironment(Map.of(AiterSettings.AITER_HOME, home.toString(), AiterSettings.USE_AITER, "0"));

        SelectionReport report = selector(off).explain(Layers.ptpc(576, 704, FLOAT8_E4M3FN, true), MI300, SelectionPolicy.defaults());

        assertThat(reasons(report.candidates().getFirst())).containsExactly(
                "aiter enabled: needs QLINEAR_ROCM_USE_AITER unset or one of [1, true, on, yes], got QLINEAR_ROCM_USE_AITER=0");
        assertThat(report.candidates().get(1).kernelId()).isEqualTo("triton-fp8");
    }

    @Test
    void disablingAiterByPolicyRefusesItBeforeAskingIt() {
        Path home = Installations.complete(temp.resolve("aiter"));
        SelectionPolicy policy = SelectionPolicy.fromEnvironment(Map.of(SelectionPolicy.DISABLED_ENV, "aiter-fp8"), new Properties());

        SelectionReport report = selector(Installations.settings(home)).explain(Layers.ptpc(576, 704, FLOAT8_E4M3FN, true), MI300, policy);

        assertThat(reasons(report.candidates().getFirst())).first().asString().startsWith("policy: needs kernel not disabled");
        assertThat(report.selectedKernelId()).contains("triton-fp8");
    }
}
