package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * A prepared layer whose tensors live in the memory of the device it was prepared on, owned by the layer: what every
 * such layer does alike. Tensors allocated or uploaded through it count in {@link #deviceBytes()}, closing frees them,
 * and a subclass names its {@linkplain #layout layout tensors}. A GPU kernel's layer prepared into host memory (a
 * device standing in for the GPU, so that its layout can be checked without one) has no launcher, and
 * {@link #launcher} says why it cannot compute.
 *
 * <p>A subclass allocates in its constructor and calls {@link #close()} when the constructor fails, so that nothing
 * stays allocated.
 *
 * @param <C> the layer's configuration type
 */
public abstract class DeviceLayer<C extends LayerConfig> implements PreparedLayer {

    private final C config;
    private final Device device;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile long deviceBytes;
    private volatile Map<String, Tensor> layout = Map.of();

    protected DeviceLayer(C config, Device device) {
        this.config = requireNonNull(config, "config is null");
        this.device = requireNonNull(device, "device is null");
    }

    protected final Device device() {
        return device;
    }

    /** An uninitialized tensor of the layer's own. */
    protected final Tensor allocate(ScalarType dtype, long... shape) {
        return counted(device.allocate(this, dtype, shape));
    }

    /**
     * A tensor of the layer's own, of the type and shape of {@code host}, with the copy into it queued on the device's
     * default stream: {@link #finishUploads()} waits for the copies.
     */
    protected final Tensor upload(Tensor host) {
        Tensor tensor = counted(device.allocateLike(this, host));
        device.copy(host, tensor, device.defaultStream());
        return tensor;
    }

    /** Waits for the uploads, after which their host tensors may be freed. */
    protected final void finishUploads() {
        device.defaultStream().synchronize();
    }

    /** The tensors {@link #layoutTensors()} gives, in this order. */
    protected final void layout(Map<String, Tensor> tensors) {
        this.layout = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    /**
     * The layer's launcher, for {@code apply}.
     *
     * @param computesOn where the kernel computes, for the error of a layer prepared into host memory, such as
     *        {@code "exllama computes on CUDA devices"}
     * @throws IllegalStateException when the layer is closed, or was prepared into host memory and so has no launcher
     */
    protected final <L> L launcher(Optional<L> launcher, String computesOn) {
        requireOpen();
        return launcher.orElseThrow(() -> new IllegalStateException(this + " was prepared into host memory, standing in for " + device.platform().spec()
                + ", to check its layout: " + computesOn));
    }

    /** @throws IllegalStateException naming the layer when it is closed */
    protected final void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    @Override
    public final C config() {
        return config;
    }

    @Override
    public final long deviceBytes() {
        return deviceBytes;
    }

    @Override
    public final Map<String, Tensor> layoutTensors() {
        return layout;
    }

    /** Frees every tensor of the layer's own; closing again does nothing. */
    @Override
    public final void close() {
        if (closed.compareAndSet(false, true)) {
            device.release(this);
        }
    }

    private Tensor counted(Tensor tensor) {
        deviceBytes += tensor.elementCount() * tensor.dtype().storageBytes();
        return tensor;
    }
}
