package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.KernelArguments;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code void* kernelParams[]} of a launch: one 8-byte value slot per argument and the array of pointers to those
 * slots. {@code cuLaunchKernel} copies the values before it returns, so one block per thread serves every launch of that
 * thread: per launch only the slots are rewritten, and nothing is allocated once the block is large enough.
 */
final class ParameterBlock {

    private static final ThreadLocal<ParameterBlock> PER_THREAD = ThreadLocal.withInitial(() -> new ParameterBlock(16));

    private final MemorySegment pointers;
    private final MemorySegment values;
    private final int capacity;

    private ParameterBlock(int capacity) {
        this.capacity = capacity;
        // freed with the block when its thread is gone
        MemorySegment block = Arena.ofAuto().allocate(16L * capacity, 16);
        this.pointers = block.asSlice(0, 8L * capacity);
        this.values = block.asSlice(8L * capacity, 8L * capacity);
        for (int index = 0; index < capacity; index++) {
            pointers.setAtIndex(ADDRESS, index, values.asSlice(8L * index, 8));
        }
    }

    /** This thread's block, filled with the arguments: the {@code kernelParams} pointer to pass to {@code cuLaunchKernel}. */
    static MemorySegment fill(KernelArguments arguments) {
        ParameterBlock block = PER_THREAD.get();
        int count = arguments.count();
        if (count > block.capacity) {
            block = new ParameterBlock(Math.max(count, 2 * block.capacity));
            PER_THREAD.set(block);
        }
        for (int index = 0; index < count; index++) {
            // little-endian: a 4-byte parameter reads the low half, which holds the int or the float bits
            block.values.setAtIndex(JAVA_LONG, index, arguments.rawValue(index));
        }
        return block.pointers;
    }
}
