package dev.qlinear.core.nativelib;

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
import static java.util.Objects.requireNonNull;

/**
 * Finds a shared library by name, then in folders, and says for each candidate why it did not load. The library is
 * opened with {@code dlopen} first because {@link SymbolLookup#libraryLookup} reports only that it failed, while
 * {@code dlerror} says why (such as a missing {@code libcublasLt} next to {@code libcublas}).
 *
 * <p>The symbols are then looked up through {@link SymbolLookup#libraryLookup(Path, Arena)} with the file the loader
 * opened, even for a library found by name: the JVM checks that file, and where it asks for an executable stack (as
 * Debian's {@code libamdhip64} does), which makes {@code dlopen} strip the protection of every thread's stack guard
 * pages, it restores them (and warns on stderr). A bare name would hide the file from that check.
 */
@SuppressWarnings("restricted") // binding native code is this class's job; the JVM runs with --enable-native-access
public final class NativeLibraryLoader {

    private static final int RTLD_NOW = 2;
    /** {@code dlinfo} request for the {@code struct link_map} of a handle, whose second field is the file's path. */
    private static final int RTLD_DI_LINKMAP = 2;

    /**
     * A library that loaded, with where it was found.
     *
     * @param symbols the library's symbols, for as long as the process lives
     * @param file the name or path that loaded
     */
    public record Found(SymbolLookup symbols, String file) {
        public Found {
            requireNonNull(symbols, "symbols is null");
            requireNonNull(file, "file is null");
        }
    }

    /**
     * The outcome of a search: the first library that loaded, if any, and why each earlier candidate failed.
     *
     * @param found the library that loaded
     * @param failures one line per failed candidate: the name or path and the loader's error
     */
    public record Result(Optional<Found> found, List<String> failures) {
        public Result {
            requireNonNull(found, "found is null");
            failures = List.copyOf(requireNonNull(failures, "failures is null"));
        }
    }

    private NativeLibraryLoader() {
    }

    /** Tries each name, first as given (the loader's search path), then in each folder; the first that loads wins. */
    public static Result load(List<String> names, List<Path> folders) {
        requireNonNull(names, "names is null");
        requireNonNull(folders, "folders is null");
        List<String> failures = new ArrayList<>();
        for (String name : names) {
            Opened byName = dlopen(name);
            if (byName.error().isEmpty()) {
                SymbolLookup symbols = byName.file().map(file -> SymbolLookup.libraryLookup(file, Arena.global()))
                        .orElseGet(() -> SymbolLookup.libraryLookup(name, Arena.global()));
                return new Result(Optional.of(new Found(symbols, name)), failures);
            }
            failures.add(name + " by name: " + byName.error().get());
            for (Path folder : folders) {
                Path file = folder.resolve(name);
                if (!Files.exists(file)) {
                    failures.add(file + ": no such file");
                    continue;
                }
                Opened inFolder = dlopen(file.toString());
                if (inFolder.error().isEmpty()) {
                    return new Result(Optional.of(new Found(SymbolLookup.libraryLookup(file, Arena.global()), file.toString())), failures);
                }
                failures.add(file + ": " + inFolder.error().get());
            }
        }
        return new Result(Optional.empty(), failures);
    }

    /**
     * Opens one library file; its symbols may be used as long as the arena is open. The library itself stays loaded,
     * as every library this class opens: threads it started may still run its code.
     *
     * @throws IllegalArgumentException naming the file and the loader's error when it does not load
     */
    public static SymbolLookup open(Path file, Arena arena) {
        requireNonNull(file, "file is null");
        requireNonNull(arena, "arena is null");
        Opened opened = dlopen(file.toString());
        if (opened.error().isPresent()) {
            throw new IllegalArgumentException("the library " + file + " does not load: " + opened.error().get());
        }
        return SymbolLookup.libraryLookup(file, arena);
    }

    /**
     * What {@code dlopen} did: the file it opened, where {@code dlinfo} tells, or {@code dlerror()}.
     *
     * @param file the path of the loaded file
     * @param error why it did not load
     */
    private record Opened(Optional<Path> file, Optional<String> error) {
    }

    /** Opens the library, which stays loaded. */
    private static Opened dlopen(String file) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle dlopen = linker.downcallHandle(libc.findOrThrow("dlopen"), FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        MethodHandle dlerror = linker.downcallHandle(libc.findOrThrow("dlerror"), FunctionDescriptor.of(ADDRESS));
        MethodHandle dlinfo = linker.downcallHandle(libc.findOrThrow("dlinfo"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) dlopen.invokeExact(arena.allocateFrom(file), RTLD_NOW);
            if (handle.equals(MemorySegment.NULL)) {
                MemorySegment message = (MemorySegment) dlerror.invokeExact();
                return new Opened(Optional.empty(), Optional.of(message.equals(MemorySegment.NULL) ? "dlopen failed" : message.reinterpret(4096).getString(0)));
            }
            MemorySegment linkMap = arena.allocate(ADDRESS);
            if ((int) dlinfo.invokeExact(handle, RTLD_DI_LINKMAP, linkMap) != 0) {
                return new Opened(Optional.empty(), Optional.empty());
            }
            MemorySegment name = linkMap.get(ADDRESS, 0).reinterpret(2 * ADDRESS.byteSize()).get(ADDRESS, ADDRESS.byteSize());
            String path = name.equals(MemorySegment.NULL) ? "" : name.reinterpret(4096).getString(0);
            return new Opened(path.isEmpty() ? Optional.empty() : Optional.of(Path.of(path)), Optional.empty());
        }
        catch (Throwable e) {
            return new Opened(Optional.empty(), Optional.of("dlopen could not be called: " + e));
        }
    }
}
