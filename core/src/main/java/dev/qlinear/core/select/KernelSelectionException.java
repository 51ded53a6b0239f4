package dev.qlinear.core.select;

import static java.util.Objects.requireNonNull;

/** No kernel may run a layer; the report says why for every candidate. */
public sealed class KernelSelectionException extends RuntimeException permits NoKernelFoundException, ForcedKernelException {

    private final SelectionReport report;

    KernelSelectionException(SelectionReport report) {
        super(report.failure().orElseThrow());
        this.report = requireNonNull(report, "report is null");
    }

    public SelectionReport report() {
        return report;
    }
}
