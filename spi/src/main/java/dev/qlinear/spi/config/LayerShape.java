package dev.qlinear.spi.config;

/**
 * The shape of a linear layer's weight, named by dimension so K and N cannot be swapped by position.
 *
 * @param k input features, the reduction dimension
 * @param n output features
 */
public record LayerShape(int k, int n) {
    public LayerShape {
        if (k < 1) {
            throw new IllegalArgumentException("K must be positive, got " + k);
        }
        if (n < 1) {
            throw new IllegalArgumentException("N must be positive, got " + n);
        }
    }

    @Override
    public String toString() {
        return "K=" + k + " x N=" + n;
    }
}
