package dev.qlinear.conformance.run;

import dev.qlinear.conformance.ErrorSummary;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * The result of comparing an output with a reference under a tolerance.
 *
 * @param passed whether the tolerance holds
 * @param error how far the output is
 * @param firstBad the row-major index of the first element outside the tolerance (for a mean criterion: the worst
 *                 element), or -1
 * @param badRows rows holding an element outside the tolerance
 * @param badColumns columns holding an element outside the tolerance
 * @param nonFinite outputs that are NaN or infinite
 * @param verdict what failed, such as {@code 12 of 4224 elements differ (bit-exact)}; empty when passed
 * @param details where and by how much; empty when passed
 */
public record Comparison(boolean passed, ErrorSummary error, int firstBad, boolean[] badRows, boolean[] badColumns, long nonFinite, String verdict,
        String details) {

    public Comparison {
        requireNonNull(error, "error is null");
        requireNonNull(badRows, "badRows is null");
        requireNonNull(badColumns, "badColumns is null");
        requireNonNull(verdict, "verdict is null");
        requireNonNull(details, "details is null");
    }

    /** What failed, then where and by how much; empty when passed. */
    public String message() {
        return passed ? "" : verdict + "; " + details;
    }

    /** The message with a diagnosis right after the verdict, where a reader looks first. */
    public String message(String diagnosis) {
        return diagnosis.isEmpty() ? message() : verdict + "; diagnosis: " + diagnosis + "; " + details;
    }

    /** The first bad row, or -1. */
    public int firstBadRow() {
        return firstBad < 0 ? -1 : firstBad / badColumns.length;
    }

    public int firstBadColumn() {
        return firstBad < 0 ? -1 : firstBad % badColumns.length;
    }

    /** {@code all 64}, {@code [64, 100)}, {@code [0, 3), [17, 33) and 2 more ranges}, or {@code none}. */
    static String ranges(boolean[] flags) {
        List<String> ranges = new ArrayList<>();
        int count = 0;
        int start = -1;
        for (int i = 0; i <= flags.length; i++) {
            boolean set = i < flags.length && flags[i];
            if (set) {
                count++;
                if (start < 0) {
                    start = i;
                }
            }
            else if (start >= 0) {
                ranges.add("[" + start + ", " + i + ")");
                start = -1;
            }
        }
        if (count == 0) {
            return "none";
        }
        if (count == flags.length) {
            return "all " + flags.length;
        }
        if (ranges.size() <= 4) {
            return String.join(", ", ranges);
        }
        return String.join(", ", ranges.subList(0, 4)) + " and " + (ranges.size() - 4) + " more ranges";
    }

    static String format(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return String.valueOf(value);
        }
        return String.format(Locale.ROOT, "%.6g", value);
    }
}
