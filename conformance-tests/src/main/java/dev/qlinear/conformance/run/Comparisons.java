package dev.qlinear.conformance.run;

import dev.qlinear.conformance.ErrorSummary;

import java.util.OptionalDouble;

/** Builds a {@link Comparison} from per-element verdicts: error statistics, where the bad elements are, one message. */
final class Comparisons {

    private Comparisons() {
    }

    /**
     * @param meanLimit when present, passing is decided by the mean relative error staying below it rather than by every element
     * @param expected the other output when comparing two outputs, for bit patterns in the message; may be null
     */
    static Comparison of(String criterion, Outputs output, double[] reference, Outputs expected, boolean[] bad, String what, OptionalDouble meanLimit) {
        int rows = output.rows();
        int columns = output.columns();
        double[] values = output.values();
        boolean[] badRows = new boolean[rows];
        boolean[] badColumns = new boolean[columns];
        long badCount = 0;
        long nonFinite = 0;
        int firstBad = -1;
        double maxAbs = 0;
        int maxAbsIndex = 0;
        double maxRel = 0;
        double sumAbsError = 0;
        double sumAbsReference = 0;
        for (int i = 0; i < values.length; i++) {
            double difference = Math.abs(values[i] - reference[i]);
            if (!Double.isFinite(values[i])) {
                nonFinite++;
                difference = Double.POSITIVE_INFINITY;
            }
            if (bad[i]) {
                badCount++;
                badRows[i / columns] = true;
                badColumns[i % columns] = true;
                if (firstBad < 0) {
                    firstBad = i;
                }
            }
            if (difference > maxAbs) {
                maxAbs = difference;
                maxAbsIndex = i;
            }
            if (reference[i] != 0) {
                maxRel = Math.max(maxRel, difference / Math.abs(reference[i]));
            }
            if (Double.isFinite(difference)) {
                sumAbsError += difference;
            }
            sumAbsReference += Math.abs(reference[i]);
        }
        double meanRel = nonFinite > 0 ? Double.POSITIVE_INFINITY : sumAbsReference == 0 ? (sumAbsError == 0 ? 0 : Double.POSITIVE_INFINITY) : sumAbsError / sumAbsReference;
        ErrorSummary error = new ErrorSummary(maxAbs, maxAbsIndex / columns, maxAbsIndex % columns, maxRel, meanRel, badCount, values.length);
        boolean passed;
        String verdict;
        if (meanLimit.isPresent()) {
            passed = nonFinite == 0 && meanRel < meanLimit.getAsDouble();
            if (!passed && firstBad < 0) {
                firstBad = maxAbsIndex;
            }
            verdict = "mean rel err " + Comparison.format(meanRel) + " is not below " + meanLimit.getAsDouble() + " (" + criterion + "); " + badCount + " of "
                    + values.length + " elements alone exceed that share of mean(|ref|)";
        }
        else {
            passed = badCount == 0;
            verdict = badCount + " of " + values.length + " elements differ (" + criterion + ")";
        }
        if (passed) {
            return new Comparison(true, error, -1, badRows, badColumns, nonFinite, "", "");
        }
        int m = firstBad / columns;
        int n = firstBad % columns;
        String first = "first at (m=" + m + ", n=" + n + "): kernel " + output.describe(firstBad) + ", " + what + " "
                + (expected != null ? expected.describe(firstBad) : Comparison.format(reference[firstBad]));
        String where = "bad rows " + Comparison.ranges(badRows) + ", bad columns " + Comparison.ranges(badColumns);
        String details = first + "; " + error.describe() + "; " + where + (nonFinite > 0 ? "; " + nonFinite + " outputs are NaN or infinite" : "");
        return new Comparison(false, error, firstBad, badRows, badColumns, nonFinite, verdict, details);
    }
}
