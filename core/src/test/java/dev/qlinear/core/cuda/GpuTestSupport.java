package dev.qlinear.core.cuda;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Shared by the GPU tests: the device, or a skip that says why there is none, and the test kernel images. */
final class GpuTestSupport {

    static final String FATBIN = "/cuda/test_kernels.fatbin";
    static final String PTX = "/cuda/test_kernels.ptx";

    private GpuTestSupport() {
    }

    /** CUDA device 0, or skips the calling test with the reason CUDA is unavailable. */
    static CudaDevice device() {
        CudaAvailability availability = Cuda.availability();
        assumeTrue(availability instanceof CudaAvailability.Available,
                () -> "no CUDA device: " + ((CudaAvailability.Unavailable) availability).reason());
        return Cuda.open(0);
    }

    /** A kernel image from the test class path, or skips when the build had no nvcc to make it. */
    static byte[] image(String resource) {
        try (InputStream in = GpuTestSupport.class.getResourceAsStream(resource)) {
            assumeTrue(in != null, () -> "the test kernel image " + resource + " was not built (no nvcc where the tests were built)");
            return in.readAllBytes();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A host tensor of random bytes, never all zero. */
    static HostTensor randomBytes(Arena arena, Random random, ScalarType dtype, long... shape) {
        HostTensor tensor = HostTensor.allocate(arena, dtype, shape);
        byte[] bytes = new byte[(int) tensor.segment().byteSize()];
        random.nextBytes(bytes);
        bytes[0] = (byte) (bytes[0] | 1);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, tensor.segment(), 0, bytes.length);
        return tensor;
    }
}
