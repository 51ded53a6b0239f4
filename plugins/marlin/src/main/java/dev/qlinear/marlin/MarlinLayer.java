package dev.qlinear.marlin;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.HostBuffer;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelImages;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.DeviceLayer;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.type.ScalarType;

import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the {@value MarlinKernel#LAYOUT} layout in the memory of the device it was prepared on, which it owns;
 * the layout tensors are {@code codes}, {@code scales}, {@code zeros} with zero points and {@code perm} under act-order
 * (the bias is not part of the layout). Prepared into host memory (a device that allocates host tensors, standing in for a GPU to check the layout), it
 * holds the layout but cannot compute.
 */
final class MarlinLayer extends DeviceLayer<WeightOnlyConfig> {

    /** Multiprocessors assumed when the platform carries no measured device (an H100 SXM has 132). */
    static final int DEFAULT_MULTIPROCESSORS = 132;

    private final Optional<MarlinLauncher> launcher;

    /**
     * Allocates the layer's tensors, owned by the layer, and fills them: on a GPU by uploading the packed host tensors
     * and repacking the GPTQ words on the device (then the kernels are loaded and the workspace reserved), into host
     * memory by copying the codes the plugin packs itself.
     *
     * @param functions the kernels loaded on a device, once per device
     */
    MarlinLayer(WeightOnlyConfig config, MarlinPacker.Packed packed, Device device, Function<Device, MarlinFunctions> functions, KernelImages images,
            MarlinSettings settings) {
        super(config, device);
        requireNonNull(packed, "packed is null");
        requireNonNull(functions, "functions is null");
        requireNonNull(images, "images is null");
        requireNonNull(settings, "settings is null");
        int k = config.k();
        int n = config.n();
        try {
            Tensor codes = allocate(ScalarType.INT32, k / MarlinPacker.TILE_K, 2L * n);
            boolean onGpu = codes.memory() == MemoryKind.DEVICE;
            if (onGpu) {
                Verdict supported = images.check(device.platform());
                if (!supported.isAccepted()) {
                    throw new IllegalArgumentException(MarlinKernel.ID + " cannot run on " + device.platform() + ": " + supported);
                }
            }
            Tensor scales = upload(packed.scales());
            Optional<Tensor> zeros = packed.zeros().map(this::upload);
            Optional<Tensor> perm = packed.perm().map(this::upload);
            Optional<Tensor> bias = packed.bias().map(this::upload);
            // the gather of an unaligned activation copies its columns in this order when the layer has no perm
            Optional<Tensor> identity = onGpu && perm.isEmpty() ? Optional.of(uploadIdentity(k)) : Optional.empty();
            ExecutionStream stream = device.defaultStream();
            if (onGpu) {
                MarlinFunctions loaded = functions.apply(device);
                repack(packed, perm, codes, loaded, stream);
                this.launcher = Optional.of(newLauncher(codes, scales, zeros, perm.or(() -> identity).orElseThrow(), bias, loaded, settings,
                        runsArchitectureSpecific(images)));
            }
            else {
                try (Arena arena = Arena.ofConfined()) {
                    device.copy(packed.marlinCodes(arena), codes, stream);
                    stream.synchronize();
                }
                this.launcher = Optional.empty();
            }
            // the packed host buffers are freed when prepare returns
            stream.synchronize();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("codes", codes);
            tensors.put("scales", scales);
            zeros.ifPresent(tensor -> tensors.put("zeros", tensor));
            perm.ifPresent(tensor -> tensors.put("perm", tensor));
            layout(tensors);
        }
        catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Uploads the GPTQ words into memory of their own and runs {@code marlin_repack_w4} into {@code codes}, one thread
     * per output word; waits for it, then frees the words.
     */
    private void repack(MarlinPacker.Packed packed, Optional<Tensor> perm, Tensor codes, MarlinFunctions functions, ExecutionStream stream) {
        Device device = device();
        Object staging = new Object();
        try {
            Tensor gptq = stage(staging, packed.gptq());
            KernelArguments arguments = new KernelArguments(MarlinFunctions.REPACK).setPointer(0, gptq.address())
                    .setPointer(1, perm.map(Tensor::address).orElse(0L)).setInt(2, config().k()).setInt(3, config().n()).setPointer(4, codes.address());
            int blocks = Math.toIntExact(MarlinPlan.ceilDiv(codes.elementCount(), MarlinPlan.THREADS));
            functions.repack().launch(LaunchConfig.linear(blocks, MarlinPlan.THREADS, 0), arguments, stream);
            stream.synchronize();
        }
        finally {
            device.release(staging);
        }
    }

    /** Whether the sm_90a image runs here (a 9.0 device): the warpgroup kernel and the overlapping decode launches need it. */
    private boolean runsArchitectureSpecific(KernelImages images) {
        return device().platform().architecture() instanceof Architecture.Cuda cuda && images.runsArchitectureSpecific(cuda.capability());
    }

    private MarlinLauncher newLauncher(Tensor codes, Tensor scales, Optional<Tensor> zeros, Tensor order, Optional<Tensor> bias, MarlinFunctions functions,
            MarlinSettings settings, boolean architectureSpecific) {
        WeightOnlyConfig config = config();
        Device device = device();
        int groupSize = config.groupCount() == 1 ? config.k() : config.groupSize();
        int kernelMaxRows = settings.kernelMaxRows(architectureSpecific);
        boolean dense = kernelMaxRows < settings.maxRows() && !config.actOrder();
        Optional<DenseGemm> gemm = dense ? device.denseGemm() : Optional.empty();
        int kernelRows = gemm.isPresent() ? kernelMaxRows : settings.maxRows();
        int multiprocessors = device.platform().device().map(DeviceProperties::computeUnits).orElse(DEFAULT_MULTIPROCESSORS);
        device.reserveWorkspace(MarlinLauncher.workspaceBytes(config.k(), config.n(), kernelRows, gemm.isPresent(), multiprocessors));
        MarlinLauncher.PreparedTensors addresses = new MarlinLauncher.PreparedTensors(codes.address(), scales.address(), zeros.map(Tensor::address).orElse(0L),
                order.address(), bias.map(Tensor::address).orElse(0L));
        return new MarlinLauncher(config, groupSize, addresses, device, functions, gemm, kernelRows, settings.maxRows(), multiprocessors,
                architectureSpecific, architectureSpecific && settings.overlapLaunches());
    }

    private Tensor uploadIdentity(int k) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor tensor = upload(MarlinPacker.identity(k, arena));
            finishUploads();
            return tensor;
        }
    }

    /** A copy of {@code buffer} owned by {@code owner}, such as staging memory released after the repack. */
    private Tensor stage(Object owner, HostBuffer buffer) {
        Device device = device();
        Tensor tensor = device.allocateLike(owner, buffer);
        device.copy(buffer, tensor, device.defaultStream());
        return tensor;
    }

    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        launcher(launcher, MarlinKernel.ID + " computes on CUDA devices").apply(input, output, stream);
    }

    @Override
    public String toString() {
        WeightOnlyConfig config = config();
        return MarlinKernel.LAYOUT + " layer K=" + config.k() + " N=" + config.n() + " " + config.weightType() + " " + config.activationType() + " group "
                + (config.isChannelwise() ? "channelwise" : config.groupSize()) + (config.actOrder() ? " act-order" : "");
    }
}
