package dev.qlinear.exllama;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Queues one prepared layer's kernels on a stream: the decode kernel (and the sum of the column blocks it split; a
 * gather of the activation first under act-order or when it is not 16-byte aligned) up to {@value DecodePlan#MAX_ROWS}
 * rows; where the sm_90a image
 * runs and the layer fits it, the tiled kernel (likewise) up to {@value TiledPlan#MAX_ROWS} rows; otherwise the fused
 * kernel (and its split-K reduction) up to {@code fusedMaxRows} rows; dequantize + the device's dense GEMM (+ bias)
 * above, or the fused kernel for every larger M when the device has no dense GEMM. The arguments and plans are made once and refilled per call, so a call allocates
 * nothing of its own; calls on one layer are serialized, since they share the arguments.
 */
final class ExllamaLauncher {

    /** Fused plans are kept for up to this many rows; larger M (only without a dense GEMM) plans per call. */
    private static final int CACHED_PLANS = 1024;

    private final int bits;
    private final int k;
    private final int n;
    private final int maxRows;
    private final int fusedMaxRows;
    private final int multiprocessors;
    private final long partialBytes;
    private final boolean hasBias;
    private final boolean actOrder;
    private final boolean tiledKernel;
    private final boolean overlappingDecode;
    private final Device device;
    private final ExllamaFunctions functions;
    private final Optional<DenseGemm> gemm;
    private final KernelArguments decode = new KernelArguments(ExllamaFunctions.DECODE);
    private final KernelArguments decodeReduce = new KernelArguments(ExllamaFunctions.DECODE_REDUCE);
    private final KernelArguments gather = new KernelArguments(ExllamaFunctions.GATHER);
    private final DecodePlan[] decodePlans = new DecodePlan[DecodePlan.MAX_ROWS + 1];
    private final KernelArguments tiled = new KernelArguments(ExllamaFunctions.TILED);
    private final TiledPlan[] tiledPlans = new TiledPlan[TiledPlan.MAX_ROWS + 1];
    private final KernelArguments fused = new KernelArguments(ExllamaFunctions.FUSED);
    private final KernelArguments reduce = new KernelArguments(ExllamaFunctions.REDUCE);
    private final KernelArguments dequantize = new KernelArguments(ExllamaFunctions.DEQUANTIZE);
    private final KernelArguments addBias = new KernelArguments(ExllamaFunctions.ADD_BIAS);
    private final FusedPlan[] fusedPlans;
    private int dequantizedRows;
    private DequantizePlan dequantizePlan;

    /**
     * @param tensors the prepared layer's device tensors
     * @param groupSize rows per group, K when channelwise
     * @param partialBytes workspace bytes reserved for split-K partial sums
     * @param tiledKernel whether the tiled kernel computes on this device for this layer
     * @param overlappingDecode whether the decode kernel that runs here waits for the work ahead of it (the sm_90a
     *        image does), so that its launch may overlap that work
     */
    ExllamaLauncher(WeightOnlyConfig config, int groupSize, PreparedTensors tensors, Device device, ExllamaFunctions functions, Optional<DenseGemm> gemm,
            ExllamaSettings settings, int multiprocessors, long partialBytes, boolean tiledKernel, boolean overlappingDecode) {
        requireNonNull(config, "config is null");
        requireNonNull(tensors, "tensors is null");
        this.device = requireNonNull(device, "device is null");
        this.functions = requireNonNull(functions, "functions is null");
        this.gemm = requireNonNull(gemm, "gemm is null");
        requireNonNull(settings, "settings is null");
        this.bits = config.weightType().sizeBits();
        this.k = config.k();
        this.n = config.n();
        this.maxRows = settings.maxRows();
        this.fusedMaxRows = gemm.isPresent() ? settings.fusedMaxRows() : maxRows;
        this.multiprocessors = multiprocessors;
        this.partialBytes = partialBytes;
        this.hasBias = tensors.bias() != 0;
        this.actOrder = tensors.perm() != 0;
        this.tiledKernel = tiledKernel;
        this.overlappingDecode = overlappingDecode;
        this.fusedPlans = new FusedPlan[Math.min(fusedMaxRows, CACHED_PLANS) + 1];

        decode.setInt(3, k).setInt(4, n).setPointer(5, tensors.codes()).setPointer(6, tensors.scales()).setInt(7, groupSize).setPointer(8, tensors.bias());
        decodeReduce.setInt(2, n).setPointer(5, tensors.bias());
        if (tiledKernel) {
            tiled.setTensorMap(1, TiledPlan.words(n), tensors.codes(), k / 8, 4L * n);
        }
        tiled.setInt(3, k).setInt(4, n).setPointer(5, tensors.scales()).setInt(6, groupSize).setPointer(7, tensors.bias());
        gather.setInt(3, k).setPointer(4, tensors.perm());
        fused.setInt(3, k).setInt(4, n).setPointer(5, tensors.codes()).setPointer(6, tensors.scales()).setInt(7, groupSize)
                .setPointer(8, tensors.perm()).setPointer(9, tensors.bias());
        reduce.setInt(3, n).setPointer(5, tensors.bias());
        dequantize.setPointer(0, tensors.codes()).setPointer(1, tensors.scales()).setInt(2, groupSize).setPointer(3, tensors.perm()).setInt(4, k)
                .setInt(5, n).setInt(6, 0).setInt(7, n);
        addBias.setInt(2, n).setPointer(3, tensors.bias());
    }

    /** Device addresses of a prepared layer's tensors; 0 for one it does not have. */
    record PreparedTensors(long codes, long scales, long perm, long bias) {
    }

    /**
     * The workspace a layer needs: the decode kernel's partial sums and gathered activation, the tiled kernel's
     * gathered activation, the fused kernel's partial sums, and the fp16 weight when the dense path is used.
     */
    static long workspaceBytes(int k, int n, boolean denseGemm, boolean tiledKernel, long partialBytes, int multiprocessors) {
        long kernels = Math.max(Math.max(partialBytes, DecodePlan.workspaceBytes(k, multiprocessors)),
                tiledKernel ? TiledPlan.workspaceBytes(k, multiprocessors) : 0);
        return Math.max(kernels, denseGemm ? DequantizePlan.weightBytes(k, n) : 0);
    }

    synchronized void apply(Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(stream, "stream is null");
        int m = rows(input);
        requireOutput(output, m);
        if (m <= DecodePlan.MAX_ROWS) {
            applyDecode(input, output, m, stream);
        }
        else if (tiledKernel && m <= TiledPlan.MAX_ROWS) {
            applyTiled(input, output, m, stream);
        }
        else if (m <= fusedMaxRows) {
            applyFused(input, output, m, stream);
        }
        else {
            applyDequantized(input, output, m, stream);
        }
    }

    private void applyDecode(Tensor input, Tensor output, int m, ExecutionStream stream) {
        DecodePlan plan = decodePlans[m];
        if (plan == null) {
            plan = DecodePlan.of(bits, m, k, n, multiprocessors, overlappingDecode);
            decodePlans[m] = plan;
        }
        long x = input.address();
        long ldx = m == 1 ? k : input.stride(0);
        boolean gathered = actOrder || x % 16 != 0 || ldx % 8 != 0;
        Tensor scratch = scratch(stream, plan.partialFloats(), gathered, m);
        if (gathered) {
            x = gather(scratch, plan.partialFloats(), x, ldx, m, plan.gather(), stream);
            ldx = k;
        }
        decode.setPointer(0, x).setLong(1, ldx).setInt(2, m).setPointer(9, output.address()).setPointer(10, scratch.address());
        functions.decode(bits, plan.tokenTiles()).launch(plan.launch(), decode, stream);
        if (plan.reduce().isPresent()) {
            decodeReduce.setPointer(0, scratch.address()).setInt(1, m).setInt(3, plan.unitsPerColumn()).setInt(4, plan.launch().gridX())
                    .setPointer(6, output.address());
            functions.decodeReduce().launch(plan.reduce().get(), decodeReduce, stream);
        }
    }

    private void applyTiled(Tensor input, Tensor output, int m, ExecutionStream stream) {
        TiledPlan plan = tiledPlans[m];
        if (plan == null) {
            plan = TiledPlan.of(m, k, n, multiprocessors);
            tiledPlans[m] = plan;
        }
        long x = input.address();
        long ldx = input.stride(0);
        boolean gathered = actOrder || x % 16 != 0 || ldx % 8 != 0;
        Tensor scratch = scratch(stream, plan.partialFloats(), gathered, m);
        if (gathered) {
            x = gather(scratch, plan.partialFloats(), x, ldx, m, plan.gather(), stream);
            ldx = k;
        }
        long partials = plan.splits() > 1 ? scratch.address() : 0;
        tiled.setTensorMap(0, plan.activation(), x, m, 2 * ldx).setInt(2, m).setPointer(8, output.address()).setInt(9, plan.wholeColumns())
                .setInt(10, plan.stagesPerSplit()).setPointer(11, partials);
        functions.tiled(plan.blockRows()).launch(plan.launch(), tiled, stream);
        if (plan.reduce().isPresent()) {
            reduce.setPointer(0, partials).setInt(1, plan.splits()).setInt(2, m).setInt(4, plan.tailColumn()).setPointer(6, output.address());
            functions.reduce().launch(plan.reduce().get(), reduce, stream);
        }
    }

    /** The stream's workspace: partial sums first, then the gathered activation (2 halves per float; M K is even). */
    private Tensor scratch(ExecutionStream stream, long partialFloats, boolean gathered, int m) {
        return device.workspace(stream, ScalarType.FLOAT32, partialFloats + (gathered ? (long) m * k / 2 : 0));
    }

    /** Queues the contiguous, permuted copy of the activation past the partial sums; returns its address. */
    private long gather(Tensor scratch, long partialFloats, long x, long ldx, int m, LaunchConfig config, ExecutionStream stream) {
        long copy = scratch.address() + 4 * partialFloats;
        gather.setPointer(0, x).setLong(1, ldx).setInt(2, m).setPointer(5, copy);
        functions.gather().launch(config, gather, stream);
        return copy;
    }

    private void applyFused(Tensor input, Tensor output, int m, ExecutionStream stream) {
        FusedPlan plan = fusedPlan(m);
        long partials = plan.splits() > 1 ? device.workspace(stream, ScalarType.FLOAT32, plan.partialFloats()).address() : 0;
        long ldx = m == 1 ? k : input.stride(0);
        int vector = input.address() % 16 == 0 && ldx % 8 == 0 ? 1 : 0;
        fused.setPointer(0, input.address()).setLong(1, ldx).setInt(2, m).setPointer(10, output.address()).setPointer(11, partials)
                .setInt(12, plan.quadsPerSplit()).setInt(13, vector);
        functions.fused(bits, plan.tiles()).launch(plan.fused(), fused, stream);
        if (plan.reduce().isPresent()) {
            reduce.setPointer(0, partials).setInt(1, plan.splits()).setInt(2, m).setInt(4, 0).setPointer(6, output.address());
            functions.reduce().launch(plan.reduce().get(), reduce, stream);
        }
    }

    private void applyDequantized(Tensor input, Tensor output, int m, ExecutionStream stream) {
        DequantizePlan plan = dequantizePlan(m);
        Tensor weight = device.workspace(stream, ScalarType.FLOAT16, k, n);
        dequantize.setPointer(8, weight.address());
        functions.dequantize(bits).launch(plan.dequantize(), dequantize, stream);
        gemm.orElseThrow().multiply(input, weight, output, stream);
        if (hasBias) {
            addBias.setPointer(0, output.address()).setInt(1, m);
            functions.addBias().launch(plan.addBias(), addBias, stream);
        }
    }

    private FusedPlan fusedPlan(int m) {
        if (m >= fusedPlans.length) {
            return FusedPlan.of(bits, m, k, n, multiprocessors, partialBytes);
        }
        FusedPlan plan = fusedPlans[m];
        if (plan == null) {
            plan = FusedPlan.of(bits, m, k, n, multiprocessors, partialBytes);
            fusedPlans[m] = plan;
        }
        return plan;
    }

    private DequantizePlan dequantizePlan(int m) {
        if (dequantizePlan == null || dequantizedRows != m) {
            dequantizePlan = DequantizePlan.of(bits, m, k, n);
            dequantizedRows = m;
        }
        return dequantizePlan;
    }

    /** M of an fp16 device activation {@code [M, K]} with unit stride along K. */
    private int rows(Tensor input) {
        requireNonNull(input, "input is null");
        if (input.rank() != 2 || input.size(1) != k || !input.dtype().equals(ScalarType.FLOAT16)) {
            throw new IllegalArgumentException("input must be float16 [M, K=" + k + "], got " + describe(input));
        }
        long m = input.size(0);
        if (m < 1 || m > maxRows) {
            throw new IllegalArgumentException("input rows M must be in [1, " + maxRows + "], got M=" + m);
        }
        if (input.stride(1) != 1 || (m > 1 && input.stride(0) < k)) {
            throw new IllegalArgumentException("input must have unit stride along K and a row stride of at least K=" + k + ", got strides ["
                    + input.stride(0) + ", " + input.stride(1) + "]");
        }
        requireDevice(input, "input");
        if (input.address() % 2 != 0) {
            throw new IllegalArgumentException("input address 0x" + Long.toHexString(input.address()) + " is not aligned to its 2-byte elements");
        }
        return (int) m;
    }

    private void requireOutput(Tensor output, int m) {
        requireNonNull(output, "output is null");
        if (output.rank() != 2 || output.size(0) != m || output.size(1) != n || !output.dtype().equals(ScalarType.FLOAT16)) {
            throw new IllegalArgumentException("output must be float16 [M=" + m + ", N=" + n + "], got " + describe(output));
        }
        if (!output.isContiguous()) {
            throw new IllegalArgumentException("output must be contiguous, got strides [" + output.stride(0) + ", " + output.stride(1) + "]");
        }
        requireDevice(output, "output");
        if (output.address() % 16 != 0) {
            throw new IllegalArgumentException("output address 0x" + Long.toHexString(output.address()) + " must be 16-byte aligned: the kernels store 8 outputs at once");
        }
    }

    private static void requireDevice(Tensor tensor, String what) {
        if (tensor.memory() != MemoryKind.DEVICE) {
            throw new IllegalArgumentException(what + " must be in device memory, got " + tensor.memory() + " memory");
        }
    }

    static String describe(Tensor tensor) {
        StringBuilder text = new StringBuilder(tensor.dtype().name()).append('[');
        for (int dimension = 0; dimension < tensor.rank(); dimension++) {
            text.append(dimension == 0 ? "" : ", ").append(tensor.size(dimension));
        }
        return text.append(']').toString();
    }
}
