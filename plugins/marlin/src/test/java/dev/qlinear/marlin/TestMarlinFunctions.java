package dev.qlinear.marlin;

import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The entry points the plugin looks up in its image and the one it takes for each type, zero-point kind and size. */
final class TestMarlinFunctions {

    @Test
    void listsEveryEntryPointOnce() {
        // 4 GEMM, 12 warpgroup, 8 decode, 2 decode sums, 2 split-K sums, 4 dequantize, 2 gather, 2 bias, the repack
        assertThat(MarlinFunctions.entryPoints()).hasSize(37).doesNotHaveDuplicates().contains("marlin_gemm_f16_mb4", "marlin_gemm_bf16_zp_mb4",
                "marlin_hopper_f16_t64", "marlin_hopper_bf16_zp_t256", "marlin_decode_f16_tt1", "marlin_decode_bf16_zp_tt2", "marlin_decode_reduce_f16",
                "marlin_decode_reduce_bf16", "marlin_reduce_bf16", "marlin_dequantize_f16_zp", "marlin_gather_f16", "marlin_add_bias_bf16",
                "marlin_repack_w4");
    }

    @Test
    void namesTheEntryPointOfEachTypeZeroPointKindAndSize() {
        List<String> entryPoints = MarlinFunctions.entryPoints();
        for (ScalarType type : List.of(FLOAT16, BFLOAT16)) {
            String suffix = type.equals(FLOAT16) ? "f16" : "bf16";
            for (boolean zeroPoints : List.of(false, true)) {
                String kind = suffix + (zeroPoints ? "_zp" : "");
                assertThat(MarlinFunctions.gemmName(type, zeroPoints)).isEqualTo("marlin_gemm_" + kind + "_mb4").isIn(entryPoints);
                for (int blockRows : new int[] {64, 128, 256}) {
                    assertThat(MarlinFunctions.warpgroupGemmName(type, zeroPoints, blockRows)).isEqualTo("marlin_hopper_" + kind + "_t" + blockRows)
                            .isIn(entryPoints);
                }
                for (int tokenTiles : new int[] {1, 2}) {
                    assertThat(MarlinFunctions.decodeName(type, zeroPoints, tokenTiles)).isEqualTo("marlin_decode_" + kind + "_tt" + tokenTiles)
                            .isIn(entryPoints);
                }
                assertThat(MarlinFunctions.dequantizeName(type, zeroPoints)).isEqualTo("marlin_dequantize_" + kind).isIn(entryPoints);
            }
            assertThat(MarlinFunctions.decodeReduceName(type)).isEqualTo("marlin_decode_reduce_" + suffix).isIn(entryPoints);
            assertThat(MarlinFunctions.reduceName(type)).isEqualTo("marlin_reduce_" + suffix).isIn(entryPoints);
            assertThat(MarlinFunctions.gatherName(type)).isEqualTo("marlin_gather_" + suffix).isIn(entryPoints);
            assertThat(MarlinFunctions.addBiasName(type)).isEqualTo("marlin_add_bias_" + suffix).isIn(entryPoints);
        }
    }

    @Test
    void refusesSizesAndTypesWithoutAKernel() {
        assertThatThrownBy(() -> MarlinFunctions.warpgroupGemmName(FLOAT16, false, 32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the warpgroup kernel takes blocks of [64, 128, 256] rows, got 32");
        assertThatThrownBy(() -> MarlinFunctions.decodeName(BFLOAT16, true, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the decode kernel takes [1, 2] tiles of 8 tokens, got 3");
        assertThatThrownBy(() -> MarlinFunctions.reduceName(ScalarType.FLOAT32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the kernels take float16 or bfloat16 activations, got float32");
    }

    @Test
    void refusesAnImageWithoutEveryEntryPoint() {
        assertThatThrownBy(() -> new MarlinFunctions(Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the image lacks the entry points [marlin_gemm_f16_mb4, ");
    }

    @Test
    void theDecodeKernelTakesTwelveParametersAndItsSumSeven() {
        // x, ldx, m, k, n, codes, scales, zeros, group size, bias, out, partials: the GEMM kernel's less stages per split
        assertThat(MarlinFunctions.DECODE).hasSize(12).isEqualTo(MarlinFunctions.GEMM.subList(0, 12));
        assertThat(MarlinFunctions.DECODE.get(1)).isEqualTo(KernelArguments.Kind.INT64);
        // partials, m, n, units per column, decode blocks, bias, out
        assertThat(MarlinFunctions.DECODE_REDUCE).containsExactly(KernelArguments.Kind.POINTER, KernelArguments.Kind.INT32, KernelArguments.Kind.INT32,
                KernelArguments.Kind.INT32, KernelArguments.Kind.INT32, KernelArguments.Kind.POINTER, KernelArguments.Kind.POINTER);
    }
}
