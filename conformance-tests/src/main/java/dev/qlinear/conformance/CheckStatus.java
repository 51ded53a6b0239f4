package dev.qlinear.conformance;

/** The result of one check of one case. */
public enum CheckStatus {
    PASSED, FAILED, NOT_APPLICABLE
}
