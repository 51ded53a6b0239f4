package dev.qlinear.core.rocm;

import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelArguments.Kind;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code void* kernelParams[]} of {@code hipModuleLaunchKernel}: one 8-byte value slot per argument and the array
 * of pointers to those slots. HIP copies the values into the kernel's argument buffer before the call returns, so one
 * block per thread serves every launch of that thread: per launch only the slots are rewritten, and nothing is
 * allocated once the block is large enough.
 */
final class KernelParameterBlock {

    private static final int SLOT_BYTES = 8;
    private static final ThreadLocal<KernelParameterBlock> PER_THREAD = ThreadLocal.withInitial(() -> new KernelParameterBlock(16));

    private final MemorySegment pointers;
    private final MemorySegment values;
    private final int capacity;

    private KernelParameterBlock(int capacity) {
        this.capacity = capacity;
        // freed with the block when its thread is gone
        Arena arena = Arena.ofAuto();
        this.values = arena.allocate((long) SLOT_BYTES * capacity, SLOT_BYTES);
        this.pointers = arena.allocate(ADDRESS.byteSize() * capacity, ADDRESS.byteSize());
        for (int index = 0; index < capacity; index++) {
            pointers.setAtIndex(ADDRESS, index, values.asSlice((long) SLOT_BYTES * index, SLOT_BYTES));
        }
    }

    /**
     * This thread's block, filled with the arguments: the {@code kernelParams} to pass to {@code hipModuleLaunchKernel}.
     *
     * @param kernel what the arguments are for, named in errors
     * @throws IllegalArgumentException for a tensor map argument, which HIP kernels do not take
     */
    static MemorySegment fill(KernelArguments arguments, Object kernel) {
        int count = arguments.count();
        for (int index = 0; index < count; index++) {
            if (arguments.signature().get(index) == Kind.TENSOR_MAP) {
                throw new IllegalArgumentException("argument " + index + " of " + kernel + " is a TENSOR_MAP: a tensor map is a CUDA TMA descriptor, and HIP"
                        + " kernels take pointers, int32, int64 and float32 arguments only");
            }
        }
        KernelParameterBlock block = PER_THREAD.get();
        if (count > block.capacity) {
            block = new KernelParameterBlock(Math.max(count, 2 * block.capacity));
            PER_THREAD.set(block);
        }
        for (int index = 0; index < count; index++) {
            // little-endian: a 4-byte parameter reads the low half, which holds the int or the float bits
            block.values.setAtIndex(JAVA_LONG, index, arguments.rawValue(index));
        }
        return block.pointers;
    }
}
