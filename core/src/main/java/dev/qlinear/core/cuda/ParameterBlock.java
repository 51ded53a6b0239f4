package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelArguments.Kind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code void* kernelParams[]} of a launch: one value slot per argument, large and aligned enough for a tensor
 * map, and the array of pointers to those slots. {@code cuLaunchKernel} copies the values before it returns, so one
 * block per thread serves every launch of that thread: per launch only the slots are rewritten (tensor maps encoded
 * in place), and nothing is allocated once the block is large enough.
 */
final class ParameterBlock {

    /** Bytes between value slots: a tensor map's size, at its alignment. */
    static final int SLOT_BYTES = TensorMapEncoding.BYTES;

    private static final ThreadLocal<ParameterBlock> PER_THREAD = ThreadLocal.withInitial(() -> new ParameterBlock(16));

    private final MemorySegment pointers;
    private final MemorySegment values;
    private final MemorySegment[] slots;
    private final TensorMapEncoding tensorMaps;
    private final int capacity;

    private ParameterBlock(int capacity) {
        this.capacity = capacity;
        // freed with the block when its thread is gone
        Arena arena = Arena.ofAuto();
        this.values = arena.allocate((long) SLOT_BYTES * capacity, TensorMapEncoding.ALIGNMENT);
        this.pointers = arena.allocate(ADDRESS.byteSize() * capacity, ADDRESS.byteSize());
        this.slots = new MemorySegment[capacity];
        this.tensorMaps = new TensorMapEncoding(arena);
        for (int index = 0; index < capacity; index++) {
            slots[index] = values.asSlice((long) SLOT_BYTES * index, SLOT_BYTES);
            pointers.setAtIndex(ADDRESS, index, slots[index]);
        }
    }

    /**
     * This thread's block, filled with the arguments: the {@code kernelParams} pointer to pass to {@code cuLaunchKernel}.
     *
     * @param kernel what the arguments are for, named in errors
     * @throws CudaException where the driver refuses to encode a tensor map argument
     */
    static MemorySegment fill(KernelArguments arguments, Object kernel) {
        ParameterBlock block = PER_THREAD.get();
        int count = arguments.count();
        if (count > block.capacity) {
            block = new ParameterBlock(Math.max(count, 2 * block.capacity));
            PER_THREAD.set(block);
        }
        for (int index = 0; index < count; index++) {
            if (arguments.signature().get(index) == Kind.TENSOR_MAP) {
                block.encodeTensorMap(arguments, index, kernel);
            }
            else {
                // little-endian: a 4-byte parameter reads the low half, which holds the int or the float bits
                block.values.set(JAVA_LONG, (long) SLOT_BYTES * index, arguments.rawValue(index));
            }
        }
        return block.pointers;
    }

    private void encodeTensorMap(KernelArguments arguments, int index, Object kernel) {
        if (arguments.tensorMapLayout(index) == null) {
            throw new IllegalArgumentException("tensor map argument " + index + " of " + kernel + " was never set");
        }
        int result = tensorMaps.encode(slots[index], arguments.tensorMapLayout(index), arguments.rawValue(index), arguments.tensorMapRows(index),
                arguments.tensorMapRowStride(index));
        if (result != 0) {
            throw CudaException.driver("cuTensorMapEncodeTiled of tensor map argument " + index + " of " + kernel + " (" + arguments.tensorMapLayout(index) + ", "
                    + arguments.tensorMapRows(index) + " rows at 0x" + Long.toHexString(arguments.rawValue(index)) + ", " + arguments.tensorMapRowStride(index)
                    + " bytes apart)", result);
        }
    }
}
