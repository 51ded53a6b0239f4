package dev.qlinear.exllama;

import dev.qlinear.spi.device.LaunchConfig;

import static java.util.Objects.requireNonNull;

/**
 * How the large-M path runs M rows: {@code exllama_dequantize_w4/_w8} writes the whole fp16 weight {@code W[K, N]}
 * into the workspace (one word row and 4 columns per thread, word rows strided past 65535), the host's dense GEMM
 * multiplies, then {@code exllama_add_bias} adds the bias when the layer has one.
 *
 * @param dequantize grid (ceil(N / 4 / 128), min(K / pf, 65535)) of 128 threads
 * @param addBias one thread per 8 outputs
 */
record DequantizePlan(LaunchConfig dequantize, LaunchConfig addBias) {

    static final int THREADS = 128;
    static final int BIAS_THREADS = 256;

    DequantizePlan {
        requireNonNull(dequantize, "dequantize is null");
        requireNonNull(addBias, "addBias is null");
    }

    static DequantizePlan of(int bits, int m, int k, int n) {
        int wordRows = k / (32 / bits);
        LaunchConfig dequantize = new LaunchConfig(FusedPlan.ceilDiv(n / 4, THREADS), Math.min(wordRows, 65535), 1, THREADS, 1, 1, 0);
        LaunchConfig addBias = LaunchConfig.linear(Math.toIntExact(FusedPlan.ceilDiv((long) m * n / 8, BIAS_THREADS)), BIAS_THREADS, 0);
        return new DequantizePlan(dequantize, addBias);
    }

    /** Workspace bytes of the fp16 weight. */
    static long weightBytes(int k, int n) {
        return 2L * k * n;
    }
}
