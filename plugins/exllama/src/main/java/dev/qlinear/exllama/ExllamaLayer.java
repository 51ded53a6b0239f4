package dev.qlinear.exllama;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelImages;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.DeviceLayer;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the {@value ExllamaKernel#LAYOUT} layout in the memory of the device it was prepared on, which it owns;
 * the layout tensors are {@code codes}, {@code scales} and, under act-order, {@code perm} (the bias is not part of the
 * layout). Prepared into host memory (a device that allocates host tensors, standing in for a GPU to check the layout), it
 * holds the layout but cannot compute.
 */
final class ExllamaLayer extends DeviceLayer<WeightOnlyConfig> {

    /** Multiprocessors assumed when the platform carries no measured device (an H100 SXM has 132). */
    static final int DEFAULT_MULTIPROCESSORS = 132;
    /** Workspace bytes at most for split-K partial sums; plans use fewer splits rather than more. */
    static final long PARTIAL_BUDGET_BYTES = 16L << 20;

    private final Optional<ExllamaLauncher> launcher;

    /**
     * Allocates the layer's tensors, owned by the layer, copies the packed host tensors into them and, on a GPU,
     * loads the kernels and reserves the workspace.
     *
     * @param functions the kernels loaded on a device, once per device
     */
    ExllamaLayer(WeightOnlyConfig config, ExllamaPacker.Packed packed, Device device, Function<Device, ExllamaFunctions> functions, KernelImages images,
            ExllamaSettings settings) {
        super(config, device);
        requireNonNull(packed, "packed is null");
        requireNonNull(functions, "functions is null");
        requireNonNull(images, "images is null");
        requireNonNull(settings, "settings is null");
        try {
            Tensor codes = upload(packed.codes());
            boolean onGpu = codes.memory() == MemoryKind.DEVICE;
            if (onGpu) {
                Verdict supported = images.check(device.platform());
                if (!supported.isAccepted()) {
                    throw new IllegalArgumentException(ExllamaKernel.ID + " cannot run on " + device.platform() + ": " + supported);
                }
            }
            Tensor scales = upload(packed.scales());
            Optional<Tensor> perm = packed.perm().map(this::upload);
            Optional<Tensor> bias = packed.bias().map(this::upload);
            // the host buffers are freed when prepare returns
            finishUploads();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("codes", codes);
            tensors.put("scales", scales);
            perm.ifPresent(tensor -> tensors.put("perm", tensor));
            layout(tensors);
            this.launcher = onGpu
                    ? Optional.of(newLauncher(codes, scales, perm, bias, functions.apply(device), settings, runsArchitectureSpecific(images)))
                    : Optional.empty();
        }
        catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Whether the sm_90a image runs here (a 9.0 device): the tiled kernel and the overlapping decode launch need it. */
    private boolean runsArchitectureSpecific(KernelImages images) {
        return device().platform().architecture() instanceof Architecture.Cuda cuda && images.runsArchitectureSpecific(cuda.capability());
    }

    private ExllamaLauncher newLauncher(Tensor codes, Tensor scales, Optional<Tensor> perm, Optional<Tensor> bias, ExllamaFunctions functions,
            ExllamaSettings settings, boolean architectureSpecific) {
        WeightOnlyConfig config = config();
        Device device = device();
        int groupSize = config.isChannelwise() ? config.k() : config.groupSize();
        boolean tiled = architectureSpecific && TiledPlan.fits(config.weightType().sizeBits(), config.k(), config.n(), groupSize);
        int k = config.k();
        int n = config.n();
        int bits = config.weightType().sizeBits();
        boolean dense = settings.fusedMaxRows() < settings.maxRows();
        Optional<DenseGemm> gemm = dense ? device.denseGemm() : Optional.empty();
        int fusedRows = gemm.isPresent() ? settings.fusedMaxRows() : settings.maxRows();
        int maxSplits = Math.max(1, k / FusedPlan.quadK(bits) / FusedPlan.MIN_QUADS_PER_SPLIT);
        long partialBytes = Math.min(PARTIAL_BUDGET_BYTES, 4L * n * Math.min(fusedRows, 64) * maxSplits);
        int multiprocessors = device.platform().device().map(DeviceProperties::computeUnits).orElse(DEFAULT_MULTIPROCESSORS);
        device.reserveWorkspace(ExllamaLauncher.workspaceBytes(k, n, gemm.isPresent(), tiled, partialBytes, multiprocessors));
        ExllamaLauncher.PreparedTensors addresses = new ExllamaLauncher.PreparedTensors(codes.address(), scales.address(),
                perm.map(Tensor::address).orElse(0L), bias.map(Tensor::address).orElse(0L));
        return new ExllamaLauncher(config, groupSize, addresses, device, functions, gemm, settings, multiprocessors, partialBytes, tiled,
                architectureSpecific && settings.overlapLaunches());
    }

    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        launcher(launcher, ExllamaKernel.ID + " computes on CUDA devices").apply(input, output, stream);
    }

    @Override
    public String toString() {
        WeightOnlyConfig config = config();
        return ExllamaKernel.LAYOUT + " layer K=" + config.k() + " N=" + config.n() + " " + config.weightType() + " group "
                + (config.isChannelwise() ? "channelwise" : config.groupSize()) + (config.actOrder() ? " act-order" : "");
    }
}
