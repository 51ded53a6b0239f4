package dev.qlinear.cpuvector;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.reference.layouts.CpuVectorW4Layout;
import dev.qlinear.core.reference.layouts.ReferenceLayouts;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT32;
import static dev.qlinear.spi.type.ScalarType.UINT4;
import static dev.qlinear.spi.type.ScalarType.UINT4B8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestW4A16Kernel {

    private static final Platform CPU = Platform.parse("cpu");
    private static final CpuDevice DEVICE = new CpuDevice(CPU);
    private static final W4A16Kernel KERNEL = new W4A16Kernel();

    static Stream<Arguments> oddShapes() {
        return Stream.of(
                Arguments.of(1, 576, 576, 64, UINT4B8, false, FLOAT16, false),
                Arguments.of(2, 704, 2112, 64, UINT4, false, BFLOAT16, true),
                Arguments.of(13, 2112, 576, 32, UINT4B8, true, BFLOAT16, false),
                Arguments.of(17, 576, 2752, 64, UINT4, true, FLOAT16, true),
                Arguments.of(33, 2112, 2752, 64, UINT4B8, false, FLOAT16, true),
                Arguments.of(257, 576, 576, 32, UINT4, false, BFLOAT16, false),
                Arguments.of(1, 2112, 2752, -1, UINT4B8, false, BFLOAT16, true),
                Arguments.of(3, 704, 2112, -1, UINT4, true, FLOAT16, false),
                Arguments.of(257, 704, 576, 64, UINT4B8, true, FLOAT16, true));
    }

    @ParameterizedTest(name = "M={0} K={1} N={2} G={3} {4} act-order={5} {6} bias={7}")
    @MethodSource("oddShapes")
    void matchesTheReferenceOnOddShapes(int m, int k, int n, int groupSize, ScalarType weightType, boolean actOrder, ScalarType dtype, boolean bias) {
        check(W4Case.random(Seeds.fresh(), m, k, n, groupSize, weightType, actOrder, dtype, bias, FLOAT16, Arena.ofAuto()));
    }

    static Stream<Arguments> everyDeclaredGroupSize() {
        List<Arguments> cases = new ArrayList<>();
        for (int groupSize : List.of(-1, 32, 64, 128, 256)) {
            for (ScalarType weightType : List.of(UINT4B8, UINT4)) {
                for (boolean actOrder : List.of(false, true)) {
                    cases.add(Arguments.of(groupSize, weightType, actOrder, cases.size() % 2 == 0 ? FLOAT16 : BFLOAT16));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "G={0} {1} act-order={2} {3}")
    @MethodSource("everyDeclaredGroupSize")
    void matchesTheReferenceForEveryDeclaredGroupSize(int groupSize, ScalarType weightType, boolean actOrder, ScalarType dtype) {
        check(W4Case.random(Seeds.fresh(), 5, 768, 40, groupSize, weightType, actOrder, dtype, true, FLOAT16, Arena.ofAuto()));
    }

    @Test
    void takesScalesOfEveryFloatTypeAndAGroupAsLongAsK() {
        for (ScalarType scaleType : List.of(FLOAT16, BFLOAT16, FLOAT32)) {
            check(W4Case.random(Seeds.fresh(), 4, 256, 24, 128, UINT4, true, BFLOAT16, false, scaleType, Arena.ofAuto()));
        }
        // G = K is channelwise, declared as -1
        check(W4Case.random(Seeds.fresh(), 3, 320, 20, 320, UINT4B8, false, FLOAT16, true, FLOAT16, Arena.ofAuto()));
    }

    @Test
    void handlesAKThatIsNoMultipleOfEightAndTinyLayers() {
        check(W4Case.random(Seeds.fresh(), 3, 1001, 33, -1, UINT4B8, false, FLOAT16, true, FLOAT16, Arena.ofAuto()));
        check(W4Case.random(Seeds.fresh(), 2, 5, 1, -1, UINT4, false, BFLOAT16, false, FLOAT16, Arena.ofAuto()));
        check(W4Case.random(Seeds.fresh(), 1, 1, 1, -1, UINT4B8, false, FLOAT16, false, FLOAT16, Arena.ofAuto()));
    }

    @Test
    void computesUint4WithoutZeroPointsAroundZero() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        int k = 192;
        int n = 19;
        int groups = 3;
        int[] codes = random.ints(k * n, 0, 16).toArray();
        int[] scales = random.ints(groups * n, 0x2000, 0x3000).toArray();
        QuantizedMatrix matrix = new QuantizedMatrix(UINT4, k, n, 64, FLOAT16, codes, scales, Optional.empty(), Optional.empty());
        check(W4Case.of(seed, matrix, 6, FLOAT16, true, random, Arena.ofAuto()));
    }

    @Test
    void readsStridedInputsAndWritesStridedOutputs() {
        long seed = Seeds.fresh();
        try (Arena arena = Arena.ofShared()) {
            W4Case layer = W4Case.random(seed, 13, 576, 72, 64, UINT4, true, BFLOAT16, true, FLOAT16, arena);
            double[] reference = layer.reference();
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
                for (HostTensor input : List.of(Tensors.slice(arena, BFLOAT16, layer.x(), 13, 576), Tensors.columnMajor(arena, BFLOAT16, layer.x(), 13, 576))) {
                    HostTensor wide = HostTensor.allocate(arena, BFLOAT16, 13, 72 + 5);
                    Tensors.poison(wide);
                    HostTensor output = wide.columns(2, 72);
                    KERNEL.apply(prepared, input, output, DEVICE.defaultStream());
                    layer.assertMatches(Tensors.values(output), reference);
                    // every element outside the view keeps its poison
                    short[] all = Tensors.bits(wide);
                    for (int row = 0; row < 13; row++) {
                        for (int column = 0; column < 77; column++) {
                            if (column < 2 || column >= 74) {
                                assertThat(all[row * 77 + column]).as("seed %d: element [%d, %d] outside the output view", seed, row, column)
                                        .isEqualTo(Tensors.POISON);
                            }
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
            W4Case layer = W4Case.random(seed, 37, 704, 200, 64, UINT4, true, FLOAT16, true, FLOAT16, arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
                HostTensor output = Tensors.poisonedOutput(arena, FLOAT16, 37, 200);
                KERNEL.apply(prepared, layer.input(arena), output, DEVICE.defaultStream());
                layer.assertMatches(Tensors.values(output), layer.reference());
                // the fp32 accumulators themselves, bit for bit, on teams of every size
                int[] expected = accumulators(WorkerTeam.shared(), prepared, layer.input(arena), arena);
                for (WorkerTeam team : List.of(WorkerTeam.shared(), new WorkerTeam(1), new WorkerTeam(3), new WorkerTeam(5))) {
                    assertThat(accumulators(team, prepared, layer.input(arena), arena)).as("%s: accumulators on a team of %d", layer, team.size())
                            .containsExactly(expected);
                }
                HostTensor again = Tensors.poisonedOutput(arena, FLOAT16, 37, 200);
                KERNEL.apply(prepared, layer.input(arena), again, DEVICE.defaultStream());
                assertThat(Tensors.bits(again)).as("%s: a second call", layer).containsExactly(Tensors.bits(output));
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
            W4Case layer = W4Case.random(seed, m, k, n, 32, UINT4, true, BFLOAT16, true, FLOAT16, arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
                HostTensor all = Tensors.poisonedOutput(arena, BFLOAT16, m, n);
                KERNEL.apply(prepared, layer.input(arena), all, DEVICE.defaultStream());
                short[] batch = Tensors.bits(all);
                layer.assertMatches(Tensors.values(all), layer.reference());
                int[] batchAccumulators = accumulators(WorkerTeam.shared(), prepared, layer.input(arena), arena);
                for (int[] slice : List.of(new int[] {0, 1}, new int[] {5, 1}, new int[] {6, 1}, new int[] {m - 1, 1}, new int[] {3, 2}, new int[] {10, 13},
                        new int[] {250, 17}, new int[] {1, 257})) {
                    int from = slice[0];
                    int rows = slice[1];
                    HostTensor input = Tensors.matrix(arena, BFLOAT16, Arrays.copyOfRange(layer.x(), from * k, (from + rows) * k), rows, k);
                    HostTensor output = Tensors.poisonedOutput(arena, BFLOAT16, rows, n);
                    KERNEL.apply(prepared, input, output, DEVICE.defaultStream());
                    assertThat(Tensors.bits(output)).as("%s: rows [%d, %d) alone", layer, from, from + rows)
                            .containsExactly(Arrays.copyOfRange(batch, from * n, (from + rows) * n));
                    assertThat(accumulators(WorkerTeam.shared(), prepared, input, arena)).as("%s: accumulators of rows [%d, %d) alone", layer, from, from + rows)
                            .containsExactly(Arrays.copyOfRange(batchAccumulators, from * n, (from + rows) * n));
                }
            }
        }
    }

    /** The unrounded fp32 results of a call, as bits: the kernel's job writing into an fp32 output. */
    private static int[] accumulators(WorkerTeam team, PreparedLayer prepared, HostTensor input, Arena arena) {
        int rows = (int) input.size(0);
        int n = prepared.config().n();
        HostTensor output = HostTensor.allocate(arena, FLOAT32, rows, n);
        new W4Job(team).run((W4Layer) prepared, input, output, rows);
        return output.segment().toArray(ValueLayout.JAVA_INT);
    }

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of(64, 48, 32, UINT4B8, false, FLOAT16),
                Arguments.of(576, 2752, 64, UINT4, false, BFLOAT16),
                Arguments.of(704, 17, 64, UINT4, true, FLOAT16),
                Arguments.of(705, 33, -1, UINT4B8, false, FLOAT32),
                Arguments.of(768, 100, 256, UINT4B8, true, BFLOAT16),
                Arguments.of(2112, 40, 64, UINT4, true, FLOAT32));
    }

    @ParameterizedTest(name = "K={0} N={1} G={2} {3} act-order={4} scales {5}")
    @MethodSource("layouts")
    void preparesTheLayoutOfTheReferencePackerBitForBit(int k, int n, int groupSize, ScalarType weightType, boolean actOrder, ScalarType scaleType) {
        long seed = Seeds.fresh();
        try (Arena arena = Arena.ofConfined()) {
            W4Case layer = W4Case.random(seed, 1, k, n, groupSize, weightType, actOrder, FLOAT16, false, scaleType, arena);
            assertThat(KERNEL.preparedLayout()).contains(CpuVectorW4Layout.NAME);
            Map<String, HostTensor> expected = ReferenceLayouts.find(CpuVectorW4Layout.NAME).orElseThrow().pack(layer.config(), layer.weights(), arena);
            try (PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE)) {
                Map<String, Tensor> actual = prepared.layoutTensors();
                assertThat(actual.keySet()).as("%s: tensor names", layer).containsExactlyInAnyOrderElementsOf(expected.keySet());
                for (Map.Entry<String, HostTensor> entry : expected.entrySet()) {
                    Tensor tensor = actual.get(entry.getKey());
                    HostTensor reference = entry.getValue();
                    assertThat(tensor.dtype()).as("%s: dtype of %s", layer, entry.getKey()).isEqualTo(reference.dtype());
                    assertThat(shape(tensor)).as("%s: shape of %s", layer, entry.getKey()).containsExactly(reference.shape());
                    assertThat(tensor.isContiguous()).isTrue();
                    long mismatch = tensor.hostSegment().orElseThrow().asSlice(0, reference.segment().byteSize()).mismatch(reference.segment());
                    assertThat(mismatch).as("%s: first differing byte of %s", layer, entry.getKey()).isEqualTo(-1L);
                }
                assertThat(prepared.deviceBytes()).isEqualTo(expected.values().stream().mapToLong(t -> t.segment().byteSize()).sum());
            }
        }
    }

    @Test
    void declaresWhatItComputes() {
        assertThat(KERNEL.descriptor().id()).isEqualTo("cpu-vector-w4a16");
        assertThat(KERNEL.descriptor().tolerance()).isEqualTo(ToleranceClass.RELATIVE_MEAN_ERROR);
        assertThat(KERNEL.descriptor().priorityOn(CPU)).hasValue(100);
        assertThat(KERNEL.descriptor().priorityOn(Platform.parse("cuda:sm_90"))).isEmpty();
        assertThat(KERNEL.supports(CPU).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(WeightOnlyConfig.unsharded(2112, 2752, UINT4, BFLOAT16, 64, true, true), CPU).isAccepted()).isTrue();
        assertThat(KERNEL.canImplement(WeightOnlyConfig.unsharded(4096, 4096, UINT4B8, FLOAT16, 4096, false, false), CPU).isAccepted()).isTrue();
    }

    @Test
    void refusesWhatItCannotComputeWithEveryReason() {
        WeightOnlyConfig eightBit = new WeightOnlyConfig(new LayerShape(4096, 4096), new LayerShape(4096, 4096), ScalarType.UINT8B128, FLOAT16, 16, false,
                false, BFLOAT16);
        assertThat(KERNEL.canImplement(eightBit, Platform.parse("cuda:sm_90")).reasons()).extracting(Reason::message).containsExactly(
                "platform: needs cpu, got cuda:sm_90",
                "weight type: needs one of [uint4, uint4b8], got uint8b128",
                "output type: needs the activation type float16, got bfloat16",
                "group size: needs one of [-1, 32, 64, 128, 256], got 16");
        WeightOnlyConfig fp32 = WeightOnlyConfig.unsharded(256, 256, UINT4B8, FLOAT32, 128, false, false);
        assertThat(KERNEL.canImplement(fp32, CPU).reasons()).extracting(Reason::message)
                .containsExactly("activation type: needs one of [bfloat16, float16], got float32");
        assertThatThrownBy(() -> KERNEL.prepare(fp32, W4Case.random(1, 1, 256, 256, 128, UINT4B8, false, FLOAT16, false, FLOAT16, Arena.ofAuto()).weights(),
                DEVICE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("activation type: needs one of [bfloat16, float16], got float32");
    }

    @Test
    void refusesTensorsThatDoNotFitTheLayer() {
        try (Arena arena = Arena.ofShared()) {
            W4Case layer = W4Case.random(Seeds.fresh(), 2, 64, 16, 32, UINT4B8, false, FLOAT16, false, FLOAT16, arena);
            PreparedLayer prepared = KERNEL.prepare(layer.config(), layer.weights(), DEVICE);
            HostTensor input = layer.input(arena);
            HostTensor output = HostTensor.allocate(arena, FLOAT16, 2, 16);
            assertThatThrownBy(() -> KERNEL.apply(prepared, HostTensor.allocate(arena, FLOAT16, 2, 63), output, DEVICE.defaultStream()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("input must be [M, K=64], got float16[2, 63]");
            assertThatThrownBy(() -> KERNEL.apply(prepared, HostTensor.allocate(arena, BFLOAT16, 2, 64), output, DEVICE.defaultStream()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("input dtype must be float16 as the layer declares, got bfloat16");
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, HostTensor.allocate(arena, FLOAT16, 3, 16), DEVICE.defaultStream()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("output must be [M=2, N=16], got float16[3, 16]");
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, HostTensor.allocate(arena, BFLOAT16, 2, 16), DEVICE.defaultStream()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("output dtype must be float16 as the layer declares, got bfloat16");
            prepared.close();
            prepared.close();
            assertThatThrownBy(() -> KERNEL.apply(prepared, input, output, DEVICE.defaultStream()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
        }
    }

    /** The 16-bit outputs against the reference, and the fp32 results before rounding against it at fp32 precision. */
    private static void check(W4Case layer) {
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

    private static long[] shape(Tensor tensor) {
        long[] shape = new long[tensor.rank()];
        for (int dimension = 0; dimension < shape.length; dimension++) {
            shape[dimension] = tensor.size(dimension);
        }
        return shape;
    }
}
