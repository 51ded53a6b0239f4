package dev.qlinear.conformance;

import org.opentest4j.TestAbortedException;

import static java.util.Objects.requireNonNull;

/** A case reported but not run, as JUnit sees it (skipped): not declared, or cannot run here, with the reason. */
public final class CaseNotRun extends TestAbortedException {

    private final transient CaseResult result;

    public CaseNotRun(CaseResult result) {
        super(requireNonNull(result, "result is null").outcome().label() + ": " + result.message());
        this.result = result;
    }

    public CaseResult result() {
        return result;
    }
}
