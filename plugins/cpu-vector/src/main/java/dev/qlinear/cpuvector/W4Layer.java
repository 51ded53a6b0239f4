package dev.qlinear.cpuvector;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/** A W4A16 layer in the {@value W4Geometry#LAYOUT} layout, in host memory owned through the device. */
final class W4Layer implements PreparedLayer {

    private final WeightOnlyConfig config;
    private final W4Geometry geometry;
    private final Device device;
    private final Object owner;
    private final Map<String, Tensor> tensors;
    private final MemorySegment codes;
    private final MemorySegment scales;
    private final MemorySegment zeroScales;
    private final float[] bias;
    private final boolean sharedZeroPoint;
    private final float negatedZeroPoint;
    private final long deviceBytes;
    private final AtomicBoolean closed = new AtomicBoolean();

    W4Layer(WeightOnlyConfig config, W4Geometry geometry, Device device, Object owner, Map<String, Tensor> tensors, float[] bias) {
        this.config = requireNonNull(config, "config is null");
        this.geometry = requireNonNull(geometry, "geometry is null");
        this.device = requireNonNull(device, "device is null");
        this.owner = requireNonNull(owner, "owner is null");
        this.tensors = Map.copyOf(requireNonNull(tensors, "tensors is null"));
        this.codes = segment("codes");
        this.scales = segment("scales");
        this.zeroScales = segment("zero_scales");
        this.bias = requireNonNull(bias, "bias is null");
        this.sharedZeroPoint = !config.zeroPoints();
        this.negatedZeroPoint = -config.weightType().bias();
        long bytes = 0;
        for (Tensor tensor : this.tensors.values()) {
            bytes += tensor.elementCount() * tensor.dtype().storageBytes();
        }
        this.deviceBytes = bytes;
    }

    private MemorySegment segment(String name) {
        Tensor tensor = tensors.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("the " + W4Geometry.LAYOUT + " layout needs a tensor '" + name + "', got " + tensors.keySet());
        }
        return HalfFloats.hostSegment(tensor, name);
    }

    @Override
    public WeightOnlyConfig config() {
        return config;
    }

    @Override
    public long deviceBytes() {
        return deviceBytes;
    }

    @Override
    public Map<String, Tensor> layoutTensors() {
        return tensors;
    }

    W4Geometry geometry() {
        return geometry;
    }

    MemorySegment codes() {
        return codes;
    }

    MemorySegment scales() {
        return scales;
    }

    MemorySegment zeroScales() {
        return zeroScales;
    }

    /** Whether every group has the same zero point, the weight type's bias, so {@code zero_scales} is {@code -z · scales}. */
    boolean sharedZeroPoint() {
        return sharedZeroPoint;
    }

    /** {@code (float) -z} for the shared zero point. */
    float negatedZeroPoint() {
        return negatedZeroPoint;
    }

    /** The bias per column, padded with zeros to whole blocks (all zeros without a bias). */
    float[] bias() {
        return bias;
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
        return W4Geometry.LAYOUT + " layer K=" + config.k() + " N=" + config.n() + " " + config.weightType() + " group " + config.groupSize();
    }
}
