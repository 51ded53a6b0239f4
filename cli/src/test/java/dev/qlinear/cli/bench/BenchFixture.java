package dev.qlinear.cli.bench;

import dev.qlinear.spi.type.ScalarType;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * A report with the H100 numbers of KERNELS.md §9.3 (cuBLAS fp16 and vLLM's Triton W4A16 kernel) and a copy bandwidth
 * of exactly 3000 GB/s, so that every derived figure can be checked by hand.
 */
final class BenchFixture {

    static final LayerKey QKV = new LayerKey(6144, 4096);
    static final LayerKey AWKWARD = new LayerKey(4096, 2112);
    static final String KERNEL = "triton-w4a16";

    private BenchFixture() {
    }

    static BenchReport report() {
        List<Measurement> rows = new ArrayList<>();
        add(rows, QKV, 128, new int[] {1, 16, 256, 4096}, new double[] {29.3, 28.6, 36.3, 290.7}, new double[] {62.1, 62.3, 123.6, 859.0});
        add(rows, AWKWARD, 64, new int[] {1, 16, 256, 4096}, new double[] {14.4, 14.3, 17.0, 102.2}, new double[] {34.3, 34.3, 67.8, 305.2});
        List<Refusal> refusals = List.of(new Refusal("marlin", AWKWARD, "K alignment: K=2112 must be a multiple of 128"));
        List<LaunchOverhead> overheads = List.of(
                new LaunchOverhead(KERNEL, QKV, 200, 3.2, 1.0, OptionalDouble.of(2.5), 62.5, OptionalDouble.of(61.9), Optional.empty()),
                new LaunchOverhead(KERNEL, AWKWARD, 200, 13.4, 2.0, OptionalDouble.of(2.4), 34.9, OptionalDouble.empty(),
                        Optional.of("IllegalStateException: capture failed")));
        return new BenchReport(header(), new CopyBandwidth(150_000_000L, new Timing(100.0, 99.0, 101.5, 30, 1)), rows, refusals, overheads,
                List.of("group 128 does not divide K=2112: layer 4096x2112 used group 64"));
    }

    static final String FP8_KERNEL = "triton-fp8";
    static final int[] MS = {1, 16, 256, 4096};
    /** triton-fp8's times on the two layers at {@link #MS}: made up, somewhat faster than §9.3's torch._scaled_mm. */
    static final double[] FP8_QKV = {20.5, 21.5, 24.0, 150.0};
    static final double[] FP8_AWKWARD = {12.5, 12.9, 13.5, 70.0};

    /**
     * The report of a {@code --kind all} run: {@link #report()}'s rows and an FP8 PTPC kernel's on both layers, whose
     * bytes are §9.2's FP8 PTPC formula plus the bf16 input read, {@code N·K + 4·N + M·K + 4·M + 2·M·N + 2·M·K}.
     */
    static BenchReport withScaledMm() {
        BenchReport weightOnly = report();
        List<Measurement> rows = new ArrayList<>(weightOnly.rows());
        for (int i = 0; i < MS.length; i++) {
            int m = MS[i];
            for (LayerKey layer : List.of(QKV, AWKWARD)) {
                long n = layer.n();
                long k = layer.k();
                long bytes = n * k + 4 * n + m * k + 4L * m + 2 * m * n + 2 * m * k;
                rows.add(Measurement.scaledMm(FP8_KERNEL, layer.n(), layer.k(), m, timing((layer.equals(QKV) ? FP8_QKV : FP8_AWKWARD)[i]), bytes));
            }
        }
        return new BenchReport(header(KindSelection.ALL), weightOnly.copy(), rows, weightOnly.refusals(), weightOnly.overheads(), weightOnly.notes());
    }

    static BenchHeader header() {
        BenchSettings settings = new BenchSettings(List.of(BenchShape.named(6144, 4096, "llama3-8b qkv"), BenchShape.named(4096, 2112, "gemma-4 down, K=2112")),
                List.of(1, 16, 256, 4096), 128, ScalarType.UINT4B8, ScalarType.FLOAT16, 30, 10, 20, 200L << 20, 150);
        return header(settings);
    }

    static BenchHeader header(KindSelection kinds) {
        BenchSettings settings = header().settings();
        return header(new BenchSettings(settings.shapes(), settings.ms(), settings.groupSize(), settings.weightType(), settings.activationType(), settings.runs(),
                settings.callsPerSample(), settings.warmupCalls(), settings.rotateBytes(), settings.budgetMillis(), kinds));
    }

    private static BenchHeader header(BenchSettings settings) {
        DeviceSummary device = new DeviceSummary("NVIDIA H100 80GB HBM3", "sm_90", 132, 85_045_460_992L, 52_428_800L, "13.0");
        return new BenchHeader(Instant.parse("2026-11-21T15:00:00Z"), device, "25.0.1+8-LTS (Eclipse Adoptium)", "0.1.0-SNAPSHOT", settings);
    }

    private static void add(List<Measurement> rows, LayerKey layer, int group, int[] ms, double[] cublas, double[] kernel) {
        for (int i = 0; i < ms.length; i++) {
            int m = ms[i];
            rows.add(Measurement.baseline(Source.CUBLAS_FP16, layer.n(), layer.k(), m, timing(cublas[i]), Traffic.dense16(layer.n(), layer.k(), m)));
            long bytes = (long) layer.n() * layer.k() / 2 + (long) (layer.k() / group) * layer.n() * 2 + 2L * m * layer.k() + 2L * m * layer.n();
            rows.add(new Measurement(Source.KERNEL, KERNEL, layer.n(), layer.k(), m, OptionalInt.of(group), timing(kernel[i]), bytes));
        }
    }

    private static Timing timing(double median) {
        return new Timing(median, median * 0.98, median * 1.03, 30, 10);
    }
}
