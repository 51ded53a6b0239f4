package dev.qlinear.conformance;

/** What a case exercises. */
public enum CaseKind {
    /** A layer computed by the kernel and compared with the reference. */
    COMPUTE,
    /** A kernel's prepared layout compared with the reference packer, without computing. */
    LAYOUT,
    /** A layer just outside the declaration that must be refused. */
    MUST_REJECT,
    /** A part of the sweep the kernel does not declare, reported without running. */
    DECLARATION,
    /** Loading the plugin. */
    PLUGIN,
    /** The run as a whole. */
    RUN
}
