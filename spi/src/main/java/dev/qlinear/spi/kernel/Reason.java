package dev.qlinear.spi.kernel;

import static java.util.Objects.requireNonNull;

/**
 * One unmet constraint, structured so tools can read it and people can act on it.
 *
 * @param constraint what was checked, such as {@code "K alignment"} or {@code "group size"}
 * @param expected what the kernel needs, such as {@code "K % 128 == 0"} or {@code "one of [-1, 32, 64, 128]"}
 * @param actual what the layer or platform has, such as {@code "K=2112"}
 */
public record Reason(String constraint, String expected, String actual) {
    public Reason {
        requireNonNull(constraint, "constraint is null");
        requireNonNull(expected, "expected is null");
        requireNonNull(actual, "actual is null");
        if (constraint.isBlank()) {
            throw new IllegalArgumentException("constraint must not be blank");
        }
    }

    /** {@code "K alignment: needs K % 128 == 0, got K=2112"}. */
    public String message() {
        return constraint + ": needs " + expected + ", got " + actual;
    }

    @Override
    public String toString() {
        return message();
    }
}
