package dev.qlinear.core.rocm;

import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.spi.device.GpuModule;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.util.Objects.requireNonNull;

/**
 * A code object loaded with {@code hipModuleLoadData}. The image stays in native memory until the module is unloaded,
 * since HIP may read it after the load call.
 */
final class RocmModule implements GpuModule {

    private final RocmDevice device;
    private final String name;
    private final long module;
    private final Arena imageArena;
    private final ConcurrentMap<String, RocmFunction> functions = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private RocmModule(RocmDevice device, String name, long module, Arena imageArena) {
        this.device = device;
        this.name = name;
        this.module = module;
        this.imageArena = imageArena;
    }

    /** Loads the code object on the device; the device must be current. */
    static RocmModule load(RocmDevice device, String name, byte[] image) {
        Arena imageArena = Arena.ofShared();
        try {
            MemorySegment data = imageArena.allocate(image.length + 1L, 16).fill((byte) 0);
            MemorySegment.copy(MemorySegment.ofArray(image), 0, data, 0, image.length);
            MemorySegment handle = imageArena.allocate(JAVA_LONG);
            device.check(HipRuntimeApi.hipModuleLoadData(handle, data), () -> "hipModuleLoadData of " + name + " (" + image.length + " bytes) for "
                    + device.platform().spec());
            return new RocmModule(device, name, handle.get(JAVA_LONG, 0), imageArena);
        }
        catch (RuntimeException e) {
            imageArena.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return name;
    }

    RocmDevice device() {
        return device;
    }

    @Override
    public RocmFunction function(String functionName) {
        requireNonNull(functionName, "functionName is null");
        requireOpen();
        return functions.computeIfAbsent(functionName, this::lookUp);
    }

    private RocmFunction lookUp(String functionName) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(JAVA_LONG);
            device.makeCurrent();
            int result = HipRuntimeApi.hipModuleGetFunction(handle, module, arena.allocateFrom(functionName));
            if (result == HipRuntimeApi.hipErrorNotFound) {
                throw new IllegalArgumentException("kernel image " + name + " has no entry point '" + functionName + "' (names are the mangled ones; "
                        + "declare kernels extern \"C\" to keep them plain)");
            }
            device.check(result, () -> "hipModuleGetFunction '" + functionName + "' in " + name);
            return new RocmFunction(this, functionName, handle.get(JAVA_LONG, 0));
        }
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException("kernel image " + name + " was unloaded");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        device.unloaded(this);
        device.makeCurrent();
        int result = release();
        device.check(result, () -> "hipModuleUnload of " + name);
    }

    /** Unloads without the device's bookkeeping and checks, when the device closes. */
    void unloadForClose() {
        if (!closed) {
            release();
        }
    }

    private int release() {
        closed = true;
        try {
            return HipRuntimeApi.hipModuleUnload(module);
        }
        finally {
            imageArena.close();
        }
    }

    @Override
    public String toString() {
        return name + " on " + device.name();
    }
}
