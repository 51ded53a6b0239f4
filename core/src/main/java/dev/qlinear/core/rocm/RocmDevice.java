package dev.qlinear.core.rocm;

import dev.qlinear.core.device.ScratchReservations;
import dev.qlinear.core.device.StreamBuffers;
import dev.qlinear.core.rocm.hip.HipException;
import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.core.triton.LoadedTritonKernel;
import dev.qlinear.core.triton.TritonLoader;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.HostLibrary;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.type.ScalarType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.util.Objects.requireNonNull;

/**
 * One AMD GPU through the HIP runtime, as the {@link Device} kernels use: memory accounted to owners, copies, streams,
 * code objects, per-stream workspaces and arrival counters, and host libraries whose entry points queue work on its
 * streams. Thread-safe: every call makes the device current on the calling thread first. Get one with
 * {@link Rocm#open(int)}.
 *
 * <p>Copies to or from host memory return once the copy has finished (they wait for the stream), so host memory may
 * be reused or read right after the call; device-to-device copies are asynchronous on the stream.
 */
public final class RocmDevice implements Device, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RocmDevice.class);

    private final RocmDeviceInfo info;
    private final Platform platform;
    private final RocmStream defaultStream;

    private final Object lock = new Object();
    private final Map<Object, List<RocmAllocation>> allocationsByOwner = new IdentityHashMap<>();
    private final Set<RocmStream> streams = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<RocmModule> modules = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<HipHostLibrary> hostLibraries = new ArrayList<>();
    private final ConcurrentMap<TritonImage, LoadedTritonKernel> tritonKernels = new ConcurrentHashMap<>();
    private long ownedBytes;

    private final ScratchReservations reservations = new ScratchReservations();
    private final StreamBuffers.Memory<RocmAllocation> bufferMemory = new StreamBuffers.Memory<>(this::allocateRaw, this::free, this::zero, RocmAllocation::bytes);
    private final StreamBuffers<RocmStream, RocmAllocation> workspaces = new StreamBuffers<>(bufferMemory, "workspace", false);
    private final StreamBuffers<RocmStream, RocmAllocation> counters = new StreamBuffers<>(bufferMemory, "arrival counters", true);
    private volatile boolean closed;

    RocmDevice(RocmDeviceInfo info) {
        this.info = requireNonNull(info, "info is null");
        this.platform = info.platform();
        this.defaultStream = new RocmStream(this, 0);
    }

    public RocmDeviceInfo info() {
        return info;
    }

    @Override
    public Platform platform() {
        return platform;
    }

    /** {@code rocm:<ordinal>}, as errors name the device. */
    String name() {
        return "rocm:" + info.ordinal();
    }

    // ---- memory ----

    /** Allocates uninitialized device memory. */
    @Override
    public RocmTensor allocate(Object owner, ScalarType dtype, long... shape) {
        requireNonNull(owner, "owner is null");
        requireNonNull(dtype, "dtype is null");
        requireNonNull(shape, "shape is null");
        long bytes = RocmTensor.contiguousBytes(dtype, shape);
        RocmAllocation allocation = allocateRaw(bytes, () -> dtype + Arrays.toString(shape) + " for " + owner);
        synchronized (lock) {
            allocationsByOwner.computeIfAbsent(owner, key -> new ArrayList<>()).add(allocation);
            ownedBytes += allocation.bytes();
        }
        return new RocmTensor(allocation, dtype, shape);
    }

    /** Frees every allocation of the owner. Work still queued on them must have finished (synchronize first). */
    @Override
    public void release(Object owner) {
        requireNonNull(owner, "owner is null");
        List<RocmAllocation> allocations;
        synchronized (lock) {
            allocations = allocationsByOwner.remove(owner);
            if (allocations == null) {
                return;
            }
            ownedBytes -= allocations.stream().mapToLong(RocmAllocation::bytes).sum();
        }
        allocations.forEach(this::free);
    }

    /** Live device bytes allocated to owners (workspaces not included). */
    public long allocatedBytes() {
        synchronized (lock) {
            return ownedBytes;
        }
    }

    RocmAllocation allocateRaw(long bytes, Supplier<String> purpose) {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pointer = arena.allocate(JAVA_LONG);
            // an empty tensor still gets an address
            int result = HipRuntimeApi.hipMalloc(pointer, Math.max(bytes, 1));
            if (result != HipRuntimeApi.hipSuccess) {
                throw HipException.of("hipMalloc of " + bytes + " bytes (" + purpose.get() + ") on " + this + ", " + allocatedBytes()
                        + " bytes allocated to owners" + memoryInfo(result), result);
            }
            return new RocmAllocation(this, pointer.get(JAVA_LONG, 0), bytes);
        }
    }

    /** What the device has left, for an out-of-memory error. */
    private static String memoryInfo(int result) {
        if (result != HipRuntimeApi.hipErrorOutOfMemory) {
            return "";
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(JAVA_LONG);
            MemorySegment total = arena.allocate(JAVA_LONG);
            return HipRuntimeApi.hipMemGetInfo(free, total) == HipRuntimeApi.hipSuccess
                    ? ", " + free.get(JAVA_LONG, 0) + " of " + total.get(JAVA_LONG, 0) + " bytes free" : "";
        }
    }

    void free(RocmAllocation allocation) {
        if (allocation.isFreed()) {
            return;
        }
        allocation.markFreed();
        makeCurrent();
        check(HipRuntimeApi.hipFree(allocation.address()), () -> "hipFree of " + allocation.bytes() + " bytes");
    }

    /** Zeroes an allocation, waiting for it: for buffers made outside any stream's work. */
    void zero(RocmAllocation allocation) {
        makeCurrent();
        check(HipRuntimeApi.hipMemsetAsync(allocation.address(), 0, allocation.bytes(), 0), () -> "hipMemsetAsync zeroing " + allocation.bytes() + " bytes");
        check(HipRuntimeApi.hipStreamSynchronize(0), () -> "hipStreamSynchronize after zeroing " + allocation.bytes() + " bytes");
    }

    // ---- copies ----

    @Override
    public void copy(Tensor source, Tensor destination, ExecutionStream stream) {
        requireNonNull(source, "source is null");
        requireNonNull(destination, "destination is null");
        RocmStream rocmStream = requireOwn(requireNonNull(stream, "stream is null"));
        if (!source.dtype().equals(destination.dtype()) || !Arrays.equals(source.shape(), destination.shape())) {
            throw new IllegalArgumentException("copy needs the same dtype and shape, got source " + describe(source) + " and destination " + describe(destination));
        }
        requireContiguous("source", source);
        requireContiguous("destination", destination);
        long bytes = RocmTensor.contiguousBytes(source.dtype(), source.shape());
        if (bytes == 0) {
            return;
        }
        boolean fromHost = source.memory() == MemoryKind.HOST;
        boolean toHost = destination.memory() == MemoryKind.HOST;
        if (fromHost && toHost) {
            MemorySegment.copy(hostBytes(source, "source", bytes), 0, hostBytes(destination, "destination", bytes), 0, bytes);
            return;
        }
        if (!fromHost && !toHost) {
            RocmTensor from = requireOwn(source, "copy source");
            RocmTensor to = requireOwn(destination, "copy destination");
            makeCurrent();
            check(HipRuntimeApi.hipMemcpyAsync(to.address(), from.address(), bytes, HipRuntimeApi.hipMemcpyDeviceToDevice, rocmStream.handle()),
                    () -> "hipMemcpyAsync of " + bytes + " bytes from " + from + " to " + to + " on " + rocmStream);
            return;
        }
        MemorySegment host = hostBytes(fromHost ? source : destination, fromHost ? "source" : "destination", bytes);
        RocmTensor device = requireOwn(fromHost ? destination : source, fromHost ? "copy destination" : "copy source");
        try (Arena arena = Arena.ofConfined()) {
            // heap memory may move while HIP reads it: stage it in native memory
            MemorySegment staged = host.isNative() ? host : arena.allocate(bytes, 64);
            if (fromHost && staged != host) {
                staged.copyFrom(host);
            }
            makeCurrent();
            int kind = fromHost ? HipRuntimeApi.hipMemcpyHostToDevice : HipRuntimeApi.hipMemcpyDeviceToHost;
            long to = fromHost ? device.address() : staged.address();
            long from = fromHost ? staged.address() : device.address();
            check(HipRuntimeApi.hipMemcpyAsync(to, from, bytes, kind, rocmStream.handle()),
                    () -> "hipMemcpyAsync of " + bytes + " bytes " + (fromHost ? "into " : "from ") + device + " on " + rocmStream);
            // the host memory is read or written after the call returns: waiting makes it safe to reuse or read
            rocmStream.synchronize();
            if (!fromHost && staged != host) {
                host.copyFrom(staged);
            }
        }
    }

    // ---- streams ----

    /** The null stream (handle 0), which synchronizes with the device's blocking streams. */
    @Override
    public RocmStream defaultStream() {
        return defaultStream;
    }

    /** A new non-blocking stream; close it to free it and its workspaces. */
    public RocmStream newStream() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(JAVA_LONG);
            check(HipRuntimeApi.hipStreamCreateWithFlags(handle, HipRuntimeApi.hipStreamNonBlocking), () -> "hipStreamCreateWithFlags(hipStreamNonBlocking)");
            RocmStream stream = new RocmStream(this, handle.get(JAVA_LONG, 0));
            synchronized (lock) {
                streams.add(stream);
            }
            return stream;
        }
    }

    /** A new event with timing; close it to destroy it. */
    public RocmEvent newEvent() {
        makeCurrent();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment handle = arena.allocate(JAVA_LONG);
            check(HipRuntimeApi.hipEventCreate(handle), () -> "hipEventCreate");
            return new RocmEvent(this, handle.get(JAVA_LONG, 0));
        }
    }

    /** Waits for the stream's work, frees its buffers, destroys it. */
    void closeStream(RocmStream stream) {
        makeCurrent();
        check(HipRuntimeApi.hipStreamSynchronize(stream.handle()), () -> "hipStreamSynchronize of " + stream + " before closing it");
        workspaces.release(stream);
        counters.release(stream);
        synchronized (lock) {
            streams.remove(stream);
        }
        check(HipRuntimeApi.hipStreamDestroy(stream.handle()), () -> "hipStreamDestroy of " + stream);
    }

    // ---- code objects and host libraries ----

    /** Loads a code object ({@code .hsaco}) for this device's target. */
    @Override
    public GpuModule loadModule(String name, byte[] image) {
        requireNonNull(name, "name is null");
        requireNonNull(image, "image is null");
        makeCurrent();
        RocmModule module = RocmModule.load(this, name, image);
        synchronized (lock) {
            modules.add(module);
        }
        return module;
    }

    void unloaded(RocmModule module) {
        synchronized (lock) {
            modules.remove(module);
        }
    }

    /** Loads a library of host entry points; they get the {@code hipStream_t} of this device's streams. */
    @Override
    public HostLibrary loadHostLibrary(Path library) {
        requireNonNull(library, "library is null");
        requireOpen();
        // the callee launches on the calling thread's current device, which must be this one
        HipHostLibrary loaded = HipHostLibrary.load(library, stream -> {
            makeCurrent();
            return requireOwn(stream).handle();
        });
        synchronized (lock) {
            hostLibraries.add(loaded);
        }
        return loaded;
    }

    /** Loads a Triton variant's code object for this device's gfx target (cached for the device's lifetime). */
    @Override
    public TritonKernel loadTriton(TritonImages images, String variant) {
        requireNonNull(images, "images is null");
        requireNonNull(variant, "variant is null");
        requireOpen();
        String target = TritonLoader.target(images, variant, platform);
        return tritonKernels.computeIfAbsent(new TritonImage(images.directory(), variant, target), key -> TritonLoader.load(this, images, variant, target));
    }

    private record TritonImage(String directory, String variant, String target) {
    }

    // ---- workspaces and counters ----

    @Override
    public void reserveWorkspace(long bytes) {
        reservations.reserveWorkspace(bytes);
    }

    /**
     * Scratch memory at the start of the stream's workspace, which is allocated with the reserved size on the stream's
     * first use and re-allocated when the reservation has grown since (waiting for the stream's work first).
     */
    @Override
    public RocmTensor workspace(ExecutionStream stream, ScalarType dtype, long... shape) {
        RocmStream rocmStream = requireOwn(requireNonNull(stream, "stream is null"));
        long reserved = reservations.workspaceFor(dtype, shape, RocmTensor.contiguousBytes(dtype, shape));
        return workspaces.atLeast(rocmStream, reserved).leadingView(dtype, shape);
    }

    @Override
    public void reserveCounters(int count) {
        reservations.reserveCounters(count);
    }

    /**
     * The stream's arrival counters, allocated zeroed with the reserved count on the stream's first use and re-allocated
     * (zeroed) when the reservation has grown since.
     */
    @Override
    public RocmTensor counters(ExecutionStream stream, int count) {
        RocmStream rocmStream = requireOwn(requireNonNull(stream, "stream is null"));
        int reserved = reservations.countersFor(count);
        return counters.atLeast(rocmStream, 4L * reserved).leadingView(ScalarType.INT32, new long[] {count});
    }

    // ---- lifecycle ----

    /** Blocks until all work queued on the device has finished. */
    public void synchronize() {
        makeCurrent();
        check(HipRuntimeApi.hipDeviceSynchronize(), () -> "hipDeviceSynchronize");
    }

    /**
     * Waits for all work, then frees everything: workspaces, streams, code objects, host libraries and the allocations
     * owners did not release (logged as leaks). {@link Rocm#open} gives a new device after.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            HipRuntimeApi.hipSetDevice(info.ordinal());
            HipRuntimeApi.hipDeviceSynchronize();
            workspaces.releaseAll();
            counters.releaseAll();
            List<RocmStream> open;
            List<RocmModule> loaded;
            List<HipHostLibrary> libraries;
            Map<Object, List<RocmAllocation>> leaked;
            synchronized (lock) {
                open = List.copyOf(streams);
                loaded = List.copyOf(modules);
                libraries = List.copyOf(hostLibraries);
                leaked = new IdentityHashMap<>(allocationsByOwner);
                streams.clear();
                modules.clear();
                tritonKernels.clear();
                hostLibraries.clear();
                allocationsByOwner.clear();
                ownedBytes = 0;
            }
            open.forEach(stream -> HipRuntimeApi.hipStreamDestroy(stream.handle()));
            loaded.forEach(RocmModule::unloadForClose);
            for (HipHostLibrary library : libraries) {
                try {
                    library.close();
                }
                catch (IllegalStateException e) {
                    LOG.warn("closing {}: {} is still being called and stays open: {}", this, library, e.getMessage());
                }
            }
            if (!leaked.isEmpty()) {
                LOG.warn("closing {}: freeing {} bytes that {} owners did not release: {}", this,
                        leaked.values().stream().flatMap(List::stream).mapToLong(RocmAllocation::bytes).sum(), leaked.size(), leaked.keySet());
            }
            leaked.values().stream().flatMap(List::stream).forEach(allocation -> {
                allocation.markFreed();
                HipRuntimeApi.hipFree(allocation.address());
            });
        }
        finally {
            Rocm.closed(this);
        }
    }

    // ---- helpers for the package ----

    /** Makes this device current on the calling thread; HIP's calls act on the current device. */
    void makeCurrent() {
        requireOpen();
        check(HipRuntimeApi.hipSetDevice(info.ordinal()), () -> "hipSetDevice(" + info.ordinal() + ")");
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    void check(int result, Supplier<String> operation) {
        if (result != HipRuntimeApi.hipSuccess) {
            throw HipException.of(operation.get() + " on " + this, result);
        }
    }

    /** The stream as one of this device's open streams. */
    RocmStream requireOwn(ExecutionStream stream) {
        if (!(stream instanceof RocmStream rocmStream) || rocmStream.device() != this) {
            throw new IllegalArgumentException("expected a stream of " + this + ", got " + stream);
        }
        rocmStream.requireOpen();
        return rocmStream;
    }

    /** The tensor as live memory of this device. */
    private RocmTensor requireOwn(Tensor tensor, String role) {
        if (!(tensor instanceof RocmTensor rocmTensor) || rocmTensor.device() != this) {
            throw new IllegalArgumentException(role + " " + describe(tensor) + " is not memory of " + this);
        }
        rocmTensor.allocation().requireLive(role + " " + rocmTensor);
        return rocmTensor;
    }

    private static void requireContiguous(String role, Tensor tensor) {
        if (!tensor.isContiguous()) {
            throw new IllegalArgumentException("copy needs contiguous tensors; the " + role + " " + describe(tensor) + " is strided");
        }
    }

    private static MemorySegment hostBytes(Tensor tensor, String role, long bytes) {
        MemorySegment segment = tensor.hostSegment()
                .orElseThrow(() -> new IllegalArgumentException("the " + role + " " + describe(tensor) + " is host memory without a segment"));
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException("the " + role + " " + describe(tensor) + " needs " + bytes + " bytes, its segment has " + segment.byteSize());
        }
        return segment.asSlice(0, bytes);
    }

    private static String describe(Tensor tensor) {
        String memory = tensor instanceof RocmTensor rocm ? "on " + rocm.device().name() : tensor.memory().name().toLowerCase(java.util.Locale.ROOT);
        return tensor.dtype() + Arrays.toString(tensor.shape()) + " (" + memory + ")";
    }

    @Override
    public String toString() {
        return name() + " (" + info.name() + ", " + platform.spec() + ")";
    }
}
