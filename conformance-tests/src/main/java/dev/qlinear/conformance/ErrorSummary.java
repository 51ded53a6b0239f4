package dev.qlinear.conformance;

/**
 * How far a kernel's output is from the reference.
 *
 * @param maxAbsError the largest {@code |out - ref|}
 * @param maxAbsRow the row of that element
 * @param maxAbsColumn the column of that element
 * @param maxRelError the largest {@code |out - ref| / |ref|} over elements with a non-zero reference
 * @param meanRelError {@code mean(|out - ref|) / mean(|ref|)}
 * @param badElements elements outside the tolerance
 * @param elements elements compared
 */
public record ErrorSummary(double maxAbsError, int maxAbsRow, int maxAbsColumn, double maxRelError, double meanRelError, long badElements, long elements) {

    public ErrorSummary {
        if (elements < 0 || badElements < 0 || badElements > elements) {
            throw new IllegalArgumentException("bad elements " + badElements + " must be within [0, " + elements + "]");
        }
    }

    /** {@code max abs err 0.25 at (m=3, n=70), max rel err 0.02, mean rel err 0.001}. */
    public String describe() {
        return "max abs err " + format(maxAbsError) + " at (m=" + maxAbsRow + ", n=" + maxAbsColumn + "), max rel err " + format(maxRelError)
                + ", mean rel err " + format(meanRelError);
    }

    static String format(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return String.valueOf(value);
        }
        return String.format(java.util.Locale.ROOT, "%.4g", value);
    }
}
