package dev.qlinear.core.rocm.hip;

import dev.qlinear.core.nativelib.NativeLibraryLoader;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.util.Objects.requireNonNull;

/**
 * The part of {@code hip_runtime_api.h} qlinear calls, bound through FFM in {@code libamdhip64} in the shape jextract
 * generates: the C constants as {@code int}s, one downcall handle and one static method per C function, named as in C,
 * and the layout of {@link hipDeviceProp_t}. Handles, streams, modules, functions and device pointers are passed as
 * 64-bit integers (the C conventions of x86-64 and AArch64 pass them as pointers), out-parameters as segments. Where the
 * library is missing, every function throws {@link IllegalStateException} with {@link #library()}'s reason.
 *
 * <p>{@code hipGetDeviceProperties} and ROCm 6: ROCm 6 changed {@code hipDeviceProp_t}; its headers reach the new
 * layout ({@code hipDeviceProp_tR0600}) through a macro that renames the call to {@code hipGetDevicePropertiesR0600}.
 * The library still exports the unversioned {@code hipGetDeviceProperties}, which fills the legacy {@code R0000}
 * layout: the layout of HIP 5's headers (Debian's HIP 5.2, {@code gcnArchName} at byte 396). That symbol is bound here
 * with that layout, and the call gets a buffer of {@value hipDeviceProp_t#BUFFER_BYTES} bytes, more than any layout
 * has, so a mismatch cannot write past it.
 */
@SuppressWarnings("restricted") // binding native code is this class's job; the JVM runs with --enable-native-access
public final class HipRuntimeApi {

    // hipError_t
    public static final int hipSuccess = 0;
    public static final int hipErrorInvalidValue = 1;
    public static final int hipErrorOutOfMemory = 2;
    public static final int hipErrorNoDevice = 100;
    public static final int hipErrorInvalidDevice = 101;
    public static final int hipErrorNotFound = 500;
    // hipMemcpyKind
    public static final int hipMemcpyHostToDevice = 1;
    public static final int hipMemcpyDeviceToHost = 2;
    public static final int hipMemcpyDeviceToDevice = 3;
    // flags of hipStreamCreateWithFlags
    public static final int hipStreamNonBlocking = 1;

    /** Library names tried in order: the development link, then the sonames of ROCm 7, 6 and 5 (Debian's HIP 5.2). */
    public static final List<String> LIBRARY_NAMES = List.of("libamdhip64.so", "libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5");

    private HipRuntimeApi() {
    }

