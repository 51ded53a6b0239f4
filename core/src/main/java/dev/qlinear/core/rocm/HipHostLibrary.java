package dev.qlinear.core.rocm;

import dev.qlinear.core.nativelib.NativeLibraryLoader;
import dev.qlinear.core.rocm.hip.HipException;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.HostFunction;
import dev.qlinear.spi.device.HostLibrary;
import dev.qlinear.spi.device.KernelArguments;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.ToLongFunction;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.util.Objects.requireNonNull;

/**
 * A native library of host entry points of the {@link HostLibrary} convention, {@code int32_t symbol(const void*
 * arguments, void* stream)}: the arguments go in as a C struct ({@link HostCallArguments}), the stream as its native
 * handle, and a non-zero return is a {@code hipError_t}, thrown as a {@link HipException}. Loading and calling need no
 * GPU; what the entry points queue does. Closing it makes its functions refuse calls; the library itself stays loaded.
 */
@SuppressWarnings("restricted") // calling a plugin's native library is this class's job; the JVM runs with --enable-native-access
public final class HipHostLibrary implements HostLibrary {

    /** {@code int32_t symbol(const void* arguments, void* stream)}; the stream is passed as a 64-bit integer, as the C conventions pass a pointer. */
    private static final FunctionDescriptor ENTRY_POINT = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG);

    private final Path file;
    private final Arena arena;
    private final SymbolLookup symbols;
    private final ToLongFunction<ExecutionStream> nativeStream;
    private final ConcurrentMap<String, Entry> functions = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private HipHostLibrary(Path file, Arena arena, SymbolLookup symbols, ToLongFunction<ExecutionStream> nativeStream) {
        this.file = file;
        this.arena = arena;
        this.symbols = symbols;
        this.nativeStream = nativeStream;
    }

    /**
     * Loads the library.
     *
     * @param nativeStream the {@code hipStream_t} of a stream; throws {@link IllegalArgumentException} for a stream of another device
     * @throws IllegalArgumentException naming the file and the loader's error when it does not load
     */
    public static HipHostLibrary load(Path file, ToLongFunction<ExecutionStream> nativeStream) {
        requireNonNull(file, "file is null");
        requireNonNull(nativeStream, "nativeStream is null");
        Arena arena = Arena.ofShared();
        try {
            return new HipHostLibrary(file, arena, NativeLibraryLoader.open(file, arena), nativeStream);
        }
        catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return file.toString();
    }

    @Override
    public HostFunction function(String symbol) {
        requireNonNull(symbol, "symbol is null");
        requireOpen();
        return functions.computeIfAbsent(symbol, this::lookUp);
    }

    private Entry lookUp(String symbol) {
        MemorySegment address = symbols.find(symbol)
                .orElseThrow(() -> new IllegalArgumentException("the host library " + file + " has no entry point '" + symbol + "'"));
        return new Entry(symbol, Linker.nativeLinker().downcallHandle(address, ENTRY_POINT));
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the host library " + file + " was closed");
        }
    }

    /**
     * @throws IllegalStateException while one of its functions is being called; the library stays open then
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        arena.close();
        closed = true;
    }

    @Override
    public String toString() {
        return "host library " + file;
    }

    /** One entry point. */
    private final class Entry implements HostFunction {

        private final String symbol;
        private final MethodHandle handle;

        Entry(String symbol, MethodHandle handle) {
            this.symbol = symbol;
            this.handle = handle;
        }

        @Override
        public String name() {
            return symbol;
        }

        @Override
        public void call(KernelArguments arguments, ExecutionStream stream) {
            requireNonNull(arguments, "arguments is null");
            requireNonNull(stream, "stream is null");
            requireOpen();
            long streamHandle = nativeStream.applyAsLong(stream);
            MemorySegment struct = HostCallArguments.pack(arguments, this);
            int result;
            try {
                result = (int) handle.invokeExact(struct, streamHandle);
            }
            catch (RuntimeException | Error e) {
                throw e;
            }
            catch (Throwable e) {
                throw new IllegalStateException("the downcall to " + this + " threw " + e, e);
            }
            if (result != 0) {
                throw HipException.of(this + " on " + stream, result);
            }
        }

        @Override
        public String toString() {
            return symbol + " of " + file;
        }
    }
}
