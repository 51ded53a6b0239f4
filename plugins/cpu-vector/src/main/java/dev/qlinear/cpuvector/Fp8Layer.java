package dev.qlinear.cpuvector;

import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * An FP8 layer in the kernel's own layout: the e4m3fn codes {@code [ceil(N/16), Kp, 16]} (column blocks of 16, K
 * padded to a multiple of 4 with zero codes) and the weight scale of every column, in host memory owned through the
 * device.
 */
final class Fp8Layer implements PreparedLayer {

    static final int BLOCK = 16;
    static final int K_STEP = 4;

    private final ScaledMmConfig config;
    private final Device device;
    private final Object owner;
    private final Tensor codeTensor;
    private final MemorySegment codes;
    private final int paddedK;
    private final int blocks;
    private final float[] weightScales;
    private final float[] bias;
    private final float inputScale;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param weightScales the scale of every column, padded to whole blocks
     * @param bias the bias of every column, padded to whole blocks (zeros without a bias)
     * @param inputScale the static activation scale, or NaN for dynamic scales
     */
    Fp8Layer(ScaledMmConfig config, Device device, Object owner, Tensor codes, int paddedK, float[] weightScales, float[] bias, float inputScale) {
        this.config = requireNonNull(config, "config is null");
        this.device = requireNonNull(device, "device is null");
        this.owner = requireNonNull(owner, "owner is null");
        this.codeTensor = requireNonNull(codes, "codes is null");
        this.codes = HalfFloats.hostSegment(codes, "prepared codes");
        this.paddedK = paddedK;
        this.blocks = (config.n() + BLOCK - 1) / BLOCK;
        this.weightScales = requireNonNull(weightScales, "weightScales is null");
        this.bias = requireNonNull(bias, "bias is null");
        this.inputScale = inputScale;
    }

    @Override
    public ScaledMmConfig config() {
        return config;
    }

    @Override
    public long deviceBytes() {
        return codeTensor.elementCount() * codeTensor.dtype().storageBytes();
    }

    MemorySegment codes() {
        return codes;
    }

    int paddedK() {
        return paddedK;
    }

    int blocks() {
        return blocks;
    }

    float[] weightScales() {
        return weightScales;
    }

    float[] bias() {
        return bias;
    }

    float inputScale() {
        return inputScale;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            device.release(owner);
        }
    }

    @Override
    public String toString() {
        return "cpu-vector fp8 layer K=" + config.k() + " N=" + config.n();
    }
}
