package dev.qlinear.tritonfp8;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.DeviceLayer;
import dev.qlinear.spi.platform.DeviceProperties;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the memory of the device it was prepared on, which it owns: the weight {@code [N, K]}, its fp32 scales,
 * and the static input scale and the bias when the layer has them. The layout tensors are {@code weight} and
 * {@code weight_scale}, as the checkpoint holds them (converted to e4m3fnuz, with doubled scales, on gfx942). Prepared
 * into host memory (a device that allocates host tensors, standing in for a GPU to check the layout), it holds the
 * layout but cannot compute.
 */
final class TritonFp8Layer extends DeviceLayer<ScaledMmConfig> {

    /** Multiprocessors assumed when the platform carries no measured device (an H100 SXM has 132). */
    static final int DEFAULT_MULTIPROCESSORS = 132;

    private final Optional<TritonFp8Launcher> launcher;

    /**
     * Uploads the packed host tensors into tensors the layer owns; on a GPU also loads the kernels and reserves the
     * workspace.
     *
     * @param functions loads the layer's variants on a GPU device (once per device)
     * @param maxRows the largest M of a call
     */
    TritonFp8Layer(ScaledMmConfig config, TritonFp8Packer.Packed packed, Device device, Function<Device, TritonFp8Functions> functions, int maxRows) {
        super(config, device);
        requireNonNull(packed, "packed is null");
        requireNonNull(functions, "functions is null");
        try {
            Tensor weight = upload(packed.weight());
            Tensor weightScale = upload(packed.weightScale());
            Optional<Tensor> inputScale = packed.inputScale().map(this::upload);
            Optional<Tensor> bias = packed.bias().map(this::upload);
            // the host buffers are freed when prepare returns
            finishUploads();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("weight", weight);
            tensors.put("weight_scale", weightScale);
            layout(tensors);
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
            close();
            throw e;
        }
    }

    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        launcher(launcher, TritonFp8Kernel.ID + " computes on GPUs").apply(input, output, stream);
    }

    @Override
    public String toString() {
        ScaledMmConfig config = config();
        return TritonFp8Kernel.ID + " layer K=" + config.k() + " N=" + config.n() + " " + config.weightQuant() + " x " + config.activationQuant() + " "
                + config.inputType().name() + " -> " + config.outputType().name() + (config.bias() ? " bias" : "");
    }
}
