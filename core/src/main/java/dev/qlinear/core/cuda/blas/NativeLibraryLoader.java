package dev.qlinear.core.cuda.blas;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Finds a shared library by name, then in folders, and says for each candidate why it did not load. The library is
 * opened with {@code dlopen} first because {@link SymbolLookup#libraryLookup} reports only that it failed, while
 * {@code dlerror} says why (such as a missing {@code libcublasLt} next to {@code libcublas}).
 */
@SuppressWarnings("restricted") // binding native code is this class's job; the JVM runs with --enable-native-access
final class NativeLibraryLoader {

    private static final int RTLD_NOW = 2;

    /** A library that loaded, with where it was found. */
    record Found(SymbolLookup symbols, String file) {
    }

    /** The libraries tried, in order, and why each failed; the first that loads wins. */
    record Result(Optional<Found> found, List<String> failures) {
    }

    private NativeLibraryLoader() {
    }

    static Result load(List<String> names, List<Path> folders) {
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            Optional<String> error = dlopen(name);
            if (error.isEmpty()) {
                return new Result(Optional.of(new Found(SymbolLookup.libraryLookup(name, Arena.global()), name)), List.copyOf(failures));
            }
            failures.add(name + " by name: " + error.get());
            for (Path folder : folders) {
                Path file = folder.resolve(name);
                if (!Files.exists(file)) {
                    failures.add(file + ": no such file");
                    continue;
                }
                Optional<String> fileError = dlopen(file.toString());
                if (fileError.isEmpty()) {
                    return new Result(Optional.of(new Found(SymbolLookup.libraryLookup(file, Arena.global()), file.toString())), List.copyOf(failures));
                }
                failures.add(file + ": " + fileError.get());
            }
        }
        return new Result(Optional.empty(), List.copyOf(failures));
    }

    /** Opens the library (it stays loaded) or returns {@code dlerror()}. */
    private static Optional<String> dlopen(String file) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle dlopen = linker.downcallHandle(libc.findOrThrow("dlopen"), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        MethodHandle dlerror = linker.downcallHandle(libc.findOrThrow("dlerror"), FunctionDescriptor.of(ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(file), RTLD_NOW);
            if (!handle.equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            MemorySegment message = (MemorySegment) dlerror.invokeExact();
            return Optional.of(message.equals(MemorySegment.NULL) ? "dlopen failed" : message.reinterpret(4096).getString(0));
        }
        catch (Throwable e) {
            return Optional.of("dlopen could not be called: " + e);
        }
    }
}
