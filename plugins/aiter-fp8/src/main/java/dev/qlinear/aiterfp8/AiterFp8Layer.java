package dev.qlinear.aiterfp8;

import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.type.ScalarType;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the memory of the device it was prepared on, which it owns: the pre-shuffled weight, its fp32 scales
 * {@code [N]} and the bias. On a device that calls host libraries it also holds the launcher through the shim. Prepared
 * into host memory (a device standing in for the GPU, to check the layout), or on a device that calls no host
 * libraries, it holds the layout but cannot compute: {@link #apply} says why.
 */
final class AiterFp8Layer implements PreparedLayer {

    private final ScaledMmConfig config;
    private final Device device;
    private final Map<String, Tensor> layout;
    private final long deviceBytes;
    private final Optional<AiterFp8Launcher> launcher;
    private final String cannotCompute;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Allocates the layer's tensors, owned by the layer, and copies the packed host tensors into them; in device memory
     * also loads the shim (once per device, through {@code shims}) and reserves the workspace.
     *
     * @param tuned the tuned rows of the layer's (N, K)
     * @param quantizedType the platform's FP8 type, which activations are quantized to
     * @param shims the shim on a device; throws {@link UnsupportedOperationException} where the device calls no host libraries
     */
    AiterFp8Layer(ScaledMmConfig config, AiterFp8Packer.Packed packed, Device device, TunedGemmTable.TunedShape tuned, ScalarType quantizedType,
            Function<Device, AiterShim> shims, int maxRows) {
        this.config = requireNonNull(config, "config is null");
        this.device = requireNonNull(device, "device is null");
        requireNonNull(packed, "packed is null");
        requireNonNull(tuned, "tuned is null");
        requireNonNull(quantizedType, "quantizedType is null");
        requireNonNull(shims, "shims is null");
        try {
            Tensor weight = device.allocateLike(this, packed.weight());
            Tensor weightScale = device.allocateLike(this, packed.weightScale());
            Optional<Tensor> bias = packed.bias().map(buffer -> device.allocateLike(this, buffer));
            ExecutionStream stream = device.defaultStream();
            device.copy(packed.weight(), weight, stream);
            device.copy(packed.weightScale(), weightScale, stream);
            packed.bias().ifPresent(buffer -> device.copy(buffer, bias.orElseThrow(), stream));
            // the host buffers are freed when prepare returns
            stream.synchronize();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("weight", weight);
            tensors.put("weight_scale", weightScale);
            this.layout = Collections.unmodifiableMap(tensors);
            this.deviceBytes = bytes(weight) + bytes(weightScale) + bias.map(AiterFp8Layer::bytes).orElse(0L);

            Optional<AiterShim> shim = Optional.empty();
            String why = "";
            if (weight.memory() != MemoryKind.DEVICE) {
                why = this + " was prepared into host memory, standing in for " + device.platform().spec() + ", to check its layout: "
                        + AiterFp8Kernel.ID + " computes through its HIP shim on a ROCm GPU";
            }
            else {
                try {
                    shim = Optional.of(shims.apply(device));
                }
                catch (UnsupportedOperationException e) {
                    why = this + " cannot compute on " + device.platform().spec() + ": " + e.getMessage() + "; " + AiterFp8Kernel.ID
                            + " computes through its HIP shim on a ROCm GPU";
                }
            }
            this.cannotCompute = why;
            if (shim.isPresent()) {
                device.reserveWorkspace(AiterFp8Launcher.workspaceBytes(config.k()));
                AiterFp8Launcher.PreparedTensors addresses = new AiterFp8Launcher.PreparedTensors(weight.address(), weightScale.address(),
                        bias.map(Tensor::address).orElse(0L));
                this.launcher = Optional.of(new AiterFp8Launcher(config, addresses, tuned, quantizedType, device, shim.get(), maxRows));
            }
            else {
                this.launcher = Optional.empty();
            }
        }
        catch (RuntimeException | Error e) {
            device.release(this);
            throw e;
        }
    }

    private static long bytes(Tensor tensor) {
        return tensor.elementCount() * tensor.dtype().storageBytes();
    }

    /**
     * @throws UnsupportedOperationException when the layer was prepared where the shim cannot run
     */
    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
        if (launcher.isEmpty()) {
            throw new UnsupportedOperationException(cannotCompute);
        }
        launcher.get().apply(input, output, stream);
    }

    @Override
    public ScaledMmConfig config() {
        return config;
    }

    @Override
    public long deviceBytes() {
        return deviceBytes;
    }

    /** {@code weight} (pre-shuffled, e4m3fnuz on gfx942) and {@code weight_scale} (fp32 {@code [N]}, doubled where converted); the bias is not part of the layout. */
    @Override
    public Map<String, Tensor> layoutTensors() {
        return layout;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            device.release(this);
        }
    }

    @Override
    public String toString() {
        return AiterFp8Kernel.ID + " layer K=" + config.k() + " N=" + config.n() + (config.bias() ? " bias" : "");
    }
}
