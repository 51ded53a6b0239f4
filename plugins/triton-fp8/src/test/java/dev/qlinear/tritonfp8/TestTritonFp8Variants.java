package dev.qlinear.tritonfp8;

import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.tritonfp8.TritonFp8Variants.Plan;
import dev.qlinear.tritonfp8.TritonFp8Variants.Tile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.IntStream;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The variant names, the tile by M and the split of K. */
final class TestTritonFp8Variants {

    /** Every M from 1 to 300 and a few large ones, up to the kernel's maximum. */
    private static final List<Integer> ROWS = IntStream.concat(IntStream.rangeClosed(1, 300), IntStream.of(511, 1024, 1025, 4096, 65536)).boxed().toList();
    /** (N, K) of Llama-3 8B and 70B layers, small and awkward ones. */
    private static final List<int[]> SHAPES = List.of(new int[] {4096, 4096}, new int[] {6144, 4096}, new int[] {28672, 4096}, new int[] {4096, 14336},
            new int[] {8192, 28672}, new int[] {16, 16}, new int[] {128, 28672}, new int[] {2112, 576}, new int[] {576, 2752}, new int[] {48, 4112});

    @Test
    void namesTheVariantsAsVariantsPyBuildsThem() {
        assertThat(TritonFp8Variants.quantize(FLOAT16, false)).isEqualTo("fp8_quantize_f16");
        assertThat(TritonFp8Variants.quantize(BFLOAT16, true)).isEqualTo("fp8_quantize_fnuz_bf16");
        assertThat(TritonFp8Variants.gemm(BFLOAT16, Tile.M16N64, false)).isEqualTo("fp8_gemm_bf16_m16n64k128");
        assertThat(TritonFp8Variants.gemm(FLOAT16, Tile.M64N128, false)).isEqualTo("fp8_gemm_f16_m64n128k128");
        assertThat(TritonFp8Variants.gemm(FLOAT16, Tile.M128N128, false)).isEqualTo("fp8_gemm_f16_m128n128k128");
        assertThat(TritonFp8Variants.gemm(BFLOAT16, Tile.M256N128, false)).isEqualTo("fp8_gemm_bf16_m256n128k128");
        assertThat(TritonFp8Variants.gemm(BFLOAT16, Tile.M16N64, true)).isEqualTo("fp8_gemm_fnuz_bf16_m16n64k128");
        assertThat(TritonFp8Variants.reduce(FLOAT16)).isEqualTo("fp8_reduce_f16");
        assertThat(TritonFp8Variants.forLayer(FLOAT16, BFLOAT16, false)).containsExactly("fp8_quantize_f16", "fp8_gemm_bf16_m16n64k128",
                "fp8_gemm_bf16_m64n128k128", "fp8_gemm_bf16_m128n128k128", "fp8_gemm_bf16_m256n128k128", "fp8_reduce_bf16");
        assertThatThrownBy(() -> TritonFp8Variants.quantize(ScalarType.FLOAT32, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the Triton FP8 variants take float16 or bfloat16, got float32");
    }

    @Test
    void theVariantsOfBothFormatsAreExactlyTheImagesListed() {
        Set<String> both = new TreeSet<>(TritonFp8Variants.all(false));
        both.addAll(TritonFp8Variants.all(true));
        assertThat(TestTritonFp8Kernel.BUILT.targetsByVariant().keySet()).containsExactlyInAnyOrderElementsOf(both);
    }

    @Test
    void choosesTheTileByM() {
        for (int m : ROWS) {
            Tile expected = m <= 16 ? Tile.M16N64 : m <= 64 ? Tile.M64N128 : m <= 256 ? Tile.M128N128 : Tile.M256N128;
            assertThat(Tile.of(m)).as("M=%d", m).isEqualTo(expected);
        }
        assertThat(List.of(Tile.values())).extracting(Tile::suffix).containsExactly("m16n64k128", "m64n128k128", "m128n128k128", "m256n128k128");
        assertThat(List.of(Tile.values())).extracting(Tile::programsPerMultiprocessor).containsExactly(2, 1, 0, 0);
        assertThat(Tile.maxSplitRows()).isEqualTo(64);
        assertThatThrownBy(() -> Tile.of(0)).isInstanceOf(IllegalArgumentException.class).hasMessage("M must be at least 1, got 0");
    }

    @Test
    void splitsKAsTheRuleSays() {
        // decode, N=4096 K=4096 on 132 SMs: 64 tiles, 32 K tiles, 264 programs wanted: 5 splits of 7 K tiles (the last has 4)
        assertThat(TritonFp8Variants.plan(1, 4096, 4096, 132)).isEqualTo(new Plan(Tile.M16N64, 64, 5, 896, 5L * 4096, 4));
        // M=64: 32 tiles, 132 wanted: 5 splits of 7 K tiles
        assertThat(TritonFp8Variants.plan(64, 4096, 4096, 132)).isEqualTo(new Plan(Tile.M64N128, 32, 5, 896, 5L * 64 * 4096, 256));
        // 224 tiles already fill 132 SMs
        assertThat(TritonFp8Variants.plan(17, 28672, 8192, 132)).isEqualTo(new Plan(Tile.M64N128, 224, 1, 8192, 0, 0));
        // one K tile cannot be split
        assertThat(TritonFp8Variants.plan(16, 128, 16, 132)).isEqualTo(new Plan(Tile.M16N64, 2, 1, 128, 0, 0));
        // a narrow layer: 132 splits wanted of 224 K tiles, evened to 112 splits of 2
        assertThat(TritonFp8Variants.plan(3, 128, 28672, 132)).isEqualTo(new Plan(Tile.M16N64, 2, 112, 256, 112L * 3 * 128, 1));
        // the larger tiles never split
        assertThat(TritonFp8Variants.plan(65, 16, 28672, 132)).isEqualTo(new Plan(Tile.M128N128, 1, 1, 28672, 0, 0));
        assertThat(TritonFp8Variants.plan(300, 4096, 4096, 132)).isEqualTo(new Plan(Tile.M128N128, 96, 1, 4096, 0, 0));
        assertThat(TritonFp8Variants.plan(1024, 4096, 4096, 132)).isEqualTo(new Plan(Tile.M256N128, 128, 1, 4096, 0, 0));
        // the SM count comes from the device: an RTX 4090 (sm_89) has 128
        assertThat(TritonFp8Variants.plan(1, 4096, 4096, 128).splits()).isEqualTo(4);
        assertThat(TritonFp8Variants.plan(1, 4096, 4096, 16).splits()).isEqualTo(1);
    }

    @Test
    void takesTheSmallerTileAboveTwoHundredFiftySixRowsWhereItMakesFewerWavesOfWork() {
        // Llama-3-8B qkv at M = 1024 on 132 SMs: 192 tiles of 256 rows (2 waves, 512 rows of work) or 384 of 128 (3 waves, 384 x 9/8)
        assertThat(TritonFp8Variants.plan(1024, 6144, 4096, 132).tile()).isEqualTo(Tile.M128N128);
        // equal waves of work keep the 256-row tile: 8B down at 1024 (128 tiles, one wave, or 256, two), 8B qkv at 4096 (768 or 1536
        // tiles, 6 or 12 waves), 8B gate_up at 1024 (896 or 1792 tiles, 7 or 14 waves)
        assertThat(TritonFp8Variants.plan(1024, 4096, 14336, 132).tile()).isEqualTo(Tile.M256N128);
        assertThat(TritonFp8Variants.plan(4096, 6144, 4096, 132).tile()).isEqualTo(Tile.M256N128);
        assertThat(TritonFp8Variants.plan(1024, 28672, 4096, 132).tile()).isEqualTo(Tile.M256N128);
        // the waves depend on the device: on 128 SMs the same (2 waves of 256 rows or 3 of 128); on 192, one wave of 256 or two of 128, a tie
        assertThat(TritonFp8Variants.plan(1024, 6144, 4096, 128).tile()).isEqualTo(Tile.M128N128);
        assertThat(TritonFp8Variants.plan(1024, 6144, 4096, 192).tile()).isEqualTo(Tile.M256N128);
        assertThat(TritonFp8Variants.plan(1024, 6144, 4096, 132)).isEqualTo(new Plan(Tile.M128N128, 384, 1, 4096, 0, 0));
    }

    @Test
    void everyPlanCoversKInWholeTilesAndSplitsOnlyBelowItsTarget() {
        for (int multiprocessors : List.of(1, 76, 128, 132, 304)) {
            for (int[] shape : SHAPES) {
                int n = shape[0];
                int k = shape[1];
                for (int m : ROWS) {
                    Plan plan = TritonFp8Variants.plan(m, n, k, multiprocessors);
                    Tile tile = plan.tile();
                    String what = "M=" + m + " N=" + n + " K=" + k + " on " + multiprocessors + " SMs: " + plan;
                    long kTiles = (k + tile.blockK() - 1) / tile.blockK();
                    long tiles = (long) ((m + tile.blockM() - 1) / tile.blockM()) * ((n + tile.blockN() - 1) / tile.blockN());
                    long target = (long) tile.programsPerMultiprocessor() * multiprocessors;
                    if (Tile.of(m) == Tile.M256N128) {
                        // the 128-row tile only where its waves of tiles hold fewer rows of work, counted 9/8 for its lower efficiency
                        long waves128 = ((m + 127L) / 128 * ((n + 127L) / 128) + multiprocessors - 1) / multiprocessors;
                        long waves256 = ((m + 255L) / 256 * ((n + 127L) / 128) + multiprocessors - 1) / multiprocessors;
                        assertThat(plan.tile()).as(what).isEqualTo(9 * 128 * waves128 < 8 * 256 * waves256 ? Tile.M128N128 : Tile.M256N128);
                    }
                    else {
                        assertThat(plan.tile()).as(what).isEqualTo(Tile.of(m));
                    }
                    assertThat(plan.tiles()).as(what).isEqualTo(tiles);
                    assertThat(plan.kPerSplit() % tile.blockK()).as(what).isZero();
                    assertThat((long) (plan.splits() - 1) * plan.kPerSplit()).as("every split has some K: " + what).isLessThan(k);
                    assertThat((long) plan.splits() * plan.kPerSplit()).as("the splits cover K: " + what).isGreaterThanOrEqualTo(k);
                    assertThat((long) plan.splits()).as(what).isLessThanOrEqualTo(kTiles);
                    if (target == 0 || tiles >= target) {
                        assertThat(plan.splits()).as(what).isEqualTo(1);
                    }
                    else {
                        // the fewest splits that reach the target, short of running out of K tiles, evened to whole K tiles each
                        long wanted = Math.min(kTiles, (target + tiles - 1) / tiles);
                        assertThat((long) plan.kPerSplit()).as(what).isEqualTo((kTiles + wanted - 1) / wanted * tile.blockK());
                        assertThat((long) plan.splits()).as(what).isLessThanOrEqualTo(wanted);
                    }
                    assertThat(plan.partialFloats()).as(what).isEqualTo(plan.split() ? (long) plan.splits() * m * n : 0);
                    assertThat(plan.reducePrograms()).as(what).isEqualTo(plan.split() ? ((long) m * n + 1023) / 1024 : 0);
                }
            }
        }
    }

    @Test
    void everyVariantAPlanChoosesHasAnImageForSm89Sm90aAndCompute89() {
        TritonImages images = TestTritonFp8Kernel.BUILT;
        List<String> missing = new ArrayList<>();
        for (ScalarType input : List.of(FLOAT16, BFLOAT16)) {
            for (ScalarType output : List.of(FLOAT16, BFLOAT16)) {
                for (int m : ROWS) {
                    for (int[] shape : SHAPES) {
                        Plan plan = TritonFp8Variants.plan(m, shape[0], shape[1], 132);
                        List<String> chosen = new ArrayList<>(List.of(TritonFp8Variants.quantize(input, false), TritonFp8Variants.gemm(output, plan.tile(), false)));
                        if (plan.split()) {
                            chosen.add(TritonFp8Variants.reduce(output));
                        }
                        for (String variant : chosen) {
                            if (!images.targetsByVariant().getOrDefault(variant, List.of()).containsAll(List.of("sm_89", "sm_90a", "compute_89"))) {
                                missing.add(variant);
                            }
                        }
                    }
                }
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void theWorkspaceHoldsEveryCall() {
        for (int[] shape : SHAPES) {
            int n = shape[0];
            int k = shape[1];
            long reserved = TritonFp8Launcher.workspaceBytes(k, n, 132);
            assertThat(reserved).isGreaterThanOrEqualTo(TritonFp8Launcher.partialsOffset(TritonFp8Launcher.CHUNK_ROWS, k));
            for (int m : ROWS) {
                int chunk = Math.min(m, TritonFp8Launcher.CHUNK_ROWS);
                int last = m - (m - 1) / TritonFp8Launcher.CHUNK_ROWS * TritonFp8Launcher.CHUNK_ROWS;
                long partials = Math.max(TritonFp8Variants.plan(chunk, n, k, 132).partialFloats(), TritonFp8Variants.plan(last, n, k, 132).partialFloats());
                assertThat(TritonFp8Launcher.partialsOffset(chunk, k) + 4 * partials).as("M=%d N=%d K=%d", m, n, k).isLessThanOrEqualTo(reserved);
            }
        }
        // activations of 1024 rows, their scales, and the largest split of M <= 64: M=64 in 5 splits
        assertThat(TritonFp8Launcher.workspaceBytes(4096, 4096, 132)).isEqualTo(1024L * 4096 + 4096 + 4L * 5 * 64 * 4096);
        assertThat(TritonFp8Launcher.align(1)).isEqualTo(256);
        assertThat(TritonFp8Launcher.align(512)).isEqualTo(512);
    }
}
