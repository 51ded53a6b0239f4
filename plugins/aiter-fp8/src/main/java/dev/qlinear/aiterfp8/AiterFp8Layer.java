package dev.qlinear.aiterfp8;

import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.DeviceLayer;
import dev.qlinear.spi.type.ScalarType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the memory of the device it was prepared on, which it owns: the pre-shuffled weight, its fp32 scales
 * {@code [N]} and the bias. The layout tensors are {@code weight} (pre-shuffled, e4m3fnuz on gfx942) and
 * {@code weight_scale} (fp32 {@code [N]}, doubled where converted). On a device that calls host libraries it also holds the launcher through the shim. Prepared
 * into host memory (a device standing in for the GPU, to check the layout), or on a device that calls no host
 * libraries, it holds the layout but cannot compute: {@link #apply} says why.
 */
final class AiterFp8Layer extends DeviceLayer<ScaledMmConfig> {

    private final Optional<AiterFp8Launcher> launcher;
    private final String cannotCompute;

    /**
     * Uploads the packed host tensors into tensors the layer owns; in device memory
     * also loads the shim (once per device, through {@code shims}) and reserves the workspace.
     *
     * @param tuned the tuned rows of the layer's (N, K)
     * @param quantizedType the platform's FP8 type, which activations are quantized to
     * @param shims the shim on a device; throws {@link UnsupportedOperationException} where the device calls no host libraries
     */
    AiterFp8Layer(ScaledMmConfig config, AiterFp8Packer.Packed packed, Device device, TunedGemmTable.TunedShape tuned, ScalarType quantizedType,
            Function<Device, AiterShim> shims, int maxRows) {
        super(config, device);
        requireNonNull(packed, "packed is null");
        requireNonNull(tuned, "tuned is null");
        requireNonNull(quantizedType, "quantizedType is null");
        requireNonNull(shims, "shims is null");
        try {
            Tensor weight = upload(packed.weight());
            Tensor weightScale = upload(packed.weightScale());
            Optional<Tensor> bias = packed.bias().map(this::upload);
            // the host buffers are freed when prepare returns
            finishUploads();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("weight", weight);
            tensors.put("weight_scale", weightScale);
            layout(tensors);

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
            close();
            throw e;
        }
    }

    /**
     * @throws UnsupportedOperationException when the layer was prepared where the shim cannot run
     */
    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        requireOpen();
        if (launcher.isEmpty()) {
            throw new UnsupportedOperationException(cannotCompute);
        }
        launcher.get().apply(input, output, stream);
    }

    @Override
    public String toString() {
        ScaledMmConfig config = config();
        return AiterFp8Kernel.ID + " layer K=" + config.k() + " N=" + config.n() + (config.bias() ? " bias" : "");
    }
}
