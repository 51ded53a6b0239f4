package dev.qlinear.conformance;

import static java.util.Objects.requireNonNull;

/**
 * One check of one case.
 *
 * @param check what was checked
 * @param status passed, failed, or not applicable to this case
 * @param message what was found: for a failure, where and by how much
 */
public record CheckResult(Check check, CheckStatus status, String message) {

    public CheckResult {
        requireNonNull(check, "check is null");
        requireNonNull(status, "status is null");
        requireNonNull(message, "message is null");
    }

    public static CheckResult passed(Check check, String message) {
        return new CheckResult(check, CheckStatus.PASSED, message);
    }

    public static CheckResult failed(Check check, String message) {
        return new CheckResult(check, CheckStatus.FAILED, message);
    }

    public static CheckResult notApplicable(Check check, String why) {
        return new CheckResult(check, CheckStatus.NOT_APPLICABLE, why);
    }

    public boolean isFailed() {
        return status == CheckStatus.FAILED;
    }

    /** {@code reference: 12 of 4224 elements differ ...}. */
    @Override
    public String toString() {
        return check.title() + (status == CheckStatus.FAILED ? "" : " (" + status.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ")") + ": " + message;
    }
}
