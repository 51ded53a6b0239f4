package dev.qlinear.spi.weights;

/** A logical dimension of a weight {@code W[K, N]}: the reduction dimension K or the output dimension N. */
public enum WeightDimension {
    K, N
}
