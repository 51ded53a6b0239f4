package dev.qlinear.marlin;

import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The entry points looked up in an image and the one chosen for each type, zero-point kind and block height. */
final class TestMarlinFunctions {

    /** An image that has every function it is asked for, by that name. */
    private static final class NamedModule implements GpuModule {
        final List<String> lookedUp = new ArrayList<>();

        @Override
        public String name() {
            return "test image";
        }

        @Override
        public GpuFunction function(String name) {
            lookedUp.add(name);
            return new GpuFunction() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public void launch(LaunchConfig config, KernelArguments arguments, ExecutionStream stream) {
                    throw new UnsupportedOperationException("not launched here");
                }
            };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void looksUpEveryEntryPointOfTheImageOnce() {
        NamedModule module = new NamedModule();
        MarlinFunctions.of(module);
        assertThat(module.lookedUp).containsExactlyInAnyOrderElementsOf(MarlinFunctions.entryPoints()).hasSize(37);
        assertThat(MarlinFunctions.entryPoints()).doesNotHaveDuplicates().contains("marlin_gemm_f16_mb4", "marlin_gemm_bf16_zp_mb4", "marlin_hopper_f16_t64",
                "marlin_hopper_bf16_zp_t256", "marlin_decode_f16_tt1",
                "marlin_decode_bf16_zp_tt2", "marlin_decode_reduce_f16", "marlin_decode_reduce_bf16", "marlin_reduce_bf16", "marlin_dequantize_f16_zp",
                "marlin_gather_f16", "marlin_add_bias_bf16", "marlin_repack_w4");
    }

    @Test
    void choosesTheEntryPointOfEachTypeZeroPointKindAndBlockHeight() {
        MarlinFunctions functions = MarlinFunctions.of(new NamedModule());
        for (ScalarType type : List.of(FLOAT16, BFLOAT16)) {
            String suffix = type.equals(FLOAT16) ? "f16" : "bf16";
            for (boolean zeroPoints : List.of(false, true)) {
                assertThat(functions.gemm(type, zeroPoints).name()).isEqualTo("marlin_gemm_" + suffix + (zeroPoints ? "_zp" : "") + "_mb4");
                for (int blockRows : new int[] {64, 128, 256}) {
                    assertThat(functions.warpgroupGemm(type, zeroPoints, blockRows).name())
                            .isEqualTo("marlin_hopper_" + suffix + (zeroPoints ? "_zp" : "") + "_t" + blockRows);
                }
                for (int tokenTiles : new int[] {1, 2}) {
                    assertThat(functions.decode(type, zeroPoints, tokenTiles).name())
                            .isEqualTo("marlin_decode_" + suffix + (zeroPoints ? "_zp" : "") + "_tt" + tokenTiles);
                }
                assertThat(functions.dequantize(type, zeroPoints).name()).isEqualTo("marlin_dequantize_" + suffix + (zeroPoints ? "_zp" : ""));
            }
            assertThat(functions.decodeReduce(type).name()).isEqualTo("marlin_decode_reduce_" + suffix);
            assertThat(functions.reduce(type).name()).isEqualTo("marlin_reduce_" + suffix);
            assertThat(functions.gather(type).name()).isEqualTo("marlin_gather_" + suffix);
            assertThat(functions.addBias(type).name()).isEqualTo("marlin_add_bias_" + suffix);
        }
        assertThat(functions.repack().name()).isEqualTo("marlin_repack_w4");
        assertThatThrownBy(() -> functions.warpgroupGemm(FLOAT16, false, 32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the warpgroup kernel takes blocks of [64, 128, 256] rows, got 32");
        assertThatThrownBy(() -> functions.reduce(ScalarType.FLOAT32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the kernels take float16 or bfloat16 activations, got float32");
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
