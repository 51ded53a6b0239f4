package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.LayerKind;

/**
 * The layers a kernel declares it can run, as data the engine checks before asking the kernel and the conformance
 * suite reads to generate cases. A kernel's {@code canImplement} must still refuse everything it cannot do; the
 * declaration lets tools explain and test without running kernel code.
 */
public sealed interface KernelCapabilities permits WeightOnlyCapabilities, ScaledMmCapabilities {

    LayerKind layerKind();

    /** K of the partition must be a multiple of this. */
    int kAlignment();

    /** N of the partition must be a multiple of this. */
    int nAlignment();

    static void checkAlignment(String dimension, int alignment) {
        if (alignment < 1) {
            throw new IllegalArgumentException(dimension + " alignment must be at least 1, got " + alignment);
        }
    }
}
