package dev.qlinear.cli.bench;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;

/**
 * Bytes a linear layer must move through memory per call at the least (KERNELS.md §9.2): weights, scales, zero
 * points and the act-order index once, activations and outputs once. Dividing by a measured time gives the achieved
 * bandwidth.
 */
final class Traffic {

    private Traffic() {
    }

    /**
     * A weight-only layer: {@code N·K·bits/8} codes, {@code groups·N} scales in the activation type, packed zero points
     * when the layer has them, a 4-byte group index per row with act-order, {@code M·K} activations and {@code M·N}
     * outputs. For uint4b8 with fp16 and group G this is §9.2's {@code N·K/2 + (K/G)·N·2 + 2·M·K + 2·M·N}.
     */
    static long weightOnly(WeightOnlyConfig config, int m) {
        long n = config.n();
        long k = config.k();
        long bits = config.weightType().sizeBits();
        long groups = config.groupCount();
        long codes = n * k * bits / 8;
        long scales = groups * n * config.activationType().storageBytes();
        long zeros = config.zeroPoints() ? groups * n * bits / 8 : 0;
        long groupIndex = config.actOrder() ? 4 * k : 0;
        return codes + scales + zeros + groupIndex + activations(config, m);
    }

    private static long activations(WeightOnlyConfig config, long m) {
        return m * config.k() * config.activationType().storageBytes() + m * config.n() * config.outputType().storageBytes();
    }

    /** A dense fp16 (or bf16) GEMM: {@code 2·N·K + 2·M·K + 2·M·N}. */
    static long dense16(int n, int k, int m) {
        return 2L * n * k + 2L * m * k + 2L * m * n;
    }

    /**
     * An FP8 GEMM with per-token activation and per-channel weight scales (fp32) and a 16-bit output, activation
     * quantization not included: {@code N·K + 4·N + M·K + 4·M + 2·M·N}.
     */
    static long fp8RowWise(int n, int k, int m) {
        return (long) n * k + 4L * n + (long) m * k + 4L * m + 2L * m * n;
    }

    /**
     * A scaled-mm kernel that quantizes its activations itself, as qlinear's FP8 kernels do: §9.2's FP8 PTPC bytes
     * plus the 16-bit input it reads to quantize. With 1-byte codes, fp32 per-channel weight and per-token activation
     * scales and 16-bit input and output this is {@code N·K + 4·N + M·K + 4·M + 2·M·N + 2·M·K}: the weight codes and
     * scales, the quantized activations and their scales, the output, and the input read. The quantized activations
     * are counted once, as §9.2 does; a kernel that writes them to memory and reads them back moves another
     * {@code M·K + 4·M}.
     */
    static long scaledMm(ScaledMmConfig config, int m) {
        long n = config.n();
        long k = config.k();
        long weightScales = scales(config.weightQuant().groupShape(), GroupShape.PER_CHANNEL, n) * config.weightQuant().scaleType().storageBytes();
        long activationScales = scales(config.activationQuant().groupShape(), GroupShape.PER_TOKEN, m) * config.activationQuant().scaleType().storageBytes();
        long weights = n * k * config.weightQuant().type().storageBytes() + weightScales;
        long quantized = m * k * config.activationQuant().type().storageBytes() + activationScales;
        long input = m * k * config.inputType().storageBytes();
        long output = m * n * config.outputType().storageBytes();
        return weights + quantized + output + input;
    }

    /** One scale per tensor, or one per row of the operand (a weight's output channel, an activation's token). */
    private static long scales(GroupShape shape, GroupShape perRow, long rows) {
        if (shape.isPerTensor()) {
            return 1;
        }
        if (shape.equals(perRow)) {
            return rows;
        }
        throw new IllegalArgumentException("bytes moved are counted for per-tensor and " + perRow + " scales, not " + shape);
    }

    /** Multiply-adds times two: {@code 2·M·N·K}. */
    static double flops(int n, int k, int m) {
        return 2.0 * m * n * k;
    }
}
