package dev.qlinear.conformance.cases;

import java.util.Locale;

/**
 * What a kernel's plan left out, so a run can say it instead of hiding it.
 *
 * @param combinations computed combinations the declaration and the sweep allow
 * @param notApplicable combinations that are not layers, such as a group size that does not divide K
 * @param droppedBySizeCap combinations with {@code M * N * K} above the cap
 * @param sampledOut combinations under the cap that the seeded sample left out
 * @param computeCases computed cases planned
 * @param layoutCases prepared-layout cases planned
 * @param mustRejectCases must-reject cases planned
 * @param notDeclared values of the sweep the kernel does not declare
 * @param maxMacs the cap
 * @param filtered whether a case filter chose the cases (no cap, no sampling)
 */
public record PlanStats(long combinations, long notApplicable, long droppedBySizeCap, long sampledOut, int computeCases, int layoutCases, int mustRejectCases,
        int notDeclared, long maxMacs, boolean filtered) {

    /** {@code 64 computed cases of 10240 combinations: 1200 dropped by the size cap M*N*K <= 16777216, 8976 left out by sampling; ...}. */
    public String describe() {
        if (filtered) {
            return computeCases + " computed, " + layoutCases + " layout and " + mustRejectCases + " must-reject cases chosen by the case filter (no size cap, no sampling)";
        }
        return String.format(Locale.ROOT,
                "%d computed cases of %d combinations (%d dropped by the size cap M*N*K <= %d, %d left out by the seeded sample, %d not layers)"
                        + "%s, %d must-reject cases, %d sweep values not declared",
                computeCases, combinations, droppedBySizeCap, maxMacs, sampledOut, notApplicable, layoutCases == 0 ? "" : ", " + layoutCases + " prepared-layout cases",
                mustRejectCases, notDeclared);
    }
}
