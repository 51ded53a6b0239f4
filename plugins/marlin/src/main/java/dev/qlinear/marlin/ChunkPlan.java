package dev.qlinear.marlin;

import dev.qlinear.spi.device.LaunchConfig;

import java.util.Optional;

/** How one launch of a multiply kernel covers a chunk of rows: the decode kernel's plan or the GEMM kernel's. */
sealed interface ChunkPlan permits DecodePlan, MarlinPlan {

    /** The multiply kernel's launch. */
    LaunchConfig kernelLaunch();

    /** Blocks along K. */
    int splits();

    /** Stages of K each split streams (the last may stream fewer). */
    int stagesPerSplit();

    /** The split-K sum, when K is split. */
    Optional<LaunchConfig> reduce();

    /** The launch of {@code marlin_gather_*} over the chunk's activation. */
    LaunchConfig gather();

    /** Float32 workspace elements the partial sums take (0 without a split). */
    long partialFloats();
}
