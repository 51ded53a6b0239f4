package dev.qlinear.conformance.run;

import static java.util.Objects.requireNonNull;

/** A kernel's method threw or broke its contract (returned null); the message names the kernel and the method. */
public final class KernelCallException extends Exception {

    private final String method;

    KernelCallException(String kernelId, String method, String problem, Throwable cause) {
        super("kernel '" + kernelId + "': " + method + " " + problem, cause);
        this.method = requireNonNull(method, "method is null");
    }

    public String method() {
        return method;
    }
}
