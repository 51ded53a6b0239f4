package dev.qlinear.exllama;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelImages;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A layer in the {@value ExllamaKernel#LAYOUT} layout in the memory of the device it was prepared on, which it owns.
 * Prepared into host memory (a device that allocates host tensors, standing in for a GPU to check the layout), it
 * holds the layout but cannot compute.
 */
final class ExllamaLayer implements PreparedLayer {

    /** Multiprocessors assumed when the platform carries no measured device (an H100 SXM has 132). */
    static final int DEFAULT_MULTIPROCESSORS = 132;
    /** Workspace bytes at most for split-K partial sums; plans use fewer splits rather than more. */
    static final long PARTIAL_BUDGET_BYTES = 16L << 20;

    private final WeightOnlyConfig config;
    private final Device device;
    private final Map<String, Tensor> layout;
    private final long deviceBytes;
    private final Optional<ExllamaLauncher> launcher;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Allocates the layer's tensors, owned by the layer, copies the packed host tensors into them and, on a GPU,
     * loads the kernels and reserves the workspace.
     *
     * @param functions the kernels loaded on a device, once per device
     */
    ExllamaLayer(WeightOnlyConfig config, ExllamaPacker.Packed packed, Device device, Function<Device, ExllamaFunctions> functions, KernelImages images,
            ExllamaSettings settings) {
        this.config = requireNonNull(config, "config is null");
        this.device = requireNonNull(device, "device is null");
        requireNonNull(packed, "packed is null");
        requireNonNull(functions, "functions is null");
        requireNonNull(images, "images is null");
        requireNonNull(settings, "settings is null");
        try {
            Tensor codes = device.allocateLike(this, packed.codes());
            Tensor scales = device.allocateLike(this, packed.scales());
            Optional<Tensor> perm = packed.perm().map(buffer -> device.allocateLike(this, buffer));
            Optional<Tensor> bias = packed.bias().map(buffer -> device.allocateLike(this, buffer));
            boolean onGpu = codes.memory() == MemoryKind.DEVICE;
            if (onGpu) {
                Verdict supported = images.check(device.platform());
                if (!supported.isAccepted()) {
                    throw new IllegalArgumentException(ExllamaKernel.ID + " cannot run on " + device.platform() + ": " + supported);
                }
            }
            ExecutionStream stream = device.defaultStream();
            device.copy(packed.codes(), codes, stream);
            device.copy(packed.scales(), scales, stream);
            packed.perm().ifPresent(buffer -> device.copy(buffer, perm.orElseThrow(), stream));
            packed.bias().ifPresent(buffer -> device.copy(buffer, bias.orElseThrow(), stream));
            // the host buffers are freed when prepare returns
            stream.synchronize();

            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("codes", codes);
            tensors.put("scales", scales);
            perm.ifPresent(tensor -> tensors.put("perm", tensor));
            this.layout = Collections.unmodifiableMap(tensors);
            long bytes = 0;
            for (Tensor tensor : tensors.values()) {
                bytes += bytes(tensor);
            }
            this.deviceBytes = bytes + bias.map(ExllamaLayer::bytes).orElse(0L);
            this.launcher = onGpu
                    ? Optional.of(launcher(codes, scales, perm, bias, functions.apply(device), settings, runsArchitectureSpecific(images)))
                    : Optional.empty();
        }
        catch (RuntimeException | Error e) {
            device.release(this);
            throw e;
        }
    }

    /** Whether the sm_90a image runs here (a 9.0 device): the tiled kernel and the overlapping decode launch need it. */
    private boolean runsArchitectureSpecific(KernelImages images) {
        return device.platform().architecture() instanceof Architecture.Cuda cuda && images.runsArchitectureSpecific(cuda.capability());
    }

    private ExllamaLauncher launcher(Tensor codes, Tensor scales, Optional<Tensor> perm, Optional<Tensor> bias, ExllamaFunctions functions,
            ExllamaSettings settings, boolean architectureSpecific) {
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

    private static long bytes(Tensor tensor) {
        return tensor.elementCount() * tensor.dtype().storageBytes();
    }

    void apply(Tensor input, Tensor output, ExecutionStream stream) {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
        if (launcher.isEmpty()) {
            throw new IllegalStateException(this + " was prepared into host memory, standing in for " + device.platform().spec()
                    + ", to check its layout: " + ExllamaKernel.ID + " computes on CUDA devices");
        }
        launcher.get().apply(input, output, stream);
    }

    @Override
    public WeightOnlyConfig config() {
        return config;
    }

    @Override
    public long deviceBytes() {
        return deviceBytes;
    }

    /** {@code codes}, {@code scales} and, under act-order, {@code perm}; the bias is not part of the layout. */
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
        return ExllamaKernel.LAYOUT + " layer K=" + config.k() + " N=" + config.n() + " " + config.weightType() + " group "
                + (config.isChannelwise() ? "channelwise" : config.groupSize()) + (config.actOrder() ? " act-order" : "");
    }
}
