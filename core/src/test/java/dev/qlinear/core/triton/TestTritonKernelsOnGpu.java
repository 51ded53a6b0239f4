package dev.qlinear.core.triton;

import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaTensor;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;

import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real Triton images on a real CUDA device: the W4A16 plugin's split-K reduce kernel ({@code out[m, n] = sum over splits
 * of partials[split, m, n], in split order, + bias[n]}, rounded once to float16), loaded through
 * {@link CudaDevice#loadTriton} and checked bit for bit against the same sum in Java.
 */
@Tag("gpu")
final class TestTritonKernelsOnGpu {

    private static final short NAN_BITS = 0x7E00;

    private final Random random = new Random(11);
    private final Object owner = new Object();
    private final TritonImages images = TritonImages.load(getClass().getClassLoader(), TritonFixtures.W4A16_IMAGES);
    private CudaDevice device;

    @BeforeEach
    void open() {
        CudaAvailability availability = Cuda.availability();
        assumeTrue(availability instanceof CudaAvailability.Available, () -> "no CUDA device: " + ((CudaAvailability.Unavailable) availability).reason());
        device = Cuda.open(0);
    }

    @AfterEach
    void release() {
        if (device != null) {
            device.synchronize();
            device.release(owner);
        }
    }

    @Test
    void theReduceKernelSumsTheSplitsAndAddsTheBias() {
        TritonKernel kernel = device.loadTriton(images, TritonFixtures.REDUCE_F16);

        assertThat(kernel.info().target()).isEqualTo(images.targetFor(TritonFixtures.REDUCE_F16, device.platform()).orElseThrow());
        assertThat(device.loadTriton(images, TritonFixtures.REDUCE_F16)).as("loaded once per device").isSameAs(kernel);
        KernelArguments arguments = kernel.newArguments();
        // one program, then several with a strided output and a ragged last program
        assertReduces(kernel, arguments, 3, 37, 40, 3, true);
        assertReduces(kernel, arguments, 5, 700, 704, 4, true);
        assertReduces(kernel, arguments, 5, 700, 700, 1, false);
    }

    @Test
    void thePtxImageIsCompiledByTheDriver() {
        assumeTrue(device.info().major() >= 8, "the PTX targets compute_80, this is " + device.info().name());
        LoadedTritonKernel kernel = TritonLoader.load(device, images, TritonFixtures.REDUCE_F16, "compute_80");

        assertThat(kernel.info().target()).isEqualTo("compute_80");
        assertReduces(kernel, kernel.newArguments(), 7, 129, 136, 2, true);
    }

    @Test
    void launchesAllocateNothingOnTheJavaHeap() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        TritonKernel kernel = device.loadTriton(images, TritonFixtures.REDUCE_F16);
        CudaTensor partials = device.allocate(owner, ScalarType.FLOAT32, 64);
        CudaTensor out = device.allocate(owner, ScalarType.FLOAT16, 64);
        device.fill(partials, Float.floatToRawIntBits(0.5f), device.defaultStream());
        KernelArguments arguments = kernel.newArguments().setPointer(0, partials.address()).setPointer(1, 0).setPointer(2, out.address()).setInt(3, 1)
                .setInt(4, 64).setInt(5, 64).setInt(6, 1).setInt(7, 0);
        for (int warmUp = 0; warmUp < 20_000; warmUp++) {
            kernel.launch(1, 1, 1, arguments.setInt(6, 1), device.defaultStream());
        }
        device.synchronize();

        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        for (int launch = 0; launch < 10_000; launch++) {
            kernel.launch(1, 1, 1, arguments.setInt(6, 1), device.defaultStream());
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        device.synchronize();

        // a single object per launch would be at least 160,000 bytes
        assertThat(allocated).as("bytes allocated by 10,000 launches").isLessThan(10_000);
        short[] back = new short[64];
        device.copy(out, HostTensor.wrap(MemorySegment.ofArray(back), ScalarType.FLOAT16, 64), device.defaultStream());
        assertThat(back).containsOnly(Float.floatToFloat16(0.5f));
    }

    @Test
    void argumentsOfAnotherSignatureAndMissingVariantsAreRefused() {
        TritonKernel kernel = device.loadTriton(images, TritonFixtures.REDUCE_F16);

        assertThatThrownBy(() -> kernel.launch(1, 1, 1, KernelArguments.of(POINTER, POINTER), device.defaultStream()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the arguments [POINTER, POINTER] do not fit Triton kernel w4a16_reduce_f16");
        assertThatThrownBy(() -> device.loadTriton(images, "w4a16_reduce_bf16"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("have no Triton variant 'w4a16_reduce_bf16' (variants: w4a16_reduce_f16)");
    }

    private void assertReduces(TritonKernel kernel, KernelArguments arguments, int m, int n, int strideOut, int splits, boolean hasBias) {
        int total = m * n;
        float[] partials = new float[splits * total];
        for (int i = 0; i < partials.length; i++) {
            partials[i] = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-4, 8)));
        }
        short[] bias = new short[n];
        for (int i = 0; i < n; i++) {
            bias[i] = Float.floatToFloat16((float) (random.nextDouble() * 4 - 2));
        }
        CudaTensor partialsOnDevice = upload(HostTensor.wrap(MemorySegment.ofArray(partials), ScalarType.FLOAT32, partials.length));
        CudaTensor biasOnDevice = upload(HostTensor.wrap(MemorySegment.ofArray(bias), ScalarType.FLOAT16, n));
        CudaTensor out = device.allocate(owner, ScalarType.FLOAT16, (long) m * strideOut);
        device.fill(out, NAN_BITS, device.defaultStream());

        arguments.setPointer(0, partialsOnDevice.address()).setPointer(1, biasOnDevice.address()).setPointer(2, out.address()).setInt(3, m).setInt(4, n)
                .setInt(5, strideOut).setInt(6, splits).setInt(7, hasBias ? 1 : 0);
        int block = Integer.parseInt(kernel.info().constexprs().get("BLOCK"));
        kernel.launch((total + block - 1) / block, 1, 1, arguments, device.defaultStream());
        short[] back = new short[m * strideOut];
        device.copy(out, HostTensor.wrap(MemorySegment.ofArray(back), ScalarType.FLOAT16, back.length), device.defaultStream());

        short[] expected = new short[m * strideOut];
        for (int row = 0; row < m; row++) {
            for (int column = 0; column < strideOut; column++) {
                if (column >= n) {
                    expected[row * strideOut + column] = NAN_BITS;
                    continue;
                }
                float sum = 0;
                for (int split = 0; split < splits; split++) {
                    sum += partials[split * total + row * n + column];
                }
                if (hasBias) {
                    sum += Float.float16ToFloat(bias[column]);
                }
                expected[row * strideOut + column] = Float.floatToFloat16(sum);
            }
        }
        assertThat(back).as("M=%d N=%d stride %d, %d splits, bias %s on %s", m, n, strideOut, splits, hasBias, kernel.info().target())
                .containsExactly(expected);
    }

    private CudaTensor upload(HostTensor host) {
        CudaTensor tensor = device.allocate(owner, host.dtype(), host.shape());
        device.copy(host, tensor, device.defaultStream());
        return tensor;
    }
}