    /**
     * Every C function this class binds: its declaration in the header and the signature of its downcall handle. The
     * table the handles are made from, and the one the tests check against Debian's header and library.
     */
    public enum Symbol {
        hipInit("hipError_t hipInit(unsigned int flags)", JAVA_INT, JAVA_INT),
        hipGetDeviceCount("hipError_t hipGetDeviceCount(int* count)", JAVA_INT, ADDRESS),
        /** The unversioned symbol, which fills the {@code R0000} layout (see the class). */
        hipGetDeviceProperties("hipError_t hipGetDeviceProperties(hipDeviceProp_t* prop, int deviceId)", JAVA_INT, ADDRESS, JAVA_INT),
        hipRuntimeGetVersion("hipError_t hipRuntimeGetVersion(int* runtimeVersion)", JAVA_INT, ADDRESS),
        hipSetDevice("hipError_t hipSetDevice(int deviceId)", JAVA_INT, JAVA_INT),
        hipGetErrorName("const char* hipGetErrorName(hipError_t hip_error)", ADDRESS, JAVA_INT),
        hipGetErrorString("const char* hipGetErrorString(hipError_t hipError)", ADDRESS, JAVA_INT),
        hipMalloc("hipError_t hipMalloc(void** ptr, size_t size)", JAVA_INT, ADDRESS, JAVA_LONG),
        hipFree("hipError_t hipFree(void* ptr)", JAVA_INT, JAVA_LONG),
        hipMemcpyAsync("hipError_t hipMemcpyAsync(void* dst, const void* src, size_t sizeBytes, hipMemcpyKind kind, hipStream_t stream)",
                JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG),
        hipMemsetAsync("hipError_t hipMemsetAsync(void* dst, int value, size_t sizeBytes, hipStream_t stream)", JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG,
                JAVA_LONG),
        hipMemGetInfo("hipError_t hipMemGetInfo(size_t* free, size_t* total)", JAVA_INT, ADDRESS, ADDRESS),
        hipStreamCreateWithFlags("hipError_t hipStreamCreateWithFlags(hipStream_t* stream, unsigned int flags)", JAVA_INT, ADDRESS, JAVA_INT),
        hipStreamDestroy("hipError_t hipStreamDestroy(hipStream_t stream)", JAVA_INT, JAVA_LONG),
        hipStreamSynchronize("hipError_t hipStreamSynchronize(hipStream_t stream)", JAVA_INT, JAVA_LONG),
        hipEventCreate("hipError_t hipEventCreate(hipEvent_t* event)", JAVA_INT, ADDRESS),
        hipEventRecord("hipError_t hipEventRecord(hipEvent_t event, hipStream_t stream)", JAVA_INT, JAVA_LONG, JAVA_LONG),
        hipEventSynchronize("hipError_t hipEventSynchronize(hipEvent_t event)", JAVA_INT, JAVA_LONG),
        hipEventElapsedTime("hipError_t hipEventElapsedTime(float* ms, hipEvent_t start, hipEvent_t stop)", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG),
        hipEventDestroy("hipError_t hipEventDestroy(hipEvent_t event)", JAVA_INT, JAVA_LONG),
        hipModuleLoadData("hipError_t hipModuleLoadData(hipModule_t* module, const void* image)", JAVA_INT, ADDRESS, ADDRESS),
        hipModuleUnload("hipError_t hipModuleUnload(hipModule_t module)", JAVA_INT, JAVA_LONG),
        hipModuleGetFunction("hipError_t hipModuleGetFunction(hipFunction_t* function, hipModule_t module, const char* kname)", JAVA_INT, ADDRESS,
                JAVA_LONG, ADDRESS),
        hipModuleLaunchKernel("hipError_t hipModuleLaunchKernel(hipFunction_t f, unsigned int gridDimX, unsigned int gridDimY, unsigned int gridDimZ,"
                + " unsigned int blockDimX, unsigned int blockDimY, unsigned int blockDimZ, unsigned int sharedMemBytes, hipStream_t stream,"
                + " void** kernelParams, void** extra)",
                JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS),
        hipDeviceSynchronize("hipError_t hipDeviceSynchronize(void)", JAVA_INT);

        private final String declaration;
        private final FunctionDescriptor descriptor;

        Symbol(String declaration, MemoryLayout result, MemoryLayout... arguments) {
            this.declaration = declaration;
            this.descriptor = FunctionDescriptor.of(result, arguments);
        }

        /** The C declaration, as in {@code hip_runtime_api.h}. */
        public String declaration() {
            return declaration;
        }

        public FunctionDescriptor descriptor() {
            return descriptor;
        }
    }

    /** Whether {@code libamdhip64} loaded, and from where, or why not. */
    public sealed interface Library permits Library.Loaded, Library.Missing {

        /** @param file the name or path that loaded */
        record Loaded(String file) implements Library {
            public Loaded {
                requireNonNull(file, "file is null");
            }
        }

        /** @param reason every place tried and why it failed, or the functions the library lacks */
        record Missing(String reason) implements Library {
            public Missing {
                requireNonNull(reason, "reason is null");
            }
        }
    }

    /** The library the functions of this class call, loaded on first use from {@link #LIBRARY_NAMES} and {@link #defaultFolders()}. */
    public static Library library() {
        return Binding.DEFAULT.library();
    }

    /** {@code $ROCM_PATH/lib} when set, then {@code /opt/rocm/lib}. */
    public static List<Path> defaultFolders() {
        List<Path> folders = new ArrayList<>();
        Optional.ofNullable(System.getenv("ROCM_PATH")).filter(path -> !path.isBlank()).map(path -> Path.of(path, "lib")).ifPresent(folders::add);
        folders.add(Path.of("/opt/rocm/lib"));
        return List.copyOf(folders);
    }

