package dev.qlinear.cpuvector;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.qlinear.spi.config.GroupShape.PER_CHANNEL;
import static dev.qlinear.spi.config.GroupShape.PER_TENSOR;
import static dev.qlinear.spi.config.GroupShape.PER_TOKEN;
import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.FLOAT8_E4M3FN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestFp8Kernel {

    private static final Platform CPU = Platform.parse("cpu");
    private static final CpuDevice DEVICE = new CpuDevice(CPU);
    private static final Fp8Kernel KERNEL = new Fp8Kernel();

    static Stream<Arguments> oddShapes() {
        return Stream.of(
                Arguments.of(1, 576, 576, PER_CHANNEL, BFLOAT16, BFLOAT16, false),
                Arguments.of(2, 704, 2112, PER_CHANNEL, FLOAT16, BFLOAT16, true),
                Arguments.of(13, 2112, 576, PER_TENSOR, BFLOAT16, FLOAT16, true),
                Arguments.of(17, 576, 2752, PER_CHANNEL, FLOAT16, FLOAT16, false),
                Arguments.of(33, 2112, 2752, PER_CHANNEL, BFLOAT16, BFLOAT16, true),
                Arguments.of(257, 704, 576, PER_CHANNEL, BFLOAT16, BFLOAT16, true),
                Arguments.of(5, 1001, 17, PER_TENSOR, FLOAT16, BFLOAT16, true),
                Arguments.of(1, 3, 1, PER_CHANNEL, BFLOAT16, FLOAT16, false));
    }

    @ParameterizedTest(name = "M={0} K={1} N={2} weights {3} {4} -> {5} bias={6}")
    @MethodSource("oddShapes")
    void matchesTheReferencePerToken(int m, int k, int n, GroupShape weightScales, ScalarType input, ScalarType output, boolean bias) {
        check(Fp8Case.random(Seeds.fresh(), m, k, n, weightScales, PER_TOKEN, false, input, output, bias, Arena.ofAuto()));
    }

    @Test
    void matchesTheReferenceWithPerTensorActivationScales() {
        check(Fp8Case.random(Seeds.fresh(), 19, 704, 48, PER_CHANNEL, PER_TENSOR, false, BFLOAT16, BFLOAT16, true, Arena.ofAuto()));
        check(Fp8Case.random(Seeds.fresh(), 7, 576, 33, PER_TENSOR, PER_TENSOR, false, FLOAT16, FLOAT16, false, Arena.ofAuto()));
        // static: 3 / 448 saturates every |x| above 3
        check(Fp8Case.random(Seeds.fresh(), 21, 576, 40, PER_CHANNEL, PER_TENSOR, true, BFLOAT16, FLOAT16, true, Arena.ofAuto()));
        check(Fp8Case.random(Seeds.fresh(), 300, 64, 20, PER_TENSOR, PER_TENSOR, true, FLOAT16, BFLOAT16, false, Arena.ofAuto()));
    }

    @Test
    void computesSubnormalWeightCodesExactly() {
        try (Arena arena = Arena.ofShared()) {
            Fp8Case layer = Fp8Case.random(Seeds.fresh(), 6, 704, 50, PER_TENSOR, PER_TOKEN, false, BFLOAT16, FLOAT16, true, 20, arena);
            byte[] codes = layer.weightMatrix().codes();
            long subnormal = 0;
            for (byte code : codes) {
                subnormal += (code & 0x78) == 0 && (code & 0x07) != 0 ? 1 : 0;
            }
            assertThat(subnormal).as("%s: subnormal weight codes", layer).isGreaterThan(codes.length / 20);
            // raising a subnormal code by 2^-6 and not taking it back would stay below the 16-bit outputs' resolution
            Fp8Case batch = layer.withActivations(Tensors.randomValues(new SplittableRandom(Seeds.fresh()), 37 * 704, 1.0, BFLOAT16), 37);
            check(layer);
            check(batch);
        }
    }

    @Test
    void quantizesZeroTinyAndHugeRowsAsTheReference() {
        long seed = Seeds.fresh();
        int k = 96;
        try (Arena arena = Arena.ofShared()) {
            Fp8Case layer = Fp8Case.random(seed, 1, k, 24, PER_CHANNEL, PER_TOKEN, false, BFLOAT16, BFLOAT16, true, arena);
            double[] x = new double[4 * k];
            // row 0 all zero (minimum scale, zero codes), row 1 tiny values, row 2 one huge value among small ones, row 3 -0 and subnormals
            for (int column = 0; column < k; column++) {
                x[k + column] = Math.scalb((column % 7) - 3.0, -120);
                x[2 * k + column] = column == 17 ? 3.0e38 : (column % 5) - 2.0;
                x[3 * k + column] = column % 2 == 0 ? -0.0 : Math.scalb(column, -133);
            }
            check(layer.withActivations(x, 4));
        }
    }

    @Test
    void readsStridedInputsAndWritesStridedOutputs() {
        long seed = Seeds.fresh();
        try (Arena arena = Arena.ofShared()) {
            Fp8Case layer = Fp8Case.random(seed, 13, 576, 72, PER_CHANNEL, PER_TOKEN, false, FLOAT16, BFLOAT16, true, arena);
            double[] reference = layer.reference();
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
                for (HostTensor input : List.of(Tensors.slice(arena, FLOAT16, layer.x(), 13, 576), Tensors.columnMajor(arena, FLOAT16, layer.x(), 13, 576))) {
                    HostTensor wide = HostTensor.allocate(arena, BFLOAT16, 13, 72 + 5);
                    Tensors.poison(wide);
                    HostTensor output = wide.columns(2, 72);
                    KERNEL.apply(prepared, input, output, DEVICE.defaultStream());
                    layer.assertMatches(Tensors.values(output), reference);
                    short[] all = Tensors.bits(wide);
                    for (int row = 0; row < 13; row++) {
                        for (int column : new int[] {0, 1, 74, 75, 76}) {
                            assertThat(all[row * 77 + column]).as("seed %d: element [%d, %d] outside the output view", seed, row, column)
                                    .isEqualTo(Tensors.POISON);
                        }
                    }
                }
            }
        }
    }

    @Test
    void isDeterministicWhateverTheThreadCount() {
        long seed = Seeds.fresh();
        try (Arena arena = Arena.ofShared()) {
            Fp8Case layer = Fp8Case.random(seed, 37, 704, 200, PER_CHANNEL, PER_TOKEN, false, BFLOAT16, BFLOAT16, true, arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
                HostTensor output = Tensors.poisonedOutput(arena, BFLOAT16, 37, 200);
                KERNEL.apply(prepared, layer.input(arena), output, DEVICE.defaultStream());
                layer.assertMatches(Tensors.values(output), layer.reference());
                int[] expected = accumulators(WorkerTeam.shared(), prepared, layer.input(arena), arena);
                for (WorkerTeam team : List.of(WorkerTeam.shared(), new WorkerTeam(1), new WorkerTeam(3), new WorkerTeam(5))) {
                    assertThat(accumulators(team, prepared, layer.input(arena), arena)).as("%s: fp32 results on a team of %d", layer, team.size())
                            .containsExactly(expected);
                }
            }
        }
    }

    @Test
    void givesEveryRowTheSameBitsWhateverTheBatch() {
        long seed = Seeds.fresh();
        int k = 576;
        int n = 100;
        try (Arena arena = Arena.ofShared()) {
            int m = 257 + 256 + 3;
            Fp8Case layer = Fp8Case.random(seed, m, k, n, PER_CHANNEL, PER_TOKEN, false, FLOAT16, FLOAT16, true, arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
                HostTensor all = Tensors.poisonedOutput(arena, FLOAT16, m, n);
                KERNEL.apply(prepared, layer.input(arena), all, DEVICE.defaultStream());
                layer.assertMatches(Tensors.values(all), layer.reference());
                short[] batch = Tensors.bits(all);
                int[] batchAccumulators = accumulators(WorkerTeam.shared(), prepared, layer.input(arena), arena);
                for (int[] slice : List.of(new int[] {0, 1}, new int[] {5, 1}, new int[] {6, 1}, new int[] {m - 1, 1}, new int[] {3, 2}, new int[] {10, 13},
                        new int[] {250, 17}, new int[] {1, 257})) {
                    int from = slice[0];
                    int rows = slice[1];
                    HostTensor input = Tensors.matrix(arena, FLOAT16, Arrays.copyOfRange(layer.x(), from * k, (from + rows) * k), rows, k);
                    HostTensor output = Tensors.poisonedOutput(arena, FLOAT16, rows, n);
                    KERNEL.apply(prepared, input, output, DEVICE.defaultStream());
                    assertThat(Tensors.bits(output)).as("%s: rows [%d, %d) alone", layer, from, from + rows)
                            .containsExactly(Arrays.copyOfRange(batch, from * n, (from + rows) * n));
                    assertThat(accumulators(WorkerTeam.shared(), prepared, input, arena)).as("%s: fp32 results of rows [%d, %d) alone", layer, from, from + rows)
                            .containsExactly(Arrays.copyOfRange(batchAccumulators, from * n, (from + rows) * n));
                }
            }
        }
    }

    @Test
    void declaresWhatItComputes() {
        assertThat(KERNEL.descriptor().id()).isEqualTo("cpu-vector-fp8");
        assertThat(KERNEL.descriptor().tolerance()).isEqualTo(ToleranceClass.FP8_W8A8);
        assertThat(KERNEL.descriptor().priorityOn(CPU)).hasValue(100);
        assertThat(KERNEL.preparedLayout()).isEmpty();
        assertThat(KERNEL.supports(CPU).isAccepted()).isTrue();
        for (GroupShape weights : List.of(PER_CHANNEL, PER_TENSOR)) {
            assertThat(KERNEL.canImplement(config(weights, QuantKey.of(FLOAT8_E4M3FN, PER_TOKEN, false), BFLOAT16), CPU).isAccepted()).isTrue();
            assertThat(KERNEL.canImplement(config(weights, QuantKey.of(FLOAT8_E4M3FN, PER_TENSOR, false), FLOAT16), CPU).isAccepted()).isTrue();
            assertThat(KERNEL.canImplement(config(weights, QuantKey.of(FLOAT8_E4M3FN, PER_TENSOR, true), FLOAT16), CPU).isAccepted()).isTrue();
        }
    }

    @Test
    void refusesWhatItCannotComputeWithEveryReason() {
        ScaledMmConfig blocks = new ScaledMmConfig(new LayerShape(4096, 4096), QuantKey.of(ScalarType.FLOAT8_E4M3FNUZ, new GroupShape(128, 128), true),
                QuantKey.of(ScalarType.FLOAT8_E5M2, new GroupShape(1, 128), false), FLOAT32, FLOAT32, false);
        assertThat(KERNEL.canImplement(blocks, Platform.parse("rocm:gfx942")).reasons()).extracting(Reason::message).containsExactly(
                "platform: needs cpu, got rocm:gfx942",
                "weight type: needs float8_e4m3fn, got float8_e4m3fnuz",
                "weight scales: needs one of [per-channel, per-tensor], got 128x128",
                "activation type: needs float8_e4m3fn, got float8_e5m2",
                "activation scales: needs one of [per-tensor, per-token], got 1x128",
                "input type: needs one of [bfloat16, float16], got float32",
                "output type: needs one of [bfloat16, float16], got float32");
        assertThat(KERNEL.canImplement(config(PER_CHANNEL, QuantKey.of(FLOAT8_E4M3FN, PER_TOKEN, true), BFLOAT16), CPU).reasons())
                .extracting(Reason::message).containsExactly("static activation scales: needs per-tensor, got per-token");
    }

    @Test
    void refusesNanWeightsAndTensorsThatDoNotFit() {
        try (Arena arena = Arena.ofShared()) {
            Fp8Case layer = Fp8Case.random(Seeds.fresh(), 2, 64, 16, PER_CHANNEL, PER_TOKEN, false, BFLOAT16, BFLOAT16, false, arena);
            HostTensor nan = HostTensor.allocate(arena, FLOAT8_E4M3FN, 16, 64);
            nan.segment().copyFrom(layer.weights().weight().hostSegment().orElseThrow());
            nan.segment().set(ValueLayout.JAVA_BYTE, 3 * 64 + 5, (byte) 0xFF);
            QuantizedWeights.ScaledMm nanWeights = new QuantizedWeights.ScaledMm(nan, layer.weights().weightScale(), Optional.empty(), Optional.empty());
            assertThatThrownBy(() -> KERNEL.prepare(layer.config(), nanWeights, DEVICE))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("weight code 0xff at [3, 5] is NaN in float8_e4m3fn; FP8 weights must be finite");

            PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE);
            HostTensor input = layer.input(arena);
            HostTensor output = HostTensor.allocate(arena, BFLOAT16, 2, 16);
            assertThatThrownBy(() -> KERNEL.apply(prepared, HostTensor.allocate(arena, BFLOAT16, 2, 65), output, DEVICE.defaultStream()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("input must be [M, K=64], got bfloat16[2, 65]");
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, HostTensor.allocate(arena, FLOAT16, 2, 16), DEVICE.defaultStream()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("output dtype must be bfloat16 as the layer declares, got float16");
            prepared.close();
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, DEVICE.defaultStream()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
        }
    }

    private static ScaledMmConfig config(GroupShape weights, QuantKey activations, ScalarType type) {
        return new ScaledMmConfig(new LayerShape(576, 2112), QuantKey.of(FLOAT8_E4M3FN, weights, true), activations, type, type, true);
    }

    /** The 16-bit outputs against the reference, and the fp32 results before rounding against it at fp32 precision. */
    private static void check(Fp8Case layer) {
        try (Arena arena = Arena.ofShared(); PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
            HostTensor output = Tensors.poisonedOutput(arena, layer.config().outputType(), layer.m(), layer.config().n());
            KERNEL.apply(prepared, layer.input(arena), output, DEVICE.defaultStream());
            double[] reference = layer.reference();
            layer.assertMatches(Tensors.values(output), reference);
            int[] bits = accumulators(WorkerTeam.shared(), prepared, layer.input(arena), arena);
            float[] values = new float[bits.length];
            for (int i = 0; i < bits.length; i++) {
                values[i] = Float.intBitsToFloat(bits[i]);
            }
            layer.assertMatchesFloat32(values, reference);
        }
    }

    /** The unrounded fp32 results of a call, as bits: the kernel's job writing into an fp32 output. */
    private static int[] accumulators(WorkerTeam team, PreparedLayer prepared, HostTensor input, Arena arena) {
        int rows = (int) input.size(0);
        HostTensor output = HostTensor.allocate(arena, FLOAT32, rows, prepared.config().n());
        new Fp8Job(team).run((Fp8Layer) prepared, input, output, rows);
        return output.segment().toArray(ValueLayout.JAVA_INT);
    }
}
