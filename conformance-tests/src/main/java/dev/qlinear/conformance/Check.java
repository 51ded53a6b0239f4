package dev.qlinear.conformance;

/** What the suite checks; failure messages start with the check's name. */
public enum Check {
    /** The kernel's prepared layout tensors equal the reference packer's, bit for bit. */
    PREPARED_LAYOUT("prepared layout"),
    /** The output matches the reference within the kernel's tolerance class. */
    REFERENCE("reference"),
    /** Every output element was written (the output is poisoned before the call). */
    OUTPUT_WRITTEN("every output written"),
    /** The same input twice gives identical output bits. */
    DETERMINISM("determinism"),
    /** Rows of a batch equal the same rows computed alone (M=1), within tolerance. */
    BATCH_INVARIANCE("batch invariance"),
    /** A layer outside the declaration is refused with a reason, not accepted and not thrown. */
    MUST_REJECT("must reject"),
    /** The kernel's calls returned normally. */
    EXECUTION("execution"),
    /** The plugin was installed and its kernels registered. */
    PLUGIN_LOADS("plugin loads"),
    /** The run executed at least one case. */
    RUN_EXECUTED_CASES("run executed cases");

    private final String title;

    Check(String title) {
        this.title = title;
    }

    public String title() {
        return title;
    }
}
