package dev.qlinear.conformance.cases;

/** One case of a kernel's plan: computed, a prepared layout, must-reject, or reported as not declared. */
public sealed interface PlannedCase permits ComputeCase, LayoutCase, MustRejectCase, NotDeclaredCase {

    /** Unique within the kernel, stable for a given sweep: the name {@code qlinear.conformance.case} takes. */
    String id();

    /** The report grid's row (the shape). */
    String row();

    /** The report grid's column (the variant). */
    String column();

    /** The case in words. */
    String description();
}
