package dev.qlinear.cli.bench;

import dev.qlinear.cli.QlinearCli;
import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.core.select.LayerDescriptions;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The FP8 (scaled-mm) side of the bench that runs without a GPU: {@code --kind}, the PTPC layer, its weights and its bytes. */
final class TestScaledMmBench {

    @TempDir
    Path folder;

    private static KindSelection parsedKind(String... args) {
        CommandLine line = new CommandLine(new BenchCommand());
        line.parseArgs(args);
        return line.getCommandSpec().findOption("--kind").getValue();
    }

    private record Run(int exitCode, String out, String err) {
    }

    private static Run bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] line = new String[args.length + 1];
        line[0] = "bench";
        System.arraycopy(args, 0, line, 1, args.length);
        int exitCode = QlinearCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), Map.of(), new Properties(), line);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void kindDefaultsToAllAndTakesEachKindByName() {
        assertThat(parsedKind()).isEqualTo(KindSelection.ALL);
        assertThat(parsedKind("--kind", "weight-only")).isEqualTo(KindSelection.WEIGHT_ONLY);
        assertThat(parsedKind("--kind", "scaled-mm")).isEqualTo(KindSelection.SCALED_MM);
        assertThat(parsedKind("--kind=ALL")).isEqualTo(KindSelection.ALL);
    }

    @Test
    void eachKindSelectsItsLayerKinds() {
        assertThat(KindSelection.ALL.includes(LayerKind.WEIGHT_ONLY)).isTrue();
        assertThat(KindSelection.ALL.includes(LayerKind.SCALED_MM)).isTrue();
        assertThat(KindSelection.WEIGHT_ONLY.includes(LayerKind.SCALED_MM)).isFalse();
        assertThat(KindSelection.WEIGHT_ONLY.includes(LayerKind.WEIGHT_ONLY)).isTrue();
        assertThat(KindSelection.SCALED_MM.includes(LayerKind.WEIGHT_ONLY)).isFalse();
        assertThat(KindSelection.SCALED_MM.includes(LayerKind.SCALED_MM)).isTrue();
    }

    @Test
    void anUnknownKindIsNamedWithTheKnownOnes() {
        Run run = bench("--kind", "fp4", "--out", folder.toString());

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("unknown kind 'fp4': expected weight-only, scaled-mm or all");
    }

    @Test
    void helpDescribesKind() {
        Run run = bench("--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("--kind=KIND", "scaled-mm (FP8 PTPC, bf16 in and out)", "(default: all)", "qlinear bench --kind scaled-mm");
    }

    @Test
    void scaledMmOnlyStillNeedsAGpu() {
        assumeTrue(Cuda.availability() instanceof CudaAvailability.Unavailable, "this machine has a CUDA GPU");

        Run run = bench("--kind", "scaled-mm", "--shapes", "llama3-8b", "--out", folder.resolve("out").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("qlinear: bench needs a CUDA GPU, and none can be used here: ");
    }

    @Test
    void theLayerIsPtpcInBfloat16WithoutBias() {
        ScaledMmConfig config = ScaledMmLayers.ptpc(6144, 4096);

        assertThat(config.n()).isEqualTo(6144);
        assertThat(config.k()).isEqualTo(4096);
        assertThat(config.kind()).isEqualTo(LayerKind.SCALED_MM);
        assertThat(config.weightQuant()).isEqualTo(new QuantKey(ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT32, GroupShape.PER_CHANNEL, true, true));
        assertThat(config.activationQuant()).isEqualTo(new QuantKey(ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT32, GroupShape.PER_TOKEN, false, true));
        assertThat(config.inputType()).isEqualTo(ScalarType.BFLOAT16);
        assertThat(config.outputType()).isEqualTo(ScalarType.BFLOAT16);
        assertThat(config.bias()).isFalse();
        assertThat(LayerDescriptions.describe(config)).isEqualTo(
                "scaled-mm float8_e4m3fn per-channel weight x float8_e4m3fn per-token dynamic activation, bfloat16 -> bfloat16, K=4096 N=6144");
    }

    @Test
    void kernelTrafficIsSection92sFp8PtpcBytesPlusTheInputRead() {
        ScaledMmConfig qkv = ScaledMmLayers.ptpc(6144, 4096);

        for (int m : new int[] {1, 16, 256, 4096}) {
            // N·K + 4·N + M·K + 4·M + 2·M·N, and 2·M·K of bf16 input
            long expected = 6144L * 4096 + 4L * 6144 + (long) m * 4096 + 4L * m + 2L * m * 6144 + 2L * m * 4096;
            assertThat(Traffic.scaledMm(qkv, m)).isEqualTo(expected).isEqualTo(Traffic.fp8RowWise(6144, 4096, m) + 2L * m * 4096);
        }
        // M = 1: 25.2 MB, half of cuBLAS fp16's 50.4 MB
        assertThat(Traffic.scaledMm(qkv, 1)).isEqualTo(25_214_980L);
        assertThat(Traffic.dense16(6144, 4096, 1)).isEqualTo(50_352_128L);
    }

    @Test
    void perTensorScalesAndSixteenBitOutputsCountTheirBytes() {
        ScaledMmConfig perTensor = new ScaledMmConfig(ScaledMmLayers.ptpc(1024, 512).shape(), QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TENSOR, true),
                QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TENSOR, true), ScalarType.FLOAT16, ScalarType.FLOAT16, false);

        assertThat(Traffic.scaledMm(perTensor, 8)).isEqualTo(1024L * 512 + 4 + 8L * 512 + 4 + 2L * 8 * 1024 + 2L * 8 * 512);

        ScaledMmConfig blocks = new ScaledMmConfig(perTensor.shape(), QuantKey.of(ScalarType.FLOAT8_E4M3FN, new GroupShape(128, 128), true),
                QuantKey.of(ScalarType.FLOAT8_E4M3FN, new GroupShape(1, 128), false), ScalarType.BFLOAT16, ScalarType.BFLOAT16, false);
        assertThatThrownBy(() -> Traffic.scaledMm(blocks, 8)).hasMessageContaining("not 128x128");
    }

    @Test
    void randomWeightsAreFiniteE4m3fnCodesWithPositivePerChannelScales() {
        ScaledMmConfig config = ScaledMmLayers.ptpc(96, 512);
        try (Arena arena = Arena.ofShared()) {
            QuantizedWeights.ScaledMm weights = RandomWeights.scaledMm(config, 7, arena);

            assertThat(weights.weight().dtype()).isEqualTo(ScalarType.FLOAT8_E4M3FN);
            assertThat(weights.weight().rank()).isEqualTo(2);
            assertThat(weights.weight().size(0)).isEqualTo(96);
            assertThat(weights.weight().size(1)).isEqualTo(512);
            assertThat(weights.weight().isContiguous()).isTrue();
            byte[] codes = weights.weight().hostSegment().orElseThrow().toArray(ValueLayout.JAVA_BYTE);
            assertThat(codes).hasSize(96 * 512);
            assertThat(IntStream.range(0, codes.length).map(i -> codes[i] & 0x7F)).doesNotContain(0x7F);
            // every one of the 254 finite codes occurs among 49152 draws
            assertThat(IntStream.range(0, codes.length).map(i -> codes[i] & 0xFF).distinct().count()).isEqualTo(254);
            assertThat(IntStream.range(0, codes.length).mapToDouble(i -> FloatCodec.FLOAT8_E4M3FN.decode(codes[i] & 0xFF)))
                    .allMatch(Double::isFinite).anyMatch(value -> value == 448.0).anyMatch(value -> value == -448.0);

            assertThat(weights.weightScale().dtype()).isEqualTo(ScalarType.FLOAT32);
            assertThat(weights.weightScale().size(0)).isEqualTo(96);
            assertThat(weights.weightScale().size(1)).isEqualTo(1);
            MemorySegment scales = weights.weightScale().hostSegment().orElseThrow();
            for (int channel = 0; channel < 96; channel++) {
                assertThat(scales.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, channel)).isBetween(0.5f / 4096, 1.5f / 4096);
            }
            assertThat(weights.inputScale()).isEmpty();
            assertThat(weights.bias()).isEmpty();

            QuantizedWeights.ScaledMm again = RandomWeights.scaledMm(config, 7, arena);
            assertThat(again.weight().hostSegment().orElseThrow().toArray(ValueLayout.JAVA_BYTE)).as("the same seed, the same codes").isEqualTo(codes);
        }
    }

    @Test
    void finiteCodesSkipBothNans() {
        assertThat(RandomWeights.finiteE4m3fn(0)).isEqualTo((byte) 0x00);
        assertThat(RandomWeights.finiteE4m3fn(126)).isEqualTo((byte) 0x7E);
        assertThat(RandomWeights.finiteE4m3fn(127)).isEqualTo((byte) 0x80);
        assertThat(RandomWeights.finiteE4m3fn(253)).isEqualTo((byte) 0xFE);
        assertThatThrownBy(() -> RandomWeights.finiteE4m3fn(254)).hasMessageContaining("254 finite codes");
    }

    @Test
    void randomWeightsAreMadeForThePtpcLayerOnly() {
        ScaledMmConfig ptpc = ScaledMmLayers.ptpc(64, 64);
        ScaledMmConfig staticInput = new ScaledMmConfig(ptpc.shape(), ptpc.weightQuant(), QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TENSOR, true),
                ptpc.inputType(), ptpc.outputType(), false);
        ScaledMmConfig perTensorWeight = new ScaledMmConfig(ptpc.shape(), QuantKey.of(ScalarType.FLOAT8_E4M3FN, GroupShape.PER_TENSOR, true),
                ptpc.activationQuant(), ptpc.inputType(), ptpc.outputType(), false);
        try (Arena arena = Arena.ofShared()) {
            assertThatThrownBy(() -> RandomWeights.scaledMm(staticInput, 1, arena)).hasMessageContaining("dynamic activation scales and no bias");
            assertThatThrownBy(() -> RandomWeights.scaledMm(perTensorWeight, 1, arena)).hasMessageContaining("per-channel scales");
        }
    }
}
