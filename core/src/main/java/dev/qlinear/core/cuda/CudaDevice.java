package dev.qlinear.core.cuda;

import dev.qlinear.core.cuda.blas.Cublas;
import dev.qlinear.core.device.ScratchReservations;
import dev.qlinear.core.device.StreamBuffers;
import dev.qlinear.core.triton.LoadedTritonKernel;
import dev.qlinear.core.triton.TritonLoader;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.type.ScalarType;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * One CUDA device through its primary context, as the {@link Device} kernels use: memory accounted to owners, copies,
 * streams, events, graphs, kernel images, per-stream workspaces and cuBLAS. Thread-safe: every call makes the context
 * current on the calling thread first, so any thread may use the device. Get one with {@link Cuda#open(int)}.
 *
 * <p>Copies between host and device: a host-to-device copy returns once the host bytes have been read (the driver
 * stages pageable memory before returning), a device-to-host copy returns once the bytes are in host memory (it waits
 * for the stream), so host memory may be reused or read right after either call. Device-to-device copies and fills are
 * asynchronous on the stream. Copies to or from host memory cannot be captured into a graph.
 */
public final class CudaDevice implements Device, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CudaDevice.class);
    /** Host copies go through {@link java.nio.ByteBuffer}s, whose size is an int. */
    private static final long COPY_CHUNK_BYTES = 1L << 30;

    private final CudaDeviceInfo info;
    private final Platform platform;
    private final CUdevice device;
    private final CUcontext context;
    private final CudaStream defaultStream;
    private final int maxSharedBytesPerBlockOptIn;

    private final Object lock = new Object();
    private final Map<Object, List<Allocation>> allocationsByOwner = new IdentityHashMap<>();
    private final Set<CudaStream> streams = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<CudaModule> modules = Collections.newSetFromMap(new IdentityHashMap<>());
    private final ConcurrentMap<TritonImage, LoadedTritonKernel> tritonKernels = new ConcurrentHashMap<>();
    private long ownedBytes;

    private final ScratchReservations reservations = new ScratchReservations();
    private final StreamBuffers.Memory<Allocation> bufferMemory = new StreamBuffers.Memory<>(this::allocateRaw, this::free, this::zero, Allocation::bytes);
    private final StreamBuffers<CudaStream, Allocation> workspaces = new StreamBuffers<>(bufferMemory, "workspace", false);
    private final StreamBuffers<CudaStream, Allocation> blasWorkspaces = new StreamBuffers<>(bufferMemory, "cuBLAS workspace", false);
    private final StreamBuffers<CudaStream, Allocation> counters = new StreamBuffers<>(bufferMemory, "arrival counters", true);
    private volatile Optional<CublasGemm> denseGemm;
    private volatile boolean closed;

    private CudaDevice(CudaDeviceInfo info, CUdevice device, CUcontext context, int maxSharedBytesPerBlockOptIn) {
        this.info = info;
        this.platform = info.platform();
        this.device = device;
        this.context = context;
        this.maxSharedBytesPerBlockOptIn = maxSharedBytesPerBlockOptIn;
        this.defaultStream = new CudaStream(this, new Handles.Stream(), true);
    }

    /** Retains the device's primary context; CUDA must have been initialized ({@link Cuda#availability()}). */
    static CudaDevice open(CudaDeviceInfo info) {
        CUdevice device = new CUdevice();
        check(JCudaDriver.cuDeviceGet(device, info.ordinal()), "cuDeviceGet(" + info.ordinal() + ")");
        CUcontext context = new CUcontext();
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain of device " + info.ordinal());
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent for device " + info.ordinal());
        int[] value = new int[1];
        check(JCudaDriver.cuDeviceGetAttribute(value, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, device),
                "cuDeviceGetAttribute(MAX_SHARED_MEMORY_PER_BLOCK_OPTIN) of device " + info.ordinal());
        return new CudaDevice(info, device, context, value[0]);
    }

    public CudaDeviceInfo info() {
        return info;
    }

    @Override
    public Platform platform() {
        return platform;
    }

    /** The most shared memory one block may use, static and dynamic together, once a kernel raises its limit. */
    public int maxSharedBytesPerBlockOptIn() {
        return maxSharedBytesPerBlockOptIn;
    }

    // ---- memory ----

    /** Allocates uninitialized device memory: poison it with {@link #fill} where a test must not read leftovers. */
    @Override
    public CudaTensor allocate(Object owner, ScalarType dtype, long... shape) {
        requireNonNull(owner, "owner is null");
        requireNonNull(dtype, "dtype is null");
        requireNonNull(shape, "shape is null");
        long bytes = CudaTensor.contiguousBytes(dtype, shape);
        Allocation allocation = allocateRaw(bytes, () -> dtype + Arrays.toString(shape) + " for " + owner);
        synchronized (lock) {
            allocationsByOwner.computeIfAbsent(owner, key -> new ArrayList<>()).add(allocation);
            ownedBytes += allocation.bytes();
        }
        return CudaTensor.contiguous(allocation, dtype, shape);
    }

    /** Frees every allocation of the owner. Work still queued on them must have finished (synchronize first). */
    @Override
    public void release(Object owner) {
        requireNonNull(owner, "owner is null");
        List<Allocation> allocations;
        synchronized (lock) {
            allocations = allocationsByOwner.remove(owner);
            if (allocations == null) {
                return;
            }
            ownedBytes -= allocations.stream().mapToLong(Allocation::bytes).sum();
        }
        allocations.forEach(this::free);
    }

    /** Live device bytes allocated to owners (workspaces not included). */
    public long allocatedBytes() {
        synchronized (lock) {
            return ownedBytes;
        }
    }

    Allocation allocateRaw(long bytes, Supplier<String> purpose) {
        requireOpen();
        Handles.DevicePointer pointer = new Handles.DevicePointer();
        makeCurrent();
        // cuMemAlloc refuses 0 bytes; an empty tensor still gets an address
        int result = JCudaDriver.cuMemAlloc(pointer, Math.max(bytes, 1));
        if (result != CUresult.CUDA_SUCCESS) {
            throw CudaException.driver("cuMemAlloc of " + bytes + " bytes (" + purpose.get() + ") on " + this + ", " + allocatedBytes()
                    + " bytes allocated to owners", result);
        }
        return new Allocation(this, pointer, bytes);
    }

    void free(Allocation allocation) {
        if (allocation.isFreed()) {
            return;
        }
        allocation.markFreed();
        makeCurrent();
        check(JCudaDriver.cuMemFree(allocation.pointer()), () -> "cuMemFree of " + allocation.bytes() + " bytes");
    }

    // ---- copies ----

    @Override
    public void copy(Tensor source, Tensor destination, ExecutionStream stream) {
        requireNonNull(source, "source is null");
        requireNonNull(destination, "destination is null");
        CudaStream cudaStream = requireOwn(requireNonNull(stream, "stream is null"));
        if (!source.dtype().equals(destination.dtype()) || !sameShape(source, destination)) {
            throw new IllegalArgumentException("copy needs the same dtype and shape, got source " + describe(source) + " and destination " + describe(destination));
        }
        requireContiguous("copy", "source", source);
        requireContiguous("copy", "destination", destination);
        long bytes = bytesOf(source);
        if (bytes == 0) {
            return;
        }
        boolean fromHost = source.memory() == MemoryKind.HOST;
        boolean toHost = destination.memory() == MemoryKind.HOST;
        if (fromHost && toHost) {
            MemorySegment.copy(hostBytes(source, "source", bytes), 0, hostBytes(destination, "destination", bytes), 0, bytes);
        }
        else if (fromHost) {
            copyToDevice(hostBytes(source, "source", bytes), requireOwn(destination, "copy destination"), cudaStream);
        }
        else if (toHost) {
            copyToHost(requireOwn(source, "copy source"), hostBytes(destination, "destination", bytes), cudaStream);
        }
        else {
            CudaTensor from = requireOwn(source, "copy source");
            CudaTensor to = requireOwn(destination, "copy destination");
            makeCurrent();
            check(JCudaDriver.cuMemcpyDtoDAsync(pointerOf(to), pointerOf(from), bytes, cudaStream.stream()),
                    () -> "cuMemcpyDtoDAsync of " + bytes + " bytes from " + from + " to " + to + " on " + cudaStream);
        }
    }

    private void copyToDevice(MemorySegment host, CudaTensor destination, CudaStream stream) {
        if (!host.isNative()) {
            // heap memory may move: stage it; the driver has read the staged bytes when the copy call returns
            try (Arena arena = Arena.ofConfined()) {
                copyToDevice(arena.allocate(host.byteSize(), 64).copyFrom(host), destination, stream);
            }
            return;
        }
        makeCurrent();
        for (long offset = 0; offset < host.byteSize(); offset += COPY_CHUNK_BYTES) {
            long chunk = Math.min(COPY_CHUNK_BYTES, host.byteSize() - offset);
            Pointer from = Pointer.to(host.asSlice(offset, chunk).asByteBuffer());
            long at = offset;
            check(JCudaDriver.cuMemcpyHtoDAsync(Handles.devicePointer(destination.address() + offset), from, chunk, stream.stream()),
                    () -> "cuMemcpyHtoDAsync of " + chunk + " bytes at byte " + at + " into " + destination + " on " + stream);
        }
    }

    private void copyToHost(CudaTensor source, MemorySegment host, CudaStream stream) {
        if (!host.isNative()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment staged = arena.allocate(host.byteSize(), 64);
                copyToHost(source, staged, stream);
                host.copyFrom(staged);
            }
            return;
        }
        makeCurrent();
        for (long offset = 0; offset < host.byteSize(); offset += COPY_CHUNK_BYTES) {
            long chunk = Math.min(COPY_CHUNK_BYTES, host.byteSize() - offset);
            Pointer to = Pointer.to(host.asSlice(offset, chunk).asByteBuffer());
            long at = offset;
            check(JCudaDriver.cuMemcpyDtoHAsync(to, Handles.devicePointer(source.address() + offset), chunk, stream.stream()),
                    () -> "cuMemcpyDtoHAsync of " + chunk + " bytes at byte " + at + " from " + source + " on " + stream);
        }
        // pinned host memory would still be written after the call: waiting makes every host destination safe to read
        stream.synchronize();
    }

    /**
     * Sets every element of a contiguous device tensor to the same bits ({@code cuMemsetD8/D16/D32Async}), such as a NaN
     * to poison an output before a kernel writes it. For 4-bit types both nibbles of each byte get the bits.
     *
     * @param elementBits the bits of one element, such as {@code 0x7E00} for a float16 NaN; sign-extended values are accepted
     * @throws IllegalArgumentException when the bits do not fit the element or the element is 8 bytes wide
     */
    public void fill(Tensor tensor, int elementBits, ExecutionStream stream) {
        requireNonNull(tensor, "tensor is null");
        CudaStream cudaStream = requireOwn(requireNonNull(stream, "stream is null"));
        CudaTensor target = requireOwn(tensor, "fill target");
        requireContiguous("fill", "tensor", target);
        ScalarType dtype = target.dtype();
        int width = dtype.sizeBits() < 8 ? dtype.sizeBits() : 8 * dtype.storageBytes();
        if (width > 32) {
            throw new IllegalArgumentException("fill writes elements of at most 4 bytes, not " + dtype + " (" + width / 8 + " bytes)");
        }
        if (width < 32 && (elementBits >= (1 << width) || elementBits < -(1 << (width - 1)))) {
            throw new IllegalArgumentException("fill bits 0x" + Integer.toHexString(elementBits) + " do not fit a " + width + "-bit " + dtype + " element");
        }
        long elements = target.elementCount();
        if (elements == 0) {
            return;
        }
        CUdeviceptr at = pointerOf(target);
        makeCurrent();
        int result = switch (width) {
            case 4 -> JCudaDriver.cuMemsetD8Async(at, (byte) ((elementBits & 0xF) * 0x11), target.byteSize(), cudaStream.stream());
            case 8 -> JCudaDriver.cuMemsetD8Async(at, (byte) elementBits, elements, cudaStream.stream());
            case 16 -> JCudaDriver.cuMemsetD16Async(at, (short) elementBits, elements, cudaStream.stream());
            case 32 -> JCudaDriver.cuMemsetD32Async(at, elementBits, elements, cudaStream.stream());
            default -> throw new IllegalArgumentException("fill writes 4-bit, 1-, 2- or 4-byte elements, not " + width + "-bit " + dtype);
        };
        check(result, () -> "cuMemset (" + width + "-bit) of " + target + " on " + cudaStream);
    }

    // ---- streams, events, graphs ----

    /** The legacy default stream (handle 0). It cannot be captured into a graph; use {@link #newStream()} for that. */
    @Override
    public CudaStream defaultStream() {
        return defaultStream;
    }

    /** A new non-blocking stream; close it to free it and its workspaces. */
    public CudaStream newStream() {
        requireOpen();
        Handles.Stream handle = new Handles.Stream();
        makeCurrent();
        check(JCudaDriver.cuStreamCreate(handle, CUstream_flags.CU_STREAM_NON_BLOCKING), () -> "cuStreamCreate");
        CudaStream stream = new CudaStream(this, handle, false);
        synchronized (lock) {
            streams.add(stream);
        }
        return stream;
    }

    /** Waits for the stream's work, frees its workspaces, destroys it. */
    void closeStream(CudaStream stream) {
        makeCurrent();
        check(JCudaDriver.cuStreamSynchronize(stream.stream()), () -> "cuStreamSynchronize of " + stream + " before closing it");
        workspaces.release(stream);
        blasWorkspaces.release(stream);
        counters.release(stream);
        synchronized (lock) {
            streams.remove(stream);
        }
        denseGemmIfCreated().ifPresent(gemm -> gemm.forget(stream));
        stream.destroy();
    }

    /** A new event with timing enabled. */
    public CudaEvent newEvent() {
        requireOpen();
        CUevent event = new CUevent();
        makeCurrent();
        check(JCudaDriver.cuEventCreate(event, CUevent_flags.CU_EVENT_DEFAULT), () -> "cuEventCreate");
        return new CudaEvent(this, event);
    }

    /**
     * Captures everything {@code work} queues on the stream (thread-local capture mode) into a graph and instantiates
     * it. The stream must come from {@link #newStream()}: the legacy default stream cannot be captured. Work may not
     * allocate, synchronize or copy to or from host memory while captured, so run it once before capturing it: that
     * also allocates the stream's workspaces and the cuBLAS handle.
     *
     * @throws IllegalStateException naming the cause when the work failed; the capture is ended first
     * @throws CudaException when the driver refused the capture, its end or the instantiation
     */
    public CudaGraph capture(CudaStream stream, Runnable work) {
        requireNonNull(stream, "stream is null");
        requireNonNull(work, "work is null");
        requireOwn((ExecutionStream) stream);
        if (stream.isDefault()) {
            throw new IllegalArgumentException("the legacy default stream cannot be captured into a graph; capture a stream from newStream()");
        }
        makeCurrent();
        check(JCudaDriver.cuStreamBeginCapture(stream.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                () -> "cuStreamBeginCapture of " + stream);
        CUgraph graph = new CUgraph();
        try {
            work.run();
        }
        catch (RuntimeException | Error e) {
            makeCurrent();
            int ended = JCudaDriver.cuStreamEndCapture(stream.stream(), graph);
            if (ended == CUresult.CUDA_SUCCESS) {
                JCudaDriver.cuGraphDestroy(graph);
            }
            throw new IllegalStateException("capture of " + stream + " failed and was ended: " + e.getMessage(), e);
        }
        makeCurrent();
        check(JCudaDriver.cuStreamEndCapture(stream.stream(), graph), () -> "cuStreamEndCapture of " + stream
                + " (an invalidated capture means the work called something that cannot be captured: a synchronization, an allocation,"
                + " a copy with host memory, or the legacy default stream)");
        try {
            CUgraphExec executable = new CUgraphExec();
            check(JCudaDriver.cuGraphInstantiate(executable, graph, 0), () -> "cuGraphInstantiate of the graph captured on " + stream);
            return new CudaGraph(this, executable);
        }
        finally {
            JCudaDriver.cuGraphDestroy(graph);
        }
    }

    // ---- kernels ----

    /**
     * Loads a kernel image: a fatbin or cubin (recognized by their magic numbers), otherwise PTX text, which is
     * NUL-terminated here when it is not yet.
     */
    @Override
    public GpuModule loadModule(String name, byte[] image) {
        requireNonNull(name, "name is null");
        requireNonNull(image, "image is null");
        requireOpen();
        ImageKind kind = ImageKind.of(image);
        byte[] data = kind == ImageKind.PTX && (image.length == 0 || image[image.length - 1] != 0) ? Arrays.copyOf(image, image.length + 1) : image;
        CUmodule module = new CUmodule();
        makeCurrent();
        check(JCudaDriver.cuModuleLoadData(module, data), () -> "cuModuleLoadData of " + name + " (" + kind.description() + ", " + image.length
                + " bytes) for " + platform.spec());
        CudaModule loaded = new CudaModule(this, name, module);
        synchronized (lock) {
            modules.add(loaded);
        }
        return loaded;
    }

    /**
     * Loads the image of a Triton variant this device runs best ({@link TritonImages#targetFor}), once per images
     * directory, variant and target: later calls return the kernel loaded first. Its module stays loaded until the
     * device closes.
     */
    @Override
    public TritonKernel loadTriton(TritonImages images, String variant) {
        requireNonNull(images, "images is null");
        requireNonNull(variant, "variant is null");
        requireOpen();
        String target = TritonLoader.target(images, variant, platform);
        return tritonKernels.computeIfAbsent(new TritonImage(images.directory(), variant, target), key -> TritonLoader.load(this, images, variant, target));
    }

    void unloaded(CudaModule module) {
        synchronized (lock) {
            modules.remove(module);
        }
    }

    /** cuBLAS on this device when {@code libcublas} loads ({@link Cublas#availability()} says why not otherwise). */
    @Override
    public Optional<DenseGemm> denseGemm() {
        Optional<CublasGemm> gemm = denseGemm;
        if (gemm == null) {
            synchronized (lock) {
                if (denseGemm == null) {
                    denseGemm = Cublas.availability().library().map(library -> new CublasGemm(this, library, blasWorkspaces));
                }
                gemm = denseGemm;
            }
        }
        return gemm.map(DenseGemm.class::cast);
    }

    private Optional<CublasGemm> denseGemmIfCreated() {
        Optional<CublasGemm> gemm = denseGemm;
        return gemm == null ? Optional.empty() : gemm;
    }

    // ---- workspace ----

    @Override
    public void reserveWorkspace(long bytes) {
        reservations.reserveWorkspace(bytes);
    }

    /** The largest size reserved so far: each stream's workspace has this size once used. */
    public long reservedWorkspaceBytes() {
        return reservations.workspaceBytes();
    }

    /**
     * Scratch memory at the start of the stream's workspace, which is allocated with the reserved size on the stream's
     * first use and re-allocated when the reservation has grown since (waiting for the stream's work first).
     */
    @Override
    public CudaTensor workspace(ExecutionStream stream, ScalarType dtype, long... shape) {
        CudaStream cudaStream = requireOwn(requireNonNull(stream, "stream is null"));
        long reserved = reservations.workspaceFor(dtype, shape, CudaTensor.contiguousBytes(dtype, shape));
        return workspaces.atLeast(cudaStream, reserved).leadingView(dtype, shape);
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
    public CudaTensor counters(ExecutionStream stream, int count) {
        CudaStream cudaStream = requireOwn(requireNonNull(stream, "stream is null"));
        int reserved = reservations.countersFor(count);
        return counters.atLeast(cudaStream, 4L * reserved).leadingView(ScalarType.INT32, new long[] {count});
    }

    /** Zeroes an allocation, waiting for it: for buffers made outside any stream's work. */
    void zero(Allocation allocation) {
        makeCurrent();
        check(JCudaDriver.cuMemsetD8(allocation.pointer(), (byte) 0, allocation.bytes()), () -> "cuMemsetD8 zeroing " + allocation.bytes() + " bytes");
    }

    /** Bytes of the stream's kernel workspace, 0 before its first use. */
    public long workspaceBytes(CudaStream stream) {
        return workspaces.bytes(requireNonNull(stream, "stream is null"));
    }

    // ---- lifecycle ----

    /** Blocks until all work queued on the device has finished. */
    public void synchronize() {
        requireOpen();
        makeCurrent();
        check(JCudaDriver.cuCtxSynchronize(), () -> "cuCtxSynchronize");
    }

    /**
     * Waits for all work, then frees everything: cuBLAS, workspaces, streams, kernel images and the allocations owners
     * did not release (logged as leaks), and releases the primary context. {@link Cuda#open} gives a new device after.
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
            setCurrent();
            JCudaDriver.cuCtxSynchronize();
            denseGemmIfCreated().ifPresent(CublasGemm::destroy);
            workspaces.releaseAll();
            blasWorkspaces.releaseAll();
            counters.releaseAll();
            List<CudaStream> open;
            List<CudaModule> loaded;
            Map<Object, List<Allocation>> leaked;
            synchronized (lock) {
                open = List.copyOf(streams);
                loaded = List.copyOf(modules);
                leaked = new IdentityHashMap<>(allocationsByOwner);
                streams.clear();
                modules.clear();
                tritonKernels.clear();
                allocationsByOwner.clear();
                ownedBytes = 0;
            }
            open.forEach(stream -> JCudaDriver.cuStreamDestroy(stream.stream()));
            loaded.forEach(CudaModule::unloadForClose);
            if (!leaked.isEmpty()) {
                LOG.warn("closing {}: freeing {} bytes that {} owners did not release: {}", this,
                        leaked.values().stream().flatMap(List::stream).mapToLong(Allocation::bytes).sum(), leaked.size(), leaked.keySet());
            }
            leaked.values().stream().flatMap(List::stream).forEach(allocation -> {
                allocation.markFreed();
                JCudaDriver.cuMemFree(allocation.pointer());
            });
        }
        finally {
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
            Cuda.closed(this);
        }
    }

    // ---- helpers for the package ----

    /** Makes this device's context current on the calling thread; every driver call needs it. */
    void makeCurrent() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        setCurrent();
    }

    private void setCurrent() {
        int result = JCudaDriver.cuCtxSetCurrent(context);
        if (result != CUresult.CUDA_SUCCESS) {
            throw CudaException.driver("cuCtxSetCurrent for " + this, result);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    void check(int result, Supplier<String> operation) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw CudaException.driver(operation.get() + " on " + this, result);
        }
    }

    private static void check(int result, String operation) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw CudaException.driver(operation, result);
        }
    }

    /** The stream as one of this device's open streams. */
    CudaStream requireOwn(ExecutionStream stream) {
        if (!(stream instanceof CudaStream cudaStream) || cudaStream.device() != this) {
            throw new IllegalArgumentException("expected a stream of " + this + ", got " + stream);
        }
        cudaStream.requireOpen();
        return cudaStream;
    }

    /** The tensor as live memory of this device. */
    CudaTensor requireOwn(Tensor tensor, String role) {
        if (!(tensor instanceof CudaTensor cudaTensor) || cudaTensor.device() != this) {
            throw new IllegalArgumentException(role + " " + describe(tensor) + " is not memory of " + this);
        }
        cudaTensor.allocation().requireLive(role + " " + cudaTensor);
        return cudaTensor;
    }

    private static CUdeviceptr pointerOf(CudaTensor tensor) {
        return Handles.devicePointer(tensor.address());
    }

    private static void requireContiguous(String operation, String role, Tensor tensor) {
        if (!tensor.isContiguous()) {
            throw new IllegalArgumentException(operation + " needs contiguous tensors; the " + role + " " + describe(tensor) + " is strided");
        }
    }

    private static boolean sameShape(Tensor first, Tensor second) {
        if (first.rank() != second.rank()) {
            return false;
        }
        for (int dimension = 0; dimension < first.rank(); dimension++) {
            if (first.size(dimension) != second.size(dimension)) {
                return false;
            }
        }
        return true;
    }

    private static long[] shapeOf(Tensor tensor) {
        long[] shape = new long[tensor.rank()];
        for (int dimension = 0; dimension < shape.length; dimension++) {
            shape[dimension] = tensor.size(dimension);
        }
        return shape;
    }

    private static long bytesOf(Tensor tensor) {
        return CudaTensor.contiguousBytes(tensor.dtype(), shapeOf(tensor));
    }

    private static MemorySegment hostBytes(Tensor tensor, String role, long bytes) {
        MemorySegment segment = tensor.hostSegment()
                .orElseThrow(() -> new IllegalArgumentException("the " + role + " " + describe(tensor) + " is host memory without a segment"));
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException("the " + role + " " + describe(tensor) + " needs " + bytes + " bytes, its segment has " + segment.byteSize());
        }
        return segment.asSlice(0, bytes);
    }

    static String describe(Tensor tensor) {
        String memory = tensor instanceof CudaTensor cuda ? "on cuda:" + cuda.device().info().ordinal() : tensor.memory().name().toLowerCase(java.util.Locale.ROOT);
        return tensor.dtype() + Arrays.toString(shapeOf(tensor)) + " (" + memory + ")";
    }

    @Override
    public String toString() {
        return "cuda:" + info.ordinal() + " (" + info.name() + ", " + platform.spec() + ")";
    }

    /** A loaded Triton image: where its plugin keeps its images, and which of them. */
    private record TritonImage(String directory, String variant, String target) {
    }

    /** What a kernel image is, by its first bytes. */
    private enum ImageKind {
        CUBIN("cubin"), FATBIN("fatbin"), PTX("PTX text");

        private final String description;

        ImageKind(String description) {
            this.description = description;
        }

        String description() {
            return description;
        }

        static ImageKind of(byte[] image) {
            if (image.length >= 4 && image[0] == 0x7F && image[1] == 'E' && image[2] == 'L' && image[3] == 'F') {
                return CUBIN;
            }
            // 0xBA55ED50, little-endian
            if (image.length >= 4 && (image[0] & 0xFF) == 0x50 && (image[1] & 0xFF) == 0xED && (image[2] & 0xFF) == 0x55 && (image[3] & 0xFF) == 0xBA) {
                return FATBIN;
            }
            return PTX;
        }
    }
}