    /**
     * Looks for the library without binding it: the first of the names that loads, by name and then in each folder,
     * and has every {@link Symbol}.
     */
    public static Library find(List<String> names, List<Path> folders) {
        return Binding.find(names, folders).library();
    }

    public static int hipInit(int flags) {
        try {
            return (int) Handles.hipInit.invokeExact(flags);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param count receives an {@code int} */
    public static int hipGetDeviceCount(MemorySegment count) {
        try {
            return (int) Handles.hipGetDeviceCount.invokeExact(count);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param prop at least {@value hipDeviceProp_t#BUFFER_BYTES} bytes, as {@link hipDeviceProp_t#allocate} gives */
    public static int hipGetDeviceProperties(MemorySegment prop, int deviceId) {
        if (prop.byteSize() < hipDeviceProp_t.BUFFER_BYTES) {
            throw new IllegalArgumentException("hipGetDeviceProperties needs a buffer of at least " + hipDeviceProp_t.BUFFER_BYTES + " bytes, got "
                    + prop.byteSize());
        }
        try {
            return (int) Handles.hipGetDeviceProperties.invokeExact(prop, deviceId);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param runtimeVersion receives an {@code int} such as 50221153 (HIP 5.2.21153) */
    public static int hipRuntimeGetVersion(MemorySegment runtimeVersion) {
        try {
            return (int) Handles.hipRuntimeGetVersion.invokeExact(runtimeVersion);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipSetDevice(int deviceId) {
        try {
            return (int) Handles.hipSetDevice.invokeExact(deviceId);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @return a NUL-terminated string of the library, of size 0 until reinterpreted */
    public static MemorySegment hipGetErrorName(int hipError) {
        try {
            return (MemorySegment) Handles.hipGetErrorName.invokeExact(hipError);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @return a NUL-terminated string of the library, of size 0 until reinterpreted */
    public static MemorySegment hipGetErrorString(int hipError) {
        try {
            return (MemorySegment) Handles.hipGetErrorString.invokeExact(hipError);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param ptr receives the device pointer (8 bytes) */
    public static int hipMalloc(MemorySegment ptr, long size) {
        try {
            return (int) Handles.hipMalloc.invokeExact(ptr, size);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipFree(long ptr) {
        try {
            return (int) Handles.hipFree.invokeExact(ptr);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param dst a device pointer or the address of native host memory that stays alive until the copy has finished; likewise {@code src} */
    public static int hipMemcpyAsync(long dst, long src, long sizeBytes, int kind, long stream) {
        try {
            return (int) Handles.hipMemcpyAsync.invokeExact(dst, src, sizeBytes, kind, stream);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipMemsetAsync(long dst, int value, long sizeBytes, long stream) {
        try {
            return (int) Handles.hipMemsetAsync.invokeExact(dst, value, sizeBytes, stream);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param free receives a {@code size_t}; so does {@code total} */
    public static int hipMemGetInfo(MemorySegment free, MemorySegment total) {
        try {
            return (int) Handles.hipMemGetInfo.invokeExact(free, total);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param stream receives the {@code hipStream_t} (8 bytes) */
    public static int hipStreamCreateWithFlags(MemorySegment stream, int flags) {
        try {
            return (int) Handles.hipStreamCreateWithFlags.invokeExact(stream, flags);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipStreamDestroy(long stream) {
        try {
            return (int) Handles.hipStreamDestroy.invokeExact(stream);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipStreamSynchronize(long stream) {
        try {
            return (int) Handles.hipStreamSynchronize.invokeExact(stream);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param event receives the {@code hipEvent_t} (8 bytes) */
    public static int hipEventCreate(MemorySegment event) {
        try {
            return (int) Handles.hipEventCreate.invokeExact(event);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipEventRecord(long event, long stream) {
        try {
            return (int) Handles.hipEventRecord.invokeExact(event, stream);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipEventSynchronize(long event) {
        try {
            return (int) Handles.hipEventSynchronize.invokeExact(event);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param milliseconds receives a {@code float} */
    public static int hipEventElapsedTime(MemorySegment milliseconds, long start, long stop) {
        try {
            return (int) Handles.hipEventElapsedTime.invokeExact(milliseconds, start, stop);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipEventDestroy(long event) {
        try {
            return (int) Handles.hipEventDestroy.invokeExact(event);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param module receives the {@code hipModule_t} (8 bytes); {@code image} is a code object in native memory */
    public static int hipModuleLoadData(MemorySegment module, MemorySegment image) {
        try {
            return (int) Handles.hipModuleLoadData.invokeExact(module, image);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipModuleUnload(long module) {
        try {
            return (int) Handles.hipModuleUnload.invokeExact(module);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param function receives the {@code hipFunction_t} (8 bytes); {@code kname} is a NUL-terminated name */
    public static int hipModuleGetFunction(MemorySegment function, long module, MemorySegment kname) {
        try {
            return (int) Handles.hipModuleGetFunction.invokeExact(function, module, kname);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** @param kernelParams an array of pointers to the argument values; {@code extra} is {@link MemorySegment#NULL} then */
    public static int hipModuleLaunchKernel(long f, int gridDimX, int gridDimY, int gridDimZ, int blockDimX, int blockDimY, int blockDimZ,
            int sharedMemBytes, long stream, MemorySegment kernelParams, MemorySegment extra) {
        try {
            return (int) Handles.hipModuleLaunchKernel.invokeExact(f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes,
                    stream, kernelParams, extra);
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    public static int hipDeviceSynchronize() {
        try {
            return (int) Handles.hipDeviceSynchronize.invokeExact();
        }
        catch (Throwable e) {
            throw rethrown(e);
        }
    }

    /** Reads a C string of at most {@code maxBytes} bytes: up to the first NUL, or all of them; empty for a null pointer. */
    public static String cString(MemorySegment pointer, long maxBytes) {
        if (pointer.equals(MemorySegment.NULL)) {
            return "";
        }
        MemorySegment bytes = pointer.byteSize() >= maxBytes ? pointer.asSlice(0, maxBytes) : pointer.reinterpret(maxBytes);
        int length = 0;
        while (length < maxBytes && bytes.get(JAVA_BYTE, length) != 0) {
            length++;
        }
        return new String(bytes.asSlice(0, length).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }

    private static RuntimeException rethrown(Throwable e) {
        if (e instanceof RuntimeException runtime) {
            return runtime;
        }
        if (e instanceof Error error) {
            throw error;
        }
        return new IllegalStateException("a HIP downcall threw " + e, e);
    }

    /**
     * {@code hipDeviceProp_t} as the unversioned {@code hipGetDeviceProperties} fills it (the layout of HIP 5, {@code R0000}
     * since ROCm 6): the fields qlinear reads, named, and padding for the others.
     */
    public static final class hipDeviceProp_t {

        /** The size of the buffer handed to {@code hipGetDeviceProperties}: larger than every layout of the struct so far. */
        public static final long BUFFER_BYTES = 4096;

        private static final long NAME_BYTES = 256;

        public static final StructLayout LAYOUT = MemoryLayout.structLayout(
                MemoryLayout.sequenceLayout(NAME_BYTES, JAVA_BYTE).withName("name"),
                JAVA_LONG.withName("totalGlobalMem"),
                MemoryLayout.paddingLayout(12), // sharedMemPerBlock, regsPerBlock
                JAVA_INT.withName("warpSize"),
                MemoryLayout.paddingLayout(48), // maxThreadsPerBlock to totalConstMem
                JAVA_INT.withName("major"),
                JAVA_INT.withName("minor"),
                JAVA_INT.withName("multiProcessorCount"),
                JAVA_INT.withName("l2CacheSize"),
                MemoryLayout.paddingLayout(52), // maxThreadsPerMultiProcessor to gcnArch
                MemoryLayout.sequenceLayout(NAME_BYTES, JAVA_BYTE).withName("gcnArchName"),
                MemoryLayout.paddingLayout(140)) // integrated to pageableMemoryAccessUsesHostPageTables
                .withName("hipDeviceProp_t");

        private static final long NAME = offsetOf("name");
        private static final long TOTAL_GLOBAL_MEM = offsetOf("totalGlobalMem");
        private static final long WARP_SIZE = offsetOf("warpSize");
        private static final long MAJOR = offsetOf("major");
        private static final long MINOR = offsetOf("minor");
        private static final long MULTI_PROCESSOR_COUNT = offsetOf("multiProcessorCount");
        private static final long L2_CACHE_SIZE = offsetOf("l2CacheSize");
        private static final long GCN_ARCH_NAME = offsetOf("gcnArchName");

        private hipDeviceProp_t() {
        }

        /** A zeroed buffer of {@link #BUFFER_BYTES} for {@code hipGetDeviceProperties}. */
        public static MemorySegment allocate(SegmentAllocator allocator) {
            return allocator.allocate(BUFFER_BYTES, LAYOUT.byteAlignment()).fill((byte) 0);
        }

        /** The byte offset of a named field of {@link #LAYOUT}. */
        public static long offsetOf(String field) {
            return LAYOUT.byteOffset(groupElement(field));
        }

        public static String name(MemorySegment prop) {
            return cString(prop.asSlice(NAME, NAME_BYTES), NAME_BYTES);
        }

        public static long totalGlobalMem(MemorySegment prop) {
            return prop.get(JAVA_LONG, TOTAL_GLOBAL_MEM);
        }

        public static int warpSize(MemorySegment prop) {
            return prop.get(JAVA_INT, WARP_SIZE);
        }

        public static int major(MemorySegment prop) {
            return prop.get(JAVA_INT, MAJOR);
        }

        public static int minor(MemorySegment prop) {
            return prop.get(JAVA_INT, MINOR);
        }

        public static int multiProcessorCount(MemorySegment prop) {
            return prop.get(JAVA_INT, MULTI_PROCESSOR_COUNT);
        }

        public static int l2CacheSize(MemorySegment prop) {
            return prop.get(JAVA_INT, L2_CACHE_SIZE);
        }

        /** Such as {@code gfx942:sramecc+:xnack-}. */
        public static String gcnArchName(MemorySegment prop) {
            return cString(prop.asSlice(GCN_ARCH_NAME, NAME_BYTES), NAME_BYTES);
        }
    }

    /** The library found and its symbols. */
    private record Binding(Library library, Optional<SymbolLookup> symbols) {

        /** Loaded on first use only: looking for the library costs a few dlopen calls. */
        static final Binding DEFAULT = find(LIBRARY_NAMES, defaultFolders());

        static Binding find(List<String> names, List<Path> folders) {
            requireNonNull(names, "names is null");
            requireNonNull(folders, "folders is null");
            NativeLibraryLoader.Result result;
            try {
                result = NativeLibraryLoader.load(names, folders);
            }
            catch (RuntimeException | LinkageError e) {
                return missing("libamdhip64 could not be looked up: " + e);
            }
            if (result.found().isEmpty()) {
                return missing("libamdhip64 (the HIP runtime) not found: " + String.join("; ", result.failures()));
            }
            NativeLibraryLoader.Found found = result.found().get();
            List<String> absent = Arrays.stream(Symbol.values()).map(Symbol::name).filter(name -> found.symbols().find(name).isEmpty()).toList();
            if (!absent.isEmpty()) {
                return missing(found.file() + " loaded but lacks functions qlinear calls: " + String.join(", ", absent));
            }
            return new Binding(new Library.Loaded(found.file()), Optional.of(found.symbols()));
        }

        private static Binding missing(String reason) {
            return new Binding(new Library.Missing(reason), Optional.empty());
        }

        /** The function in the library, or, where the library is missing, a handle that throws the reason. */
        MethodHandle downcall(Symbol symbol) {
            return switch (library) {
                case Library.Loaded loaded -> Linker.nativeLinker().downcallHandle(symbols.orElseThrow().findOrThrow(symbol.name()), symbol.descriptor());
                case Library.Missing missing -> {
                    MethodType type = symbol.descriptor().toMethodType();
                    MethodHandle thrower = MethodHandles.insertArguments(Unavailable.THROW, 0, symbol.name() + " cannot be called: " + missing.reason());
                    yield MethodHandles.dropArguments(thrower, 0, type.parameterList()).asType(type);
                }
            };
        }
    }

    /** What the functions do without the library. */
    private static final class Unavailable {
        static final MethodHandle THROW;

        static {
            try {
                THROW = MethodHandles.lookup().findStatic(Unavailable.class, "fail", MethodType.methodType(Object.class, String.class));
            }
            catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private static Object fail(String message) {
            throw new IllegalStateException(message);
        }
    }

    /** The downcall handles, made from {@link Symbol} on the first call of any function. */
    private static final class Handles {
        static final MethodHandle hipInit = Binding.DEFAULT.downcall(Symbol.hipInit);
        static final MethodHandle hipGetDeviceCount = Binding.DEFAULT.downcall(Symbol.hipGetDeviceCount);
        static final MethodHandle hipGetDeviceProperties = Binding.DEFAULT.downcall(Symbol.hipGetDeviceProperties);
        static final MethodHandle hipRuntimeGetVersion = Binding.DEFAULT.downcall(Symbol.hipRuntimeGetVersion);
        static final MethodHandle hipSetDevice = Binding.DEFAULT.downcall(Symbol.hipSetDevice);
        static final MethodHandle hipGetErrorName = Binding.DEFAULT.downcall(Symbol.hipGetErrorName);
        static final MethodHandle hipGetErrorString = Binding.DEFAULT.downcall(Symbol.hipGetErrorString);
        static final MethodHandle hipMalloc = Binding.DEFAULT.downcall(Symbol.hipMalloc);
        static final MethodHandle hipFree = Binding.DEFAULT.downcall(Symbol.hipFree);
        static final MethodHandle hipMemcpyAsync = Binding.DEFAULT.downcall(Symbol.hipMemcpyAsync);
        static final MethodHandle hipMemsetAsync = Binding.DEFAULT.downcall(Symbol.hipMemsetAsync);
        static final MethodHandle hipMemGetInfo = Binding.DEFAULT.downcall(Symbol.hipMemGetInfo);
        static final MethodHandle hipStreamCreateWithFlags = Binding.DEFAULT.downcall(Symbol.hipStreamCreateWithFlags);
        static final MethodHandle hipStreamDestroy = Binding.DEFAULT.downcall(Symbol.hipStreamDestroy);
        static final MethodHandle hipStreamSynchronize = Binding.DEFAULT.downcall(Symbol.hipStreamSynchronize);
        static final MethodHandle hipEventCreate = Binding.DEFAULT.downcall(Symbol.hipEventCreate);
        static final MethodHandle hipEventRecord = Binding.DEFAULT.downcall(Symbol.hipEventRecord);
        static final MethodHandle hipEventSynchronize = Binding.DEFAULT.downcall(Symbol.hipEventSynchronize);
        static final MethodHandle hipEventElapsedTime = Binding.DEFAULT.downcall(Symbol.hipEventElapsedTime);
        static final MethodHandle hipEventDestroy = Binding.DEFAULT.downcall(Symbol.hipEventDestroy);
        static final MethodHandle hipModuleLoadData = Binding.DEFAULT.downcall(Symbol.hipModuleLoadData);
        static final MethodHandle hipModuleUnload = Binding.DEFAULT.downcall(Symbol.hipModuleUnload);
        static final MethodHandle hipModuleGetFunction = Binding.DEFAULT.downcall(Symbol.hipModuleGetFunction);
        static final MethodHandle hipModuleLaunchKernel = Binding.DEFAULT.downcall(Symbol.hipModuleLaunchKernel);
        static final MethodHandle hipDeviceSynchronize = Binding.DEFAULT.downcall(Symbol.hipDeviceSynchronize);
    }
}
