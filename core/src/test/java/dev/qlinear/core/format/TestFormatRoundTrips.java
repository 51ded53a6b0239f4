package dev.qlinear.core.format;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random logical weights through every format that can hold them and back, bit for bit; and the same logical
 * weights written in GPTQ, AWQ and compressed-tensors give identical canonical weights.
 */
final class TestFormatRoundTrips {

    private record Shape(int k, int n, List<Integer> groupSizes) {
    }

    // 2112 and 704 are not multiples of 128 (Gemma-class layers); 72 and 40 are not multiples of 32
    private static final List<Shape> SHAPES = List.of(
            new Shape(2112, 704, List.of(-1, 64)),
            new Shape(384, 72, List.of(-1, 32, 128)),
            new Shape(256, 40, List.of(128)));

    private record Case(ScalarType type, boolean zeroPoints, boolean actOrder, int k, int n, int groupSize, ScalarType scaleType) {
        @Override
        public String toString() {
            return type + (zeroPoints ? " zp" : "") + (actOrder ? " act-order" : "") + " K=" + k + " N=" + n + " G=" + groupSize + " scales " + scaleType;
        }
    }

    private static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (Shape shape : SHAPES) {
            for (int groupSize : shape.groupSizes()) {
                for (ScalarType type : List.of(ScalarType.UINT4B8, ScalarType.UINT4, ScalarType.UINT8B128, ScalarType.UINT8)) {
                    for (boolean actOrder : new boolean[] {false, true}) {
                        ScalarType scaleType = (shape.k() + groupSize + (actOrder ? 1 : 0)) % 2 == 0 ? ScalarType.FLOAT16 : ScalarType.BFLOAT16;
                        cases.add(new Case(type, !type.hasBias(), actOrder, shape.k(), shape.n(), groupSize, scaleType));
                    }
                }
            }
        }
        return cases;
    }

    private static List<WeightOnlyFormat> formatsFor(Case testCase) {
        List<WeightOnlyFormat> formats = new ArrayList<>(List.of(GptqFormat.V1, GptqFormat.V2, CompressedTensorsFormat.INSTANCE));
        if (testCase.type().equals(ScalarType.UINT4) && !testCase.actOrder()) {
            formats.add(AwqFormat.INSTANCE);
        }
        return formats;
    }

    @TestFactory
    List<DynamicTest> everyFormatRoundTripsBitExactly() {
        long seed = System.nanoTime();
        List<DynamicTest> tests = new ArrayList<>();
        for (Case testCase : cases()) {
            for (WeightOnlyFormat format : formatsFor(testCase)) {
                tests.add(DynamicTest.dynamicTest(format.name() + " " + testCase + " (seed " + seed + ")", () -> roundTrip(format, testCase, seed)));
            }
        }
        return tests;
    }

    private static void roundTrip(WeightOnlyFormat format, Case testCase, long seed) {
        Random random = new Random(seed ^ testCase.hashCode() ^ format.name().hashCode());
        // GPTQ v1 stores z - 1 and so cannot hold z = 0
        QuantizedMatrix matrix = RandomMatrices.random(random, testCase.type(), testCase.k(), testCase.n(), testCase.groupSize(), testCase.zeroPoints(),
                testCase.actOrder(), testCase.scaleType(), 1);
        try (Arena arena = Arena.ofConfined()) {
            HostTensor bias = HostTensor.allocate(arena, testCase.scaleType(), testCase.n());
            for (int column = 0; column < testCase.n(); column++) {
                CanonicalWeights.setScaleBits(bias.segment(), testCase.scaleType(), column, 0x3c00 + column);
            }
            QuantizedWeights.WeightOnly canonical = CanonicalWeights.of(matrix, Optional.of(bias), arena);

            LayerTensors written = format.write("layer", canonical, arena);
            QuantizedWeights.WeightOnly read = format.read(written, canonical.layout(), arena);
            LayerTensors rewritten = format.write("layer", read, arena);

            assertThat(CanonicalWeights.toMatrix(read)).isEqualTo(matrix);
            assertThat(((HostTensor) read.codes()).contentEquals((HostTensor) canonical.codes())).as("canonical codes").isTrue();
            assertThat(((HostTensor) read.bias().orElseThrow()).contentEquals(bias)).as("bias").isTrue();
            assertThat(rewritten.tensors().keySet()).isEqualTo(written.tensors().keySet());
            for (Map.Entry<String, HostTensor> tensor : written.tensors().entrySet()) {
                assertThat(rewritten.tensors().get(tensor.getKey()).contentEquals(tensor.getValue())).as(tensor.getKey() + " bit-exact").isTrue();
            }
        }
    }

    @TestFactory
    List<DynamicTest> sameLogicalWeightsGiveTheSameCanonicalWeightsFromEveryFormat() {
        long seed = System.nanoTime();
        List<DynamicTest> tests = new ArrayList<>();
        for (Shape shape : SHAPES) {
            for (int groupSize : shape.groupSizes()) {
                tests.add(DynamicTest.dynamicTest("uint4 zp K=" + shape.k() + " N=" + shape.n() + " G=" + groupSize + " (seed " + seed + ")", () -> {
                    QuantizedMatrix matrix = RandomMatrices.random(new Random(seed + groupSize), ScalarType.UINT4, shape.k(), shape.n(), groupSize, true, false,
                            ScalarType.FLOAT16, 1);
                    try (Arena arena = Arena.ofConfined()) {
                        QuantizedWeights.WeightOnly source = CanonicalWeights.of(matrix, Optional.empty(), arena);
                        List<QuantizedWeights.WeightOnly> fromEachFormat = new ArrayList<>();
                        for (WeightOnlyFormat format : List.of(GptqFormat.V1, GptqFormat.V2, AwqFormat.INSTANCE, CompressedTensorsFormat.INSTANCE)) {
                            fromEachFormat.add(format.read(format.write("layer", source, arena), source.layout(), arena));
                        }
                        for (QuantizedWeights.WeightOnly canonical : fromEachFormat) {
                            assertThat(((HostTensor) canonical.codes()).contentEquals((HostTensor) fromEachFormat.getFirst().codes())).isTrue();
                            assertThat(((HostTensor) canonical.scales()).contentEquals((HostTensor) fromEachFormat.getFirst().scales())).isTrue();
                            assertThat(((HostTensor) canonical.zeroPoints().orElseThrow()).contentEquals((HostTensor) fromEachFormat.getFirst().zeroPoints().orElseThrow())).isTrue();
                            assertThat(CanonicalWeights.toMatrix(canonical)).isEqualTo(matrix);
                        }
                    }
                }));
            }
        }
        return tests;
    }
}
