package dev.qlinear.conformance.cases;

import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.Sweep;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

final class TestCasePlanner {

    private static final Platform CPU = Platform.parse("cpu");
    private static final Set<ScalarType> HALF = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    private static final KernelDescriptor W4A16 = new KernelDescriptor("w4", "test", "1.0.0", List.of(PlatformSupport.of("cpu", 1)),
            new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8, ScalarType.UINT4), HALF, HALF, Set.of(-1, 32, 64, 128), true, true, 8, 1),
            ToleranceClass.BIT_EXACT, 65536);
    private static final KernelDescriptor STRICT = new KernelDescriptor("strict", "test", "1.0.0", List.of(PlatformSupport.of("cuda:sm_90", 100)),
            new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16), Set.of(128), false, false, 128, 64),
            ToleranceClass.RELATIVE_MEAN_ERROR, 256);

    @Test
    void everyDeclaredValueEveryShapeAndEveryRowCountIsCovered() {
        KernelPlan plan = CasePlanner.plan(W4A16, CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(0));
        List<ComputeCase> cases = computed(plan);

        assertThat(cases.stream().map(entry -> entry.variant().id()).collect(Collectors.toSet())).hasSize(28);
        assertThat(cases.stream().map(ComputeCase::m).collect(Collectors.toSet())).containsExactlyInAnyOrderElementsOf(Sweep.DEFAULT_ROWS);
        assertThat(cases.stream().map(entry -> entry.shape().id()).collect(Collectors.toSet())).hasSize(Sweep.DEFAULT_SHAPES.size() - 1);
        for (int m : Sweep.DEFAULT_ROWS) {
            for (boolean flag : List.of(false, true)) {
                assertThat(cases).as("M=" + m + " strided " + flag).anyMatch(entry -> entry.m() == m && entry.strided() == flag);
                assertThat(cases).as("M=" + m + " bias " + flag).anyMatch(entry -> entry.m() == m && entry.bias() == flag);
            }
        }
        assertThat(cases).allMatch(entry -> entry.macs() <= ConformanceSettings.DEFAULT_MAX_MACS);
        assertThat(cases).allMatch(entry -> entry.config() instanceof WeightOnlyConfig layer && (layer.isChannelwise() || layer.k() % layer.groupSize() == 0));
    }

    @Test
    void aKernelThatDeclaresAPartialLastGroupGetsLayersWhoseGroupsDoNotDivideK() {
        KernelDescriptor partial = new KernelDescriptor("partial", "test", "1.0.0", List.of(PlatformSupport.of("cpu", 1)),
                new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), HALF, HALF, Set.of(-1, 32, 64, 128), false, false, 8, 1, true),
                ToleranceClass.BIT_EXACT, 65536);

        KernelPlan all = CasePlanner.plan(partial, CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(0));
        KernelPlan sampled = CasePlanner.plan(partial, CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(1));

        assertThat(computed(all)).anyMatch(entry -> entry.config() instanceof WeightOnlyConfig layer && layer.hasPartialGroup())
                .allMatch(entry -> !(entry.config() instanceof WeightOnlyConfig layer) || !layer.hasPartialGroup() || layer.k() == layer.fullShape().k());
        assertThat(computed(sampled)).as("sampling keeps a layer with a partial last group")
                .anyMatch(entry -> entry.config() instanceof WeightOnlyConfig layer && layer.hasPartialGroup());
        assertThat(computed(CasePlanner.plan(W4A16, CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(0))))
                .noneMatch(entry -> entry.config() instanceof WeightOnlyConfig layer && layer.hasPartialGroup());
    }

    @Test
    void aKernelThatDeclaresALayoutGetsEveryVariantPackedForItsTwoSmallestShapes() {
        KernelPlan plan = CasePlanner.plan(W4A16, Optional.of("canonical"), CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(0));
        List<LayoutCase> layouts = plan.cases().stream().filter(LayoutCase.class::isInstance).map(LayoutCase.class::cast).toList();

        Set<String> variants = computed(plan).stream().map(entry -> entry.variant().id()).collect(Collectors.toSet());
        assertThat(layouts.stream().map(entry -> entry.layer().variant().id()).collect(Collectors.toSet())).isEqualTo(variants);
        assertThat(layouts).allMatch(entry -> entry.layout().equals("canonical") && entry.layer().m() == 1 && !entry.layer().bias() && !entry.layer().strided());
        assertThat(layouts.stream().collect(Collectors.groupingBy(entry -> entry.layer().variant().id(), Collectors.counting())).values()).containsOnly(2L);
        assertThat(plan.stats().layoutCases()).isEqualTo(layouts.size());
        assertThat(CasePlanner.plan(W4A16, CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(0)).cases()).noneMatch(LayoutCase.class::isInstance);
    }

    @Test
    void valuesAndShapesOutsideTheDeclarationAreReportedOnceEach() {
        KernelPlan plan = CasePlanner.plan(STRICT, Platform.parse("cuda:sm_90"), Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(0));

        assertThat(plan.cases()).filteredOn(NotDeclaredCase.class::isInstance).extracting(PlannedCase::id).contains(
                "not-declared-weight-type-uint4", "not-declared-zero-points", "not-declared-group-channelwise", "not-declared-group-32",
                "not-declared-act-order", "not-declared-activation-type-bf16", "not-declared-shape-k96-n40", "not-declared-m257", "not-declared-m1024");
        NotDeclaredCase shape = (NotDeclaredCase) plan.cases().stream().filter(entry -> entry.id().equals("not-declared-shape-k96-n40")).findFirst().orElseThrow();
        assertThat(shape.reason()).isEqualTo("shape K=96 N=40 is outside the declared alignment: needs K % 128 == 0 (K=96) and N % 64 == 0 (N=40)");
        assertThat(computed(plan)).isNotEmpty().allMatch(entry -> entry.k() % 128 == 0 && entry.n() % 64 == 0 && entry.m() <= 256);
    }

    @Test
    void theSizeCapDropsCasesAndSaysHowMany() {
        KernelPlan plan = CasePlanner.plan(W4A16, CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxMacs(100_000));

        assertThat(computed(plan)).isNotEmpty().allMatch(entry -> entry.macs() <= 100_000);
        assertThat(plan.stats().droppedBySizeCap()).isPositive();
        assertThat(plan.stats().describe()).contains(plan.stats().droppedBySizeCap() + " dropped by the size cap M*N*K <= 100000");
    }

    @Test
    void aCaseFilterChoosesOneCaseWithoutCapOrSample() {
        String id = "m1024-k4224-n128-uint4b8-g128-fp16-bias-strided";
        KernelPlan plan = CasePlanner.plan(W4A16, CPU, Sweep.defaults(), ConformanceSettings.defaults().withCase("w4/" + id));

        assertThat(plan.cases()).extracting(PlannedCase::id).containsExactly(id);
        assertThat(plan.stats().filtered()).isTrue();
    }

    @Test
    void mustRejectCasesChangeOneThingOfADeclaredLayer() {
        List<MustRejectCase> rejects = MustRejects.plan(W4A16, CPU);

        assertThat(rejects).extracting(MustRejectCase::id).containsExactlyInAnyOrder("reject-group-16", "reject-k-unaligned", "reject-activation-fp32",
                "reject-weight-uint8b128", "reject-weight-uint8", "reject-output-fp32", "reject-platform-cuda-sm_80", "reject-platform-cuda-sm_90",
                "reject-platform-rocm-gfx942");
        MustRejectCase group = rejects.getFirst();
        assertThat(group.rule()).isEqualTo("group size 16 is not declared (declared: [-1, 32, 64, 128])");
        assertThat(group.config()).isEqualTo(WeightOnlyConfig.unsharded(256, 256, ScalarType.UINT4B8, ScalarType.FLOAT16, 16, false, false));
        assertThat(rejects).filteredOn(MustRejectCase::platformCase).allMatch(entry -> entry.config().equals(
                WeightOnlyConfig.unsharded(256, 256, ScalarType.UINT4B8, ScalarType.FLOAT16, 32, false, false)));
    }

    @Test
    void scaledMmCasesFollowTheDeclaredScales() {
        KernelDescriptor fp8 = new KernelDescriptor("fp8", "test", "1.0.0", List.of(PlatformSupport.of("cpu", 1)),
                new ScaledMmCapabilities(Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(GroupShape.PER_CHANNEL),
                        Set.of(GroupShape.PER_TOKEN), false, true, Set.of(ScalarType.BFLOAT16), Set.of(ScalarType.BFLOAT16), false, 16, 16),
                ToleranceClass.FP8_W8A8, 65536);

        KernelPlan plan = CasePlanner.plan(fp8, CPU, Sweep.defaults(), ConformanceSettings.defaults().withMaxCases(0));

        assertThat(computed(plan)).isNotEmpty().allSatisfy(entry -> {
            assertThat(entry.variant().id()).isEqualTo("e4m3fn-wchannel-atoken-dynamic-bf16-to-bf16");
            assertThat(entry.bias()).isFalse();
        });
        assertThat(plan.cases()).extracting(PlannedCase::id).contains("not-declared-bias", "not-declared-static-scales",
                "not-declared-weight-scales-per-tensor", "not-declared-activation-scales-per-tensor", "reject-bias", "reject-static-scales",
                "reject-weight-scales-per-tensor", "reject-k-unaligned", "reject-input-fp16");
    }

    private static List<ComputeCase> computed(KernelPlan plan) {
        return plan.cases().stream().filter(ComputeCase.class::isInstance).map(ComputeCase.class::cast).toList();
    }
}
