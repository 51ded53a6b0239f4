package dev.qlinear.spi.device;

/**
 * A native library of host entry points that queue work on the device's streams, such as a C-ABI shim a plugin builds
 * around a vendor's kernel library. The host loads it and makes the calls, so plugins bind no native code themselves.
 * Closing it forgets the library; its functions may no longer be called.
 */
public interface HostLibrary extends AutoCloseable {

    /** The library's file, for errors and diagnostics. */
    String name();

    /**
     * Looks up an entry point of the host calling convention: {@code int32_t symbol(const void* arguments, void* stream)}.
     * {@code arguments} points at the {@link KernelArguments} laid out as a C struct (signature order, each value at an
     * offset aligned to its size); {@code stream} is the native stream (a {@code hipStream_t}). The function returns the
     * runtime's error code, 0 for success.
     *
     * @throws IllegalArgumentException naming the library and the symbol when the library has no such entry point
     */
    HostFunction function(String symbol);

    @Override
    void close();
}
