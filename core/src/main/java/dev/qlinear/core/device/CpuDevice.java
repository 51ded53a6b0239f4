package dev.qlinear.core.device;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The host CPU as a {@link Device}: tensors in off-heap memory, one shared arena per owner so {@link #release} frees
 * everything an owner allocated, copies as memory copies, and a stream that runs work on the calling thread.
 * Thread-safe.
 */
public final class CpuDevice implements Device {

    private static final ExecutionStream CALLING_THREAD = () -> {
    };

    private final Platform platform;
    private final Map<Object, Arena> arenas = new IdentityHashMap<>();
    private final ScratchReservations reservations = new ScratchReservations();
    private final ThreadLocal<MemorySegment> workspaces = ThreadLocal.withInitial(() -> MemorySegment.NULL);
    private final ThreadLocal<MemorySegment> threadCounters = ThreadLocal.withInitial(() -> MemorySegment.NULL);

    public CpuDevice(Platform platform) {
        this.platform = requireNonNull(platform, "platform is null");
    }

    @Override
    public Platform platform() {
        return platform;
    }

    @Override
    public HostTensor allocate(Object owner, ScalarType dtype, long... shape) {
        requireNonNull(owner, "owner is null");
        Arena arena;
        synchronized (arenas) {
            arena = arenas.computeIfAbsent(owner, key -> Arena.ofShared());
        }
        return HostTensor.allocate(arena, dtype, shape);
    }

    @Override
    public void release(Object owner) {
        Arena arena;
        synchronized (arenas) {
            arena = arenas.remove(owner);
        }
        if (arena != null) {
            arena.close();
        }
    }

    @Override
    public void copy(Tensor source, Tensor destination, ExecutionStream stream) {
        if (source.memory() != MemoryKind.HOST || destination.memory() != MemoryKind.HOST) {
            throw new IllegalArgumentException("the CPU device copies host tensors only");
        }
        if (!source.dtype().equals(destination.dtype()) || source.elementCount() != destination.elementCount()) {
            throw new IllegalArgumentException("copy needs equal dtype and size, got " + source + " and " + destination);
        }
        if (!source.isContiguous() || !destination.isContiguous()) {
            throw new IllegalArgumentException("the CPU device copies contiguous tensors; make a strided tensor contiguous first");
        }
        MemorySegment from = source.hostSegment().orElseThrow();
        MemorySegment to = destination.hostSegment().orElseThrow();
        MemorySegment.copy(from, 0, to, 0, source.elementCount() * source.dtype().storageBytes());
    }

    @Override
    public ExecutionStream defaultStream() {
        return CALLING_THREAD;
    }

    @Override
    public GpuModule loadModule(String name, byte[] image) {
        throw new UnsupportedOperationException("the CPU runs no GPU kernel images (asked to load " + name + ")");
    }

    @Override
    public void reserveWorkspace(long bytes) {
        reservations.reserveWorkspace(bytes);
    }

    /** The calling thread is the stream, so each thread has its own workspace, made on its first use. */
    @Override
    public HostTensor workspace(ExecutionStream stream, ScalarType dtype, long... shape) {
        requireNonNull(stream, "stream is null");
        long bytes = HostTensor.contiguousBytes(dtype, shape);
        long reserved = reservations.workspaceFor(dtype, shape, bytes);
        MemorySegment workspace = workspaces.get();
        if (workspace.byteSize() < reserved) {
            workspace = Arena.ofAuto().allocate(reserved, 64);
            workspaces.set(workspace);
        }
        return HostTensor.wrap(workspace.asSlice(0, bytes), dtype, shape);
    }

    @Override
    public void reserveCounters(int count) {
        reservations.reserveCounters(count);
    }

    /** Per thread, like the workspace: zeroed when made, and kept at zero by whoever counts in them. */
    @Override
    public HostTensor counters(ExecutionStream stream, int count) {
        requireNonNull(stream, "stream is null");
        int reserved = reservations.countersFor(count);
        MemorySegment counters = threadCounters.get();
        if (counters.byteSize() < 4L * reserved) {
            counters = Arena.ofAuto().allocate(4L * reserved, 64);
            threadCounters.set(counters);
        }
        return HostTensor.wrap(counters.asSlice(0, 4L * count), ScalarType.INT32, count);
    }
}
