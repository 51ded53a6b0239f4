package dev.qlinear.core.nativelib;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in its own JVM by {@link TestNativeLibraryLoader}: loads a library through {@link NativeLibraryLoader}, by name
 * or as a file, then overflows the stack. With the stack guard pages in place that is a {@link StackOverflowError};
 * without them the JVM crashes.
 */
public final class StackGuardCheck {

    private static int depth;

    private StackGuardCheck() {
    }

    public static void main(String[] arguments) {
        String how = arguments[0];
        String library = arguments[1];
        if (how.equals("name")) {
            NativeLibraryLoader.Result result = NativeLibraryLoader.load(List.of(library), List.of());
            if (result.found().isEmpty()) {
                throw new IllegalStateException(library + " did not load: " + result.failures());
            }
        }
        else {
            NativeLibraryLoader.open(Path.of(library), Arena.global());
        }
        try {
            recurse();
        }
        catch (StackOverflowError e) {
            System.out.println("StackOverflowError after " + depth + " calls");
        }
    }

    private static void recurse() {
        depth++;
        recurse();
    }
}
