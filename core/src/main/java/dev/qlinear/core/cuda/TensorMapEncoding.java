package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.TensorMapLayout;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Encodes a two-dimensional tensor map ({@code CUtensorMap}) with {@code cuTensorMapEncodeTiled} (CUDA 12+, a host
 * call that touches no device) straight into a launch's parameter slot. The dimension arrays the call reads are one
 * scratch block per encoding instance, so an encoding allocates nothing.
 */
@SuppressWarnings("restricted") // binding native code is this class's job; the JVM runs with --enable-native-access
final class TensorMapEncoding {

    /** {@code sizeof(CUtensorMap)}, and its alignment. */
    static final int BYTES = 128;
    static final int ALIGNMENT = 128;

    // cuda.h enum values (TestTensorMapEncoding compares them with the header)
    static final int DATA_TYPE_UINT8 = 0;
    static final int DATA_TYPE_INT32 = 3;
    static final int DATA_TYPE_FLOAT16 = 6;
    static final int DATA_TYPE_FLOAT32 = 7;
    static final int DATA_TYPE_BFLOAT16 = 9;
    static final int INTERLEAVE_NONE = 0;
    static final int L2_PROMOTION_128B = 2;
    static final int OOB_FILL_ZEROS = 0;

    /** The driver's encoder, looked up on first use; empty without a driver or before CUDA 12. */
    private static final class Driver {
        static final Optional<MethodHandle> ENCODE_TILED = lookup();

        /** {@code CUresult cuTensorMapEncodeTiled(CUtensorMap*, dataType, uint rank, void* address, const cuuint64_t* dims, const cuuint64_t* strides, const cuuint32_t* box, const cuuint32_t* elementStrides, interleave, swizzle, l2Promotion, oobFill)} */
        private static Optional<MethodHandle> lookup() {
            try {
                return SymbolLookup.libraryLookup("libcuda.so.1", Arena.global()).find("cuTensorMapEncodeTiled")
                        .map(symbol -> Linker.nativeLinker().downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG,
                                ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT)));
            }
            catch (IllegalArgumentException noDriver) {
                return Optional.empty();
            }
        }
    }

    private final MemorySegment dims;
    private final MemorySegment strides;
    private final MemorySegment box;
    private final MemorySegment elementStrides;

    TensorMapEncoding(Arena arena) {
        MemorySegment scratch = arena.allocate(48, 8);
        dims = scratch.asSlice(0, 16);
        strides = scratch.asSlice(16, 8);
        box = scratch.asSlice(24, 8);
        elementStrides = scratch.asSlice(32, 8);
        elementStrides.setAtIndex(JAVA_INT, 0, 1);
        elementStrides.setAtIndex(JAVA_INT, 1, 1);
    }

    /**
     * Writes the map of {@code rows} rows at {@code address} into {@code target} (128 bytes at its alignment).
     *
     * @return the driver's result, 0 on success
     */
    int encode(MemorySegment target, TensorMapLayout layout, long address, long rows, long rowStrideBytes) {
        MethodHandle encodeTiled = Driver.ENCODE_TILED.orElseThrow(() -> new UnsupportedOperationException(
                "no CUDA driver with cuTensorMapEncodeTiled (libcuda.so.1, CUDA 12 or later): tensor map arguments need it"));
        dims.setAtIndex(JAVA_LONG, 0, layout.rowElements());
        dims.setAtIndex(JAVA_LONG, 1, rows);
        strides.setAtIndex(JAVA_LONG, 0, rowStrideBytes);
        box.setAtIndex(JAVA_INT, 0, layout.boxColumns());
        box.setAtIndex(JAVA_INT, 1, layout.boxRows());
        try {
            return (int) encodeTiled.invokeExact(target, dataType(layout.elementType()), 2, address, dims, strides, box, elementStrides, INTERLEAVE_NONE,
                    layout.swizzle().ordinal(), L2_PROMOTION_128B, OOB_FILL_ZEROS);
        }
        catch (Throwable e) {
            throw new AssertionError("cuTensorMapEncodeTiled downcall failed", e);
        }
    }

    /** The CUtensorMapDataType TMA copies an element type as: bytes are bytes, whatever they encode. */
    static int dataType(ScalarType type) {
        if (type.equals(ScalarType.FLOAT16)) {
            return DATA_TYPE_FLOAT16;
        }
        if (type.equals(ScalarType.BFLOAT16)) {
            return DATA_TYPE_BFLOAT16;
        }
        if (type.equals(ScalarType.FLOAT32)) {
            return DATA_TYPE_FLOAT32;
        }
        if (type.equals(ScalarType.INT32)) {
            return DATA_TYPE_INT32;
        }
        if (type.storageBytes() == 1) {
            return DATA_TYPE_UINT8;
        }
        throw new IllegalArgumentException("no tensor map data type for " + type);
    }
}
