package dev.qlinear.core.rocm;

import dev.qlinear.spi.device.KernelArguments;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The arguments of a host call laid out as the C struct of their signature ({@link KernelArguments#structOffset}), in
 * one native block per thread: the entry point reads the struct during the call, so per call only the block is
 * rewritten, and nothing is allocated once it is large enough.
 */
final class HostCallArguments {

    /** Struct alignment: the largest member (8 bytes) and then some. */
    private static final long ALIGNMENT = 16;
    private static final ThreadLocal<HostCallArguments> PER_THREAD = ThreadLocal.withInitial(() -> new HostCallArguments(256));

    private final MemorySegment struct;

    private HostCallArguments(long capacity) {
        // freed with the block when its thread is gone
        this.struct = Arena.ofAuto().allocate(capacity, ALIGNMENT);
    }

    /**
     * This thread's block, holding the arguments as a C struct; padding is zero.
     *
     * @param function what the arguments are for, named in errors
     * @throws IllegalArgumentException for a tensor map argument, which a host call cannot take
     */
    static MemorySegment pack(KernelArguments arguments, Object function) {
        for (int index = 0; index < arguments.count(); index++) {
            if (arguments.signature().get(index) == KernelArguments.Kind.TENSOR_MAP) {
                throw new IllegalArgumentException("argument " + index + " of " + function + " is a TENSOR_MAP: a tensor map is a CUDA TMA descriptor that"
                        + " kernel launches encode, and host calls take pointers, int32, int64 and float32 arguments only");
            }
        }
        HostCallArguments block = PER_THREAD.get();
        if (arguments.structBytes() > block.struct.byteSize()) {
            block = new HostCallArguments(Math.max(arguments.structBytes(), 2 * block.struct.byteSize()));
            PER_THREAD.set(block);
        }
        MemorySegment struct = block.struct;
        struct.fill((byte) 0);
        for (int index = 0; index < arguments.count(); index++) {
            long offset = arguments.structOffset(index);
            switch (arguments.signature().get(index)) {
                case POINTER, INT64 -> struct.set(JAVA_LONG, offset, arguments.rawValue(index));
                // the int, or the float's bits, are the low 32 bits
                case INT32, FLOAT32 -> struct.set(JAVA_INT, offset, (int) arguments.rawValue(index));
                case TENSOR_MAP -> throw new AssertionError("refused above");
            }
        }
        return struct;
    }
}
