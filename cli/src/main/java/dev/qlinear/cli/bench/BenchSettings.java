package dev.qlinear.cli.bench;

import dev.qlinear.spi.type.ScalarType;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What a bench run measured and how.
 *
 * @param shapes the layers, in order
 * @param ms the activation rows measured for every layer
 * @param groupSize the requested weight group size (-1 channelwise); a layer whose K it does not divide uses a smaller one
 * @param weightType the kernels' weight type, such as uint4b8
 * @param activationType the activation (and output) type, such as float16
 * @param runs the most samples per measurement
 * @param callsPerSample calls timed together in one sample
 * @param warmupCalls calls before the first sample
 * @param rotateBytes weights rotated per measurement, so that no call finds its weights in L2
 * @param budgetMillis the longest one source's samples at one M take (sources alternate, at their mean cost); fewer samples
 *        are taken for slow calls, never fewer than 5
 * @param kinds the layers timed on every shape: weight-only ({@code weightType}, {@code groupSize},
 *        {@code activationType}), FP8 scaled-mm ({@link ScaledMmLayers}: PTPC, bf16 in and out), or both
 */
public record BenchSettings(List<BenchShape> shapes, List<Integer> ms, int groupSize, ScalarType weightType, ScalarType activationType, int runs,
        int callsPerSample, int warmupCalls, long rotateBytes, double budgetMillis, KindSelection kinds) {

    /** The most copies of one layer's weights, however small it is. */
    public static final int MAX_COPIES = 1024;

    /** Samples taken however slow the calls are (unless --runs asks for fewer). */
    public static final int MIN_SAMPLES = 5;

    public BenchSettings {
        shapes = List.copyOf(requireNonNull(shapes, "shapes is null"));
        ms = List.copyOf(requireNonNull(ms, "ms is null"));
        requireNonNull(weightType, "weightType is null");
        requireNonNull(activationType, "activationType is null");
        requireNonNull(kinds, "kinds is null");
        if (shapes.isEmpty() || ms.isEmpty()) {
            throw new IllegalArgumentException("a bench needs at least one shape and one M");
        }
        for (int m : ms) {
            if (m < 1) {
                throw new IllegalArgumentException("M must be at least 1, got " + m);
            }
        }
        if (runs < 1 || callsPerSample < 1 || warmupCalls < 0) {
            throw new IllegalArgumentException("runs and calls per sample must be at least 1 and warm-up calls not negative, got runs " + runs
                    + ", calls " + callsPerSample + ", warm-up " + warmupCalls);
        }
        if (rotateBytes < 1 || !(budgetMillis > 0)) {
            throw new IllegalArgumentException("rotate bytes and the time budget must be positive, got " + rotateBytes + " bytes and " + budgetMillis + " ms");
        }
    }

    /** Settings of weight-only layers only, as every bench timed before {@code --kind}. */
    public BenchSettings(List<BenchShape> shapes, List<Integer> ms, int groupSize, ScalarType weightType, ScalarType activationType, int runs,
            int callsPerSample, int warmupCalls, long rotateBytes, double budgetMillis) {
        this(shapes, ms, groupSize, weightType, activationType, runs, callsPerSample, warmupCalls, rotateBytes, budgetMillis, KindSelection.WEIGHT_ONLY);
    }

    /** The group size a layer of this K uses: the requested one when it divides K, else the largest power of two below it that does. */
    public int groupFor(int k) {
        if (groupSize == -1 || k % groupSize == 0) {
            return groupSize;
        }
        int group = Integer.highestOneBit(groupSize);
        while (k % group != 0) {
            group /= 2;
        }
        return group;
    }

    /** Copies of weights of this size that fill the rotation, so that consecutive calls never find their weights in L2. */
    public int copiesFor(long bytesPerCopy) {
        if (bytesPerCopy < 1) {
            throw new IllegalArgumentException("a copy of weights has at least one byte, got " + bytesPerCopy);
        }
        long copies = (rotateBytes + bytesPerCopy - 1) / bytesPerCopy;
        return (int) Math.max(1, Math.min(MAX_COPIES, copies));
    }
}
