package dev.qlinear.conformance;

import java.util.Locale;

/** How one conformance case ended. */
public enum Outcome {
    /** Ran, and every check held. */
    PASS,
    /** Ran (or was asked), and a check did not hold. */
    FAIL,
    /** The kernel does not declare this: reported, not run. */
    NOT_DECLARED,
    /** The kernel declares it, but it cannot run on this machine (another platform, no device); the reason says why. */
    CANNOT_RUN_HERE;

    /** {@code pass}, {@code fail}, {@code not declared}, {@code cannot run here}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }
}
