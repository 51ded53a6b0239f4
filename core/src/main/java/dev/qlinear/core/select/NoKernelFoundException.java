package dev.qlinear.core.select;

/** No installed kernel can run the layer on the platform; the message lists every candidate and all its reasons. */
public final class NoKernelFoundException extends KernelSelectionException {
    NoKernelFoundException(SelectionReport report) {
        super(report);
    }
}
