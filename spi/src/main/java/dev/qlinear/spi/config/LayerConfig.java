package dev.qlinear.spi.config;

import dev.qlinear.spi.type.ScalarType;

/**
 * Everything a kernel needs to know about one linear layer {@code y[M, N] = x[M, K] * W^T} before its weights are
 * loaded. The shapes a kernel sees are the per-partition shapes (after tensor-parallel sharding).
 */
public sealed interface LayerConfig permits WeightOnlyConfig, ScaledMmConfig {

    LayerKind kind();

    /** Reduction dimension K of this partition. */
    int k();

    /** Output features N of this partition. */
    int n();

    /** Element type of the output {@code y}. */
    ScalarType outputType();
}
