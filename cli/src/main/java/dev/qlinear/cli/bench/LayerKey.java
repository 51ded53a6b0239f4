package dev.qlinear.cli.bench;

/**
 * A layer's shape as benchmarks name it, N × K (output features × input features, the weight's PyTorch shape).
 *
 * @param n output features
 * @param k input features
 */
public record LayerKey(int n, int k) {

    public LayerKey {
        if (n < 1 || k < 1) {
            throw new IllegalArgumentException("N and K must be positive, got N=" + n + " K=" + k);
        }
    }

    @Override
    public String toString() {
        return n + "x" + k;
    }
}
