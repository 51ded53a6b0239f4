package dev.qlinear.tritonw4a16;

import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The variant table against the images the jar ships, and the split-K plans. */
final class TestTritonW4a16Variants {

    private static final Map<String, List<String>> IMAGES = TritonImages.load(TritonW4a16Kernel.class.getClassLoader(), TritonW4a16Variants.DIRECTORY)
            .targetsByVariant();
    private static final List<Integer> GROUP_SIZES = List.of(-1, 32, 64, 128, 256);

    @Test
    void namesExactlyTheVariantsTheImagesHold() {
        assertThat(TritonW4a16Variants.all()).hasSize(46).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(IMAGES.keySet());
        assertThat(IMAGES.values()).allSatisfy(targets -> assertThat(targets).containsExactlyInAnyOrder("compute_80", "gfx90a", "gfx942", "gfx950", "sm_80", "sm_90a"));
        assertThat(TritonW4a16Variants.variants(BFLOAT16, true, 128))
                .containsExactly("w4a16_bf16_zp_m1n128k128", "w4a16_bf16_zp_m16n128k64", "w4a16_bf16_zp_m64n128k64", "w4a16_bf16_zp_m128n128k64", "w4a16_bf16_zp_m256n128k64",
                        "w4a16_reduce_bf16");
        assertThat(TritonW4a16Variants.variants(FLOAT16, false, 32))
                .containsExactly("w4a16_f16_sym_m1n128k32", "w4a16_f16_sym_m16n128k32", "w4a16_f16_sym_m64n128k32", "w4a16_f16_sym_m128n128k32", "w4a16_f16_sym_m256n128k32",
                        "w4a16_reduce_f16");
        assertThat(TritonW4a16Variants.variants(FLOAT16, false, -1))
                .containsExactly("w4a16_f16_sym_m1n128k128", "w4a16_f16_sym_m16n128k64", "w4a16_f16_sym_m64n128k64", "w4a16_f16_sym_m128n128k64",
                        "w4a16_f16_sym_m256n128k64", "w4a16_reduce_f16");
        assertThatThrownBy(() -> TritonW4a16Variants.reduce(ScalarType.FLOAT32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the Triton W4A16 variants take float16 or bfloat16 activations, got float32");
    }

    @ParameterizedTest(name = "M={0} G={1} -> {2}")
    @CsvSource({
            "1, 128, w4a16_f16_sym_m1n128k128",
            "1, 32, w4a16_f16_sym_m1n128k32",
            "1, 64, w4a16_f16_sym_m1n128k64",
            "1, 256, w4a16_f16_sym_m1n128k128",
            "1, -1, w4a16_f16_sym_m1n128k128",
            "2, 128, w4a16_f16_sym_m16n128k64",
            "16, 32, w4a16_f16_sym_m16n128k32",
            "16, 64, w4a16_f16_sym_m16n128k64",
            "16, 256, w4a16_f16_sym_m16n128k64",
            "7, -1, w4a16_f16_sym_m16n128k64",
            "17, 128, w4a16_f16_sym_m64n128k64",
            "64, 32, w4a16_f16_sym_m64n128k32",
            "40, -1, w4a16_f16_sym_m64n128k64",
            "65, 256, w4a16_f16_sym_m128n128k64",
            "256, 32, w4a16_f16_sym_m128n128k32",
            "257, 64, w4a16_f16_sym_m256n128k64",
            "300, 32, w4a16_f16_sym_m256n128k32",
            "65536, -1, w4a16_f16_sym_m256n128k64"})
    void choosesTheTileByMAndKeepsBlockKWithinTheGroup(int m, int groupSize, String variant) {
        assertThat(TritonW4a16Variants.plan(m, 4096, 4096, groupSize, 132).variant(FLOAT16, false)).isEqualTo(variant);
    }

    @Test
    void splitsKForDecodeWhenTheColumnsAloneLeaveMultiprocessorsIdle() {
        // M = 1 (the one-row tier), N = K = 4096, G = 128 on 132 SMs: 32 tiles, 4 x 132 = 528 programs wanted, so
        // min(32 K tiles, 17) = 17 splits, 2 K tiles (256 rows) each, which K fills with 16
        TritonW4a16Variants.Plan plan = TritonW4a16Variants.plan(1, 4096, 4096, 128, 132);
        assertThat(plan).isEqualTo(new TritonW4a16Variants.Plan(0, 1, 128, 128, 16, 256, 32, 1, 4));
        // M = 2: the 16-row tiles, 64 K tiles, 16 splits of 4
        assertThat(TritonW4a16Variants.plan(2, 4096, 4096, 128, 132)).isEqualTo(new TritonW4a16Variants.Plan(1, 16, 128, 64, 16, 256, 32, 1, 8));
        assertThat(plan.partialBytes(1, 4096)).isEqualTo(16L * 4096 * 4);
        // M = 64: 32 tiles, 2 x 132 = 264 wanted: 9 splits of 8 K tiles (512 rows), which K fills with 8
        assertThat(TritonW4a16Variants.plan(64, 4096, 4096, 128, 132)).isEqualTo(new TritonW4a16Variants.Plan(2, 64, 128, 64, 8, 512, 32, 1, 256));
        // K = 104 with G = 32: one K tile per split, the last one 8 rows
        assertThat(TritonW4a16Variants.plan(1, 64, 104, 32, 132)).isEqualTo(new TritonW4a16Variants.Plan(0, 1, 128, 32, 4, 32, 1, 1, 1));
        // 70B gate_up at M = 1: 448 tiles of 128 columns fall short of 528, so K is split in 2
        assertThat(TritonW4a16Variants.plan(1, 57344, 8192, 128, 132)).isEqualTo(new TritonW4a16Variants.Plan(0, 1, 128, 128, 2, 4096, 448, 1, 56));
    }

    @Test
    void leavesKWholeWhenTheTilesFillTheGpuOrMIsLarge() {
        // 576 tiles of 128 columns fill 4 x 132
        assertThat(TritonW4a16Variants.plan(1, 73728, 8192, 128, 132)).isEqualTo(new TritonW4a16Variants.Plan(0, 1, 128, 128, 1, 8192, 576, 1, 0));
        // from 65 rows up, never
        assertThat(TritonW4a16Variants.plan(65, 64, 8192, 128, 132)).isEqualTo(new TritonW4a16Variants.Plan(3, 128, 128, 64, 1, 8192, 1, 1, 0));
        assertThat(TritonW4a16Variants.plan(257, 64, 104, -1, 132)).isEqualTo(new TritonW4a16Variants.Plan(4, 256, 128, 64, 1, 128, 1, 2, 0));
        assertThat(TritonW4a16Variants.plan(257, 64, 104, -1, 132).partialBytes(257, 64)).isZero();
        // one K tile cannot be split: channelwise K = 64
        assertThat(TritonW4a16Variants.plan(1, 64, 64, -1, 132)).isEqualTo(new TritonW4a16Variants.Plan(0, 1, 128, 128, 1, 128, 1, 1, 0));
    }

    @ParameterizedTest(name = "N={0} K={1} SMs={2}")
    @CsvSource({"4096, 4096, 132", "64, 104, 132", "576, 2112, 108", "14336, 4096, 132", "8, 40, 1", "2112, 704, 304", "4096, 14336, 80"})
    void everyPlanUsesAShippedVariantAndCoversKWithNoEmptySplit(int n, int k, int multiprocessors) {
        List<Integer> rows = new ArrayList<>(IntStream.rangeClosed(1, 300).boxed().toList());
        rows.addAll(List.of(511, 1000, 4096, 65535, 65536));
        for (int groupSize : GROUP_SIZES) {
            long workspace = TritonW4a16Variants.workspaceBytes(n, k, groupSize, multiprocessors, TritonW4a16Kernel.MAX_ROWS);
            for (int m : rows) {
                TritonW4a16Variants.Plan plan = TritonW4a16Variants.plan(m, n, k, groupSize, multiprocessors);
                String what = "M=" + m + " G=" + groupSize + ": " + plan;
                for (ScalarType activation : List.of(FLOAT16, BFLOAT16)) {
                    for (boolean zeroPoints : List.of(false, true)) {
                        assertThat(IMAGES.get(plan.variant(activation, zeroPoints))).as(what).containsExactlyInAnyOrder("compute_80", "gfx90a", "gfx942", "gfx950", "sm_80", "sm_90a");
                    }
                    if (plan.splits() > 1) {
                        assertThat(IMAGES).as(what).containsKey(TritonW4a16Variants.reduce(activation));
                    }
                }
                if (groupSize > 0) {
                    assertThat(groupSize % plan.blockK()).as(what).isZero();
                }
                assertThat(plan.kPerSplit() % plan.blockK()).as(what).isZero();
                assertThat((long) plan.splits() * plan.kPerSplit()).as(what).isGreaterThanOrEqualTo(k);
                assertThat((long) (plan.splits() - 1) * plan.kPerSplit()).as(what).isLessThan(k);
                assertThat((long) plan.gridX() * plan.blockN()).as(what).isGreaterThanOrEqualTo(n);
                assertThat((long) (plan.gridX() - 1) * plan.blockN()).as(what).isLessThan(n);
                assertThat((long) plan.gridZ() * plan.blockM()).as(what).isGreaterThanOrEqualTo(m);
                assertThat(plan.gridZ()).as(what).isLessThanOrEqualTo(65535);
                assertThat(plan.splits()).as(what).isLessThanOrEqualTo(65535);
                if (plan.splits() > 1) {
                    assertThat((long) plan.reducePrograms() * TritonW4a16Variants.REDUCE_BLOCK).as(what).isGreaterThanOrEqualTo((long) m * n);
                    assertThat(m).as(what).isLessThanOrEqualTo(64);
                }
                assertThat(plan.partialBytes(m, n)).as(what).isLessThanOrEqualTo(workspace);
            }
        }
    }

    @Test
    void reservesTheLargestPartialSumsOfTheSplittingTiers() {
        // N = K = 4096, G = 128, 132 SMs: decode splits 16 ways (16 rows), the middle tier 8 ways (64 rows)
        assertThat(TritonW4a16Variants.workspaceBytes(4096, 4096, 128, 132, 65536)).isEqualTo(4L * 8 * 64 * 4096);
        // enough columns never split
        assertThat(TritonW4a16Variants.workspaceBytes(262144, 4096, 128, 132, 65536)).isZero();
        // a layer that never sees more than 16 rows needs only decode's
        assertThat(TritonW4a16Variants.workspaceBytes(4096, 4096, 128, 132, 16)).isEqualTo(4L * 16 * 16 * 4096);
    }

    @Test
    void refusesRowsOutsideTheTable() {
        assertThatThrownBy(() -> TritonW4a16Variants.plan(0, 64, 64, 32, 132)).isInstanceOf(IllegalArgumentException.class).hasMessage("M must be at least 1, got 0");
    }
}
