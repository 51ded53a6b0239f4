package dev.qlinear.core.select;

import dev.qlinear.core.plugin.KernelDiscovery;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.testing.CapturedLogs;
import dev.qlinear.core.testing.TestPluginsFolder;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Selection over the real test plugins alpha (fast-w4: CUDA 100; portable-w4: CUDA 10, ROCm 100, CPU 5) and gamma
 * (exl-w4: CUDA 50, ROCm gfx942 50, fp16 only; fp8-ptpc: CUDA sm_89+ 100).
 */
final class TestKernelSelection {

    private static final Platform HOPPER = Platform.parse("cuda:sm_90");
    private static final Platform MI300 = Platform.parse("rocm:gfx942");
    private static final WeightOnlyConfig GPTQ_FP16 = layer(4096, 4096, ScalarType.FLOAT16, 128, false);
    private static final ScaledMmConfig FP8_PTPC = new ScaledMmConfig(new LayerShape(4096, 6144),
            QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_CHANNEL, true), QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TOKEN, false),
            ScalarType.BFLOAT16, ScalarType.BFLOAT16, false);

    private static KernelRegistry registry;

    @BeforeAll
    static void installPlugins(@TempDir Path plugins) {
        registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(TestPluginsFolder.withGoodPlugins(plugins)), Optional.empty());
    }

    private static WeightOnlyConfig layer(int k, int n, ScalarType activation, int groupSize, boolean actOrder) {
        return WeightOnlyConfig.unsharded(k, n, ScalarType.UINT4B8, activation, groupSize, false, actOrder);
    }

    private static SelectionReport explain(WeightOnlyConfig config, Platform platform, SelectionPolicy policy) {
        return new KernelSelector(registry).explain(config, platform, policy);
    }

    private static List<String> reasons(SelectionReport report, String kernelId) {
        return report.candidates().stream().filter(candidate -> candidate.kernelId().equals(kernelId)).findFirst().orElseThrow()
                .reasons().stream().map(Reason::message).toList();
    }

    @Test
    void candidatesAreOrderedByDeclaredPriorityOnThePlatform() {
        SelectionReport onCuda = explain(GPTQ_FP16, HOPPER, SelectionPolicy.defaults());
        SelectionReport onRocm = explain(GPTQ_FP16, MI300, SelectionPolicy.defaults());
        SelectionReport onCpu = explain(GPTQ_FP16, Platform.parse("cpu"), SelectionPolicy.defaults());

        assertThat(onCuda.candidates()).extracting(CandidateVerdict::kernelId).containsExactly("fast-w4", "exl-w4", "portable-w4");
        assertThat(onCuda.selectedKernelId()).contains("fast-w4");
        assertThat(onCuda.candidates()).extracting(CandidateVerdict::status).containsExactly(
                CandidateVerdict.Status.SELECTED, CandidateVerdict.Status.ACCEPTED, CandidateVerdict.Status.ACCEPTED);
        assertThat(onRocm.candidates()).extracting(CandidateVerdict::kernelId).startsWith("portable-w4", "exl-w4");
        assertThat(onRocm.selectedKernelId()).contains("portable-w4");
        assertThat(onCpu.selectedKernelId()).contains("portable-w4");
        assertThat(onCuda.performanceWarning()).isEmpty();
    }

    @Test
    void rocmArchitecturesAreNeverTakenForCudaCapabilities() {
        SelectionReport report = explain(GPTQ_FP16, MI300, SelectionPolicy.defaults());

        assertThat(reasons(report, "fast-w4")).containsExactly("platform: needs cuda:sm_80+, got rocm:gfx942");
        assertThat(reasons(explain(GPTQ_FP16, Platform.parse("rocm:gfx1151"), SelectionPolicy.defaults()), "exl-w4"))
                .containsExactly("platform: needs one of [cuda:sm_80+, rocm:gfx942], got rocm:gfx1151");
    }

    @Test
    void everyUnmetConstraintIsListedNotOnlyTheFirst() {
        WeightOnlyConfig awkward = layer(2112, 4100, ScalarType.BFLOAT16, 64, true);

        SelectionReport report = explain(awkward, HOPPER, SelectionPolicy.defaults());

        assertThat(reasons(report, "fast-w4")).containsExactly("K alignment: needs K % 128 == 0, got K=2112", "N alignment: needs N % 64 == 0, got N=4100");
        assertThat(reasons(report, "exl-w4")).containsExactly(
                "activation type: needs float16, got bfloat16", "output type: needs float16, got bfloat16",
                "act-order: needs no act-order (g_idx), got act-order", "N alignment: needs N % 8 == 0, got N=4100");
    }

    @Test
    void aPartialLastGroupIsRefusedUnlessDeclared() {
        // 2112 = 16.5 groups of 128: the test kernels, built against the SPI's 8-field capabilities, declare no partial group
        SelectionReport report = explain(layer(2112, 4096, ScalarType.FLOAT16, 128, false), HOPPER, SelectionPolicy.defaults());

        assertThat(reasons(report, "exl-w4")).contains(
                "whole groups: needs a group size that divides K (no partial last group declared), got group size 128 leaves a last group of 64 rows of K=2112");
    }

    @Test
    void theKernelsOwnCheckRunsAfterTheDeclaredOnesPass() {
        SelectionReport report = explain(layer(128, 4096, ScalarType.FLOAT16, 32, false), HOPPER, SelectionPolicy.defaults());

        assertThat(reasons(report, "fast-w4")).containsExactly("minimum K: needs K >= 256, got K=128");
        assertThat(report.selectedKernelId()).contains("exl-w4");
    }

    @Test
    void disabledByEnvironmentFallsBackWithoutAPerformanceWarning() {
        SelectionPolicy policy = SelectionPolicy.fromEnvironment(Map.of(SelectionPolicy.DISABLED_ENV, "fast-w4, portable-w4"), new Properties());

        SelectionReport report = explain(GPTQ_FP16, HOPPER, policy);

        assertThat(report.selectedKernelId()).contains("exl-w4");
        assertThat(reasons(report, "fast-w4")).containsExactly("policy: needs kernel not disabled, got disabled by QLINEAR_DISABLED_KERNELS");
        assertThat(report.performanceWarning()).isEmpty();
    }

    @Test
    void disabledBySystemPropertyAndByCliAddUp() {
        Properties properties = new Properties();
        properties.setProperty(SelectionPolicy.DISABLED_PROPERTY, "fast-w4");
        SelectionPolicy policy = SelectionPolicy.fromEnvironment(Map.of(), properties).disable(List.of("exl-w4"), "--disable");

        SelectionReport report = explain(GPTQ_FP16, HOPPER, policy);

        assertThat(reasons(report, "fast-w4")).containsExactly("policy: needs kernel not disabled, got disabled by -Dqlinear.kernels.disabled");
        assertThat(reasons(report, "exl-w4")).containsExactly("policy: needs kernel not disabled, got disabled by --disable");
        assertThat(report.selectedKernelId()).contains("portable-w4");
    }

    @Test
    void preferredKernelGoesFirstWhereItCanRunTheLayer() {
        SelectionPolicy policy = SelectionPolicy.defaults().prefer(List.of("portable-w4"));

        SelectionReport report = explain(GPTQ_FP16, HOPPER, policy);
        SelectionReport actOrder = explain(layer(4096, 4096, ScalarType.FLOAT16, 128, true), HOPPER, policy);

        assertThat(report.selectedKernelId()).contains("portable-w4");
        assertThat(report.candidates().getFirst().kernelId()).isEqualTo("portable-w4");
        assertThat(report.performanceWarning()).isEmpty();
        assertThat(actOrder.selectedKernelId()).contains("fast-w4");
    }

    @Test
    void forcedKernelIsTheOnlyCandidateForLayersOfItsKind() {
        SelectionPolicy policy = SelectionPolicy.defaults().force(Set.of("portable-w4"));
        KernelSelector selector = new KernelSelector(registry);

        assertThat(selector.select(GPTQ_FP16, HOPPER, policy).id()).isEqualTo("portable-w4");
        assertThat(reasons(selector.explain(GPTQ_FP16, HOPPER, policy), "fast-w4")).containsExactly("policy: needs the forced kernel, got kernel portable-w4 is forced");
        // forcing a weight-only kernel leaves FP8 layers alone
        assertThat(selector.select(FP8_PTPC, HOPPER, policy).id()).isEqualTo("fp8-ptpc");
    }

    @Test
    void forcedKernelThatCannotRunTheLayerIsAnErrorWithItsReasons() {
        SelectionPolicy policy = SelectionPolicy.defaults().force(Set.of("exl-w4"));
        KernelSelector selector = new KernelSelector(registry);

        assertThatThrownBy(() -> selector.select(layer(4096, 4096, ScalarType.BFLOAT16, 128, false), HOPPER, policy))
                .isInstanceOf(ForcedKernelException.class)
                .hasMessage("forced kernel exl-w4 cannot run weight-only uint4b8 x bfloat16 -> bfloat16, K=4096 N=4096, group 128 on cuda:sm_90: "
                        + "activation type: needs float16, got bfloat16; output type: needs float16, got bfloat16");
    }

    @Test
    void forcedKernelThatIsNotInstalledIsAnError() {
        SelectionPolicy policy = SelectionPolicy.defaults().force(Set.of("marlin"));

        assertThatThrownBy(() -> new KernelSelector(registry).select(GPTQ_FP16, HOPPER, policy))
                .isInstanceOf(ForcedKernelException.class)
                .hasMessage("forced kernel marlin is not installed; installed kernels: [exl-w4, fast-w4, fp8-ptpc, portable-w4]");
    }

    @Test
    void twoKernelsForcedForOneLayerKindIsAnError() {
        SelectionPolicy policy = SelectionPolicy.defaults().force(Set.of("exl-w4", "fast-w4"));

        assertThatThrownBy(() -> new KernelSelector(registry).select(GPTQ_FP16, HOPPER, policy))
                .isInstanceOf(ForcedKernelException.class)
                .hasMessageContaining("kernels exl-w4, fast-w4 are all forced for WEIGHT_ONLY layers");
    }

    @Test
    void forcedAndDisabledAtOnceIsRefusedByThePolicy() {
        assertThatThrownBy(() -> SelectionPolicy.defaults().disable(List.of("fast-w4"), "--disable").force(Set.of("fast-w4")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("kernel 'fast-w4' is both forced and disabled (by --disable)");
    }

    @Test
    void noKernelFoundListsEveryCandidateWithAllItsReasons() {
        WeightOnlyConfig impossible = layer(2112, 4096, ScalarType.BFLOAT16, 64, true);

        assertThatThrownBy(() -> new KernelSelector(registry).select(impossible, HOPPER, SelectionPolicy.defaults()))
                .isInstanceOf(NoKernelFoundException.class)
                .hasMessage("""
                        no kernel can run weight-only uint4b8 x bfloat16 -> bfloat16, K=2112 N=4096, group 64, act-order on cuda:sm_90; candidates:
                          - fast-w4 (plugin alpha 1.0.0): K alignment: needs K % 128 == 0, got K=2112
                          - exl-w4 (plugin gamma 1.0.0): activation type: needs float16, got bfloat16; output type: needs float16, got bfloat16; \
                        act-order: needs no act-order (g_idx), got act-order
                          - portable-w4 (plugin alpha 1.0.0): act-order: needs no act-order (g_idx), got act-order""");
    }

    @Test
    void fallbackLogsOnePerformanceWarningNamingTheRefusedKernelsAndWhy() {
        KernelSelector selector = new KernelSelector(registry);
        WeightOnlyConfig gemmaDown = layer(2112, 4096, ScalarType.FLOAT16, 64, false);

        try (CapturedLogs logs = new CapturedLogs(KernelSelector.class)) {
            SelectionReport first = selector.explain(gemmaDown, HOPPER, SelectionPolicy.defaults());
            SelectionReport again = selector.explain(gemmaDown, HOPPER, SelectionPolicy.defaults());
            selector.select(gemmaDown, HOPPER, SelectionPolicy.defaults());

            assertThat(first.selectedKernelId()).contains("exl-w4");
            assertThat(again).isSameAs(first);
            assertThat(logs.warnings()).singleElement().isEqualTo(
                    "Performance: fallback kernel exl-w4 (priority 50) selected for weight-only uint4b8 x float16 -> float16, K=2112 N=4096, group 64 "
                            + "on cuda:sm_90 because higher-priority kernels refused: fast-w4 (plugin alpha 1.0.0): K alignment: needs K % 128 == 0, got K=2112 [priority 100]");
            assertThat(first.performanceWarning()).contains(logs.warnings().getFirst());
        }
    }

    @Test
    void scaledMmLayersAreCheckedAgainstScaledMmDeclarations() {
        ScaledMmConfig perTokenStaticFp32Out = new ScaledMmConfig(new LayerShape(4100, 6144),
                QuantKey.of(ScalarType.FLOAT8_E4M3FNUZ, GroupShape.PER_CHANNEL, true), QuantKey.of(ScalarType.FLOAT8_E4M3FN, new GroupShape(1, 128), true),
                ScalarType.BFLOAT16, ScalarType.FLOAT32, true);
        KernelSelector selector = new KernelSelector(registry);

        assertThat(selector.explain(FP8_PTPC, HOPPER, SelectionPolicy.defaults()).selectedKernelId()).contains("fp8-ptpc");
        assertThat(selector.explain(FP8_PTPC, Platform.parse("cuda:sm_80"), SelectionPolicy.defaults()).selectedKernelId()).isEmpty();
        SelectionReport report = selector.explain(perTokenStaticFp32Out, HOPPER, SelectionPolicy.defaults());
        assertThat(report.candidates().stream().filter(candidate -> candidate.kernelId().equals("fp8-ptpc")).findFirst().orElseThrow().reasons())
                .extracting(Reason::constraint)
                .containsExactly("weight type", "activation scales", "output type", "K alignment");
    }

    @Test
    void decisionsAreCachedPerPlatformLayerAndPolicy() {
        KernelSelector selector = new KernelSelector(registry);

        SelectionReport first = selector.explain(GPTQ_FP16, HOPPER, SelectionPolicy.defaults());

        assertThat(selector.explain(layer(4096, 4096, ScalarType.FLOAT16, 128, false), HOPPER, SelectionPolicy.defaults())).isSameAs(first);
        assertThat(selector.explain(GPTQ_FP16, Platform.parse("cuda:sm_90a"), SelectionPolicy.defaults())).isSameAs(first);
        assertThat(selector.explain(GPTQ_FP16, MI300, SelectionPolicy.defaults())).isNotSameAs(first);
        assertThat(selector.explain(GPTQ_FP16, HOPPER, SelectionPolicy.defaults().prefer(List.of("exl-w4")))).isNotSameAs(first);
    }
}
