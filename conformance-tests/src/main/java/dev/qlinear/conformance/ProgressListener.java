package dev.qlinear.conformance;

/** Follows a launcher run as it goes, for a progress display. Called on the thread that runs the cases. */
public interface ProgressListener {

    ProgressListener NONE = new ProgressListener() {
    };

    /** A kernel's plan is made; {@code run} holds the number of cases planned over all kernels. */
    default void planned(RunInfo run, KernelSummary kernel) {
    }

    /** One case finished; {@code done} of {@code total} so far. */
    default void finished(CaseResult result, int done, int total) {
    }
}
