package dev.qlinear.cli.bench;

import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaStream;
import dev.qlinear.core.cuda.CudaTensor;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static java.util.Objects.requireNonNull;

/**
 * Fills device tensors with random 16-bit values in [-1, 1): one block is made on the host and uploaded, and copied
 * on the device over the rest of the tensor. Timing needs values that are not zero, not values that never repeat.
 */
final class DeviceData {

    /** Elements of the host block: 8 Mi, 16 MiB of fp16. */
    static final long BLOCK_ELEMENTS = 8L << 20;

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final CudaDevice device;
    private final CudaStream stream;

    DeviceData(CudaDevice device, CudaStream stream) {
        this.device = requireNonNull(device, "device is null");
        this.stream = requireNonNull(stream, "stream is null");
    }

    /** A contiguous 16-bit tensor owned by {@code owner}, filled with random values; queued on the stream. */
    CudaTensor random(Object owner, ScalarType dtype, long seed, long... shape) {
        CudaTensor tensor = device.allocate(owner, dtype, shape);
        fill(tensor, seed);
        return tensor;
    }

    private void fill(CudaTensor tensor, long seed) {
        long elements = tensor.elementCount();
        long block = Math.min(elements, BLOCK_ELEMENTS);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate(block * Short.BYTES, Short.BYTES);
            SplittableRandom random = new SplittableRandom(seed);
            for (long i = 0; i < block; i++) {
                host.setAtIndex(HALF, i, RandomWeights.halfBits(tensor.dtype(), (float) (2 * random.nextDouble() - 1)));
            }
            CudaTensor first = flat(tensor, 0, block);
            device.copy(HostTensor.wrap(host, tensor.dtype(), block), first, stream);
            // the host block must stay alive until the upload has read it
            stream.synchronize();
            for (long start = block; start < elements; start += block) {
                long length = Math.min(block, elements - start);
                device.copy(flat(tensor, 0, length), flat(tensor, start, length), stream);
            }
        }
    }

    private static CudaTensor flat(CudaTensor tensor, long start, long length) {
        return tensor.view(start, new long[] {length}, new long[] {1});
    }
}
