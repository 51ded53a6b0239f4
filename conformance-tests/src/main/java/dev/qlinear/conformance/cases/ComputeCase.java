package dev.qlinear.conformance.cases;

import dev.qlinear.conformance.SweepShape;
import dev.qlinear.core.select.LayerDescriptions;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.ScaledMmConfig;

import static java.util.Objects.requireNonNull;

/**
 * A layer the kernel computes and the suite compares with the reference.
 *
 * @param id such as {@code m13-k2112-n192-uint4b8-g64-fp16-bias-strided}
 * @param variant the declared variant (types, group size, scales)
 * @param config the layer
 * @param shape the K x N and the layer it is a partition of
 * @param m rows of the input
 * @param bias whether the layer adds a bias
 * @param strided whether the input is a column slice of a wider buffer (row stride larger than K)
 */
public record ComputeCase(String id, Variant variant, LayerConfig config, SweepShape shape, int m, boolean bias, boolean strided) implements PlannedCase {

    public ComputeCase {
        requireNonNull(id, "id is null");
        requireNonNull(variant, "variant is null");
        requireNonNull(config, "config is null");
        requireNonNull(shape, "shape is null");
        if (m < 1) {
            throw new IllegalArgumentException("M must be positive, got " + m);
        }
        if (config instanceof ScaledMmConfig scaled && scaled.bias() != bias) {
            throw new IllegalArgumentException("a scaled-mm case's bias flag must match its config's, got " + bias + " and " + scaled.bias());
        }
    }

    public int k() {
        return config.k();
    }

    public int n() {
        return config.n();
    }

    /** Multiply-adds of one call: M * N * K. */
    public long macs() {
        return (long) m * config.k() * config.n();
    }

    @Override
    public String row() {
        return "M=" + m + " " + shape.label();
    }

    @Override
    public String column() {
        return variant.label();
    }

    @Override
    public String description() {
        return "M=" + m + ", " + LayerDescriptions.describe(config) + (bias && !(config instanceof ScaledMmConfig) ? ", bias" : "")
                + (strided ? ", strided input" : ", contiguous input");
    }
}
