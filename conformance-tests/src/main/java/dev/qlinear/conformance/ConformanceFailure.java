package dev.qlinear.conformance;

import org.opentest4j.AssertionFailedError;

import static java.util.Objects.requireNonNull;

/** A failed case as JUnit sees it: the failed checks, the case, and the line that reproduces it. */
public final class ConformanceFailure extends AssertionFailedError {

    private final transient CaseResult result;

    public ConformanceFailure(CaseResult result) {
        super(requireNonNull(result, "result is null").message() + "\n    case: " + result.qualifiedId() + ", " + result.description()
                + "\n    reproduce: " + result.reproduction());
        this.result = result;
    }

    public CaseResult result() {
        return result;
    }
}
