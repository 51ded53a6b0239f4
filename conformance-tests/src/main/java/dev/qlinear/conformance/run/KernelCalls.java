package dev.qlinear.conformance.run;

import dev.qlinear.core.plugin.PluginCalls;
import dev.qlinear.core.plugin.RegisteredKernel;

import java.util.function.Supplier;

/**
 * Calls into a kernel the way the host does (with the plugin's class loader as the thread's context loader), but
 * keeps what the kernel threw: the suite must fail a kernel for throwing where the engine would only refuse it.
 */
public final class KernelCalls {

    private KernelCalls() {
    }

    /** The result of a call; a throw or a null result becomes a {@link KernelCallException}. */
    public static <T> T call(RegisteredKernel kernel, String method, Supplier<T> call) throws KernelCallException {
        T result;
        try {
            result = PluginCalls.withContextLoader(kernel.classLoader(), call);
        }
        catch (RuntimeException | LinkageError | AssertionError e) {
            throw new KernelCallException(kernel.id(), method, "threw " + describe(e), e);
        }
        if (result == null) {
            throw new KernelCallException(kernel.id(), method, "returned null", null);
        }
        return result;
    }

    /** Runs a call that returns nothing; a throw becomes a {@link KernelCallException}. */
    public static void run(RegisteredKernel kernel, String method, Runnable call) throws KernelCallException {
        call(kernel, method, () -> {
            call.run();
            return Boolean.TRUE;
        });
    }

    /** {@code java.lang.IllegalStateException: message (at Foo.bar(Foo.java:12))}. */
    static String describe(Throwable e) {
        StackTraceElement[] trace = e.getStackTrace();
        return e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + (trace.length == 0 ? "" : " (at " + trace[0] + ")");
    }
}
