package dev.qlinear.tritonw4a16;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.DeviceLayer;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the {@value TritonW4a16Kernel#LAYOUT} layout in the memory of the device it was prepared on, which it
 * owns; the layout tensors are {@code codes}, {@code scales} and, for uint4, {@code zero_points} (the bias is not part
 * of the layout). Prepared into host memory (a device that allocates host tensors, standing in for a GPU to check the layout), it
 * holds the layout but cannot compute.
 */
final class TritonW4a16Layer extends DeviceLayer<WeightOnlyConfig> {

    /** Multiprocessors assumed when the platform carries no measured device (an H100 SXM has 132). */
    static final int DEFAULT_MULTIPROCESSORS = 132;

    private final Optional<TritonW4a16Launcher> launcher;

    /**
     * Uploads the packed host tensors into tensors the layer owns and, on a GPU, loads the layer's variants and
     * reserves the workspace.
     *
     * @param kernels a variant loaded on a device, once per device
     */
    TritonW4a16Layer(WeightOnlyConfig config, TritonW4a16Packer.Packed packed, Device device, BiFunction<Device, String, TritonKernel> kernels,
            TritonImages images) {
        super(config, device);
        requireNonNull(packed, "packed is null");
        requireNonNull(kernels, "kernels is null");
        requireNonNull(images, "images is null");
        try {
            Tensor codes = upload(packed.codes());
            boolean onGpu = codes.memory() == MemoryKind.DEVICE;
            if (onGpu) {
                Verdict supported = images.check(device.platform(), TritonW4a16Kernel.variants(config));
                if (!supported.isAccepted()) {
                    throw new IllegalArgumentException(TritonW4a16Kernel.ID + " cannot run on " + device.platform() + ": " + supported);
                }
            }
            Tensor scales = upload(packed.scales());
            Optional<Tensor> zeroPoints = packed.zeroPoints().map(this::upload);
            Optional<Tensor> bias = packed.bias().map(this::upload);
            // the host buffers are freed when prepare returns
            finishUploads();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("codes", codes);
            tensors.put("scales", scales);
            zeroPoints.ifPresent(tensor -> tensors.put("zero_points", tensor));
            layout(tensors);
            this.launcher = onGpu ? Optional.of(newLauncher(config, device, codes, scales, zeroPoints, bias, kernels)) : Optional.empty();
        }
        catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    private static TritonW4a16Launcher newLauncher(WeightOnlyConfig config, Device device, Tensor codes, Tensor scales, Optional<Tensor> zeroPoints,
            Optional<Tensor> bias, BiFunction<Device, String, TritonKernel> kernels) {
        int groupSize = TritonW4a16Kernel.groupSize(config);
        int multiprocessors = device.platform().device().map(DeviceProperties::computeUnits).orElse(DEFAULT_MULTIPROCESSORS);
        device.reserveWorkspace(TritonW4a16Variants.workspaceBytes(config.n(), config.k(), groupSize, multiprocessors, TritonW4a16Kernel.MAX_ROWS));
        List<TritonKernel> gemms = new ArrayList<>();
        for (TritonW4a16Variants.Tier tier : TritonW4a16Variants.TIERS) {
            gemms.add(kernels.apply(device, TritonW4a16Variants.gemm(config.activationType(), config.zeroPoints(), groupSize, tier)));
        }
        TritonKernel reduce = kernels.apply(device, TritonW4a16Variants.reduce(config.activationType()));
        TritonW4a16Launcher.PreparedTensors addresses = new TritonW4a16Launcher.PreparedTensors(codes.address(), scales.address(),
                zeroPoints.map(Tensor::address).orElse(0L), bias.map(Tensor::address).orElse(0L));
        return new TritonW4a16Launcher(config, addresses, device, gemms, reduce, multiprocessors);
    }

    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        launcher(launcher, TritonW4a16Kernel.ID + " computes on CUDA and ROCm devices").apply(input, output, stream);
    }

    @Override
    public String toString() {
        WeightOnlyConfig config = config();
        return TritonW4a16Kernel.LAYOUT + " layer K=" + config.k() + " N=" + config.n() + " " + config.weightType() + " x " + config.activationType() + " group "
                + (config.isChannelwise() ? "channelwise" : config.groupSize()) + (config.zeroPoints() ? " zero points" : "");
    }
}
