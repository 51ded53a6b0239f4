package dev.qlinear.core.select;

/** The policy forces a kernel that is not installed or cannot run the layer; the message says why. */
public final class ForcedKernelException extends KernelSelectionException {
    ForcedKernelException(SelectionReport report) {
        super(report);
    }
}
