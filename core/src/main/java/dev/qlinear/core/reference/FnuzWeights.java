package dev.qlinear.core.reference;

import java.util.Arrays;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * E4m3fnuz weights made from an e4m3fn checkpoint by {@link Fp8Reference#normalizeE4m3fnToFnuz}: the codes, the
 * doubled weight scales and the doubled static input scale, if there was one. Arrays are copied in and out.
 */
public record FnuzWeights(byte[] weight, float[] weightScales, Optional<Float> inputScale) {

    public FnuzWeights {
        weight = requireNonNull(weight, "weight is null").clone();
        weightScales = requireNonNull(weightScales, "weightScales is null").clone();
        requireNonNull(inputScale, "inputScale is null");
    }

    @Override
    public byte[] weight() {
        return weight.clone();
    }

    @Override
    public float[] weightScales() {
        return weightScales.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof FnuzWeights that
                && Arrays.equals(weight, that.weight) && Arrays.equals(weightScales, that.weightScales) && inputScale.equals(that.inputScale);
    }

    @Override
    public int hashCode() {
        return (31 * Arrays.hashCode(weight) + Arrays.hashCode(weightScales)) * 31 + inputScale.hashCode();
    }

    @Override
    public String toString() {
        return "FnuzWeights[" + weight.length + " codes, " + weightScales.length + " weight scales" + inputScale.map(scale -> ", input scale " + scale).orElse("") + "]";
    }
}
