package dev.qlinear.core.plugin;

import java.util.function.Supplier;

/**
 * Runs code of a plugin with the thread context class loader set to the plugin's, as ServiceLoader and logging
 * inside the plugin expect, and restores it afterwards.
 */
public final class PluginCalls {

    private PluginCalls() {
    }

    public static <T> T withContextLoader(ClassLoader loader, Supplier<T> call) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return call.get();
        }
        finally {
            thread.setContextClassLoader(previous);
        }
    }
}
