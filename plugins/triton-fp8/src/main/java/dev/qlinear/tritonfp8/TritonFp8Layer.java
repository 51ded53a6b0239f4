package dev.qlinear.tritonfp8;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.platform.DeviceProperties;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the memory of the device it was prepared on, which it owns: the weight {@code [N, K]}, its fp32 scales,
 * and the static input scale and the bias when the layer has them. Prepared into host memory (a device that allocates
 * host tensors, standing in for a GPU to check the layout), it holds the layout but cannot compute.
 */
final class TritonFp8Layer implements PreparedLayer {

    /** Multiprocessors assumed when the platform carries no measured device (an H100 SXM has 132). */
    static final int DEFAULT_MULTIPROCESSORS = 132;

    private final ScaledMmConfig config;
    private final Device device;
    private final Map<String, Tensor> layout;
    private final long deviceBytes;
    private final Optional<TritonFp8Launcher> launcher;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Allocates the layer's tensors, owned by the layer, and copies the packed host tensors into them; on a GPU also
     * loads the kernels and reserves the workspace.
     *
     * @param functions loads the layer's variants on a GPU device (once per device)
     * @param maxRows the largest M of a call
     */
    TritonFp8Layer(ScaledMmConfig config, TritonFp8Packer.Packed packed, Device device, Function<Device, TritonFp8Functions> functions, int maxRows) {
        this.config = requireNonNull(config, "config is null");
        this.device = requireNonNull(device, "device is null");
        requireNonNull(packed, "packed is null");
        requireNonNull(functions, "functions is null");
        try {
            Tensor weight = device.allocateLike(this, packed.weight());
            Tensor weightScale = device.allocateLike(this, packed.weightScale());
            Optional<Tensor> inputScale = packed.inputScale().map(buffer -> device.allocateLike(this, buffer));
            Optional<Tensor> bias = packed.bias().map(buffer -> device.allocateLike(this, buffer));
            ExecutionStream stream = device.defaultStream();
            device.copy(packed.weight(), weight, stream);
            device.copy(packed.weightScale(), weightScale, stream);
            packed.inputScale().ifPresent(buffer -> device.copy(buffer, inputScale.orElseThrow(), stream));
            packed.bias().ifPresent(buffer -> device.copy(buffer, bias.orElseThrow(), stream));
            // the host buffers are freed when prepare returns
            stream.synchronize();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("weight", weight);
            tensors.put("weight_scale", weightScale);
            this.layout = Collections.unmodifiableMap(tensors);
            this.deviceBytes = bytes(weight) + bytes(weightScale) + inputScale.map(TritonFp8Layer::bytes).orElse(0L) + bias.map(TritonFp8Layer::bytes).orElse(0L);
            if (weight.memory() == MemoryKind.DEVICE) {
                int multiprocessors = device.platform().device().map(DeviceProperties::computeUnits).orElse(DEFAULT_MULTIPROCESSORS);
                TritonFp8Launcher.PreparedTensors addresses = new TritonFp8Launcher.PreparedTensors(weight.address(), weightScale.address(),
                        inputScale.map(Tensor::address).orElse(0L), bias.map(Tensor::address).orElse(0L),
                        config.weightQuant().groupShape().equals(GroupShape.PER_CHANNEL));
                TritonFp8Functions loaded = functions.apply(device);
                device.reserveWorkspace(TritonFp8Launcher.workspaceBytes(config.k(), config.n(), multiprocessors));
                this.launcher = Optional.of(new TritonFp8Launcher(config, addresses, device, loaded, maxRows, multiprocessors));
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

    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
        if (launcher.isEmpty()) {
            throw new IllegalStateException(this + " was prepared into host memory, standing in for " + device.platform().spec()
                    + ", to check its layout: " + TritonFp8Kernel.ID + " computes on GPUs");
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

    /**
     * {@code weight} and {@code weight_scale}, as the checkpoint holds them (converted to e4m3fnuz, with doubled
     * scales, on gfx942); the static input scale and the bias are not part of the layout.
     */
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
        return TritonFp8Kernel.ID + " layer K=" + config.k() + " N=" + config.n() + " " + config.weightQuant() + " x " + config.activationQuant() + " "
                + config.inputType().name() + " -> " + config.outputType().name() + (config.bias() ? " bias" : "");
    }
}
