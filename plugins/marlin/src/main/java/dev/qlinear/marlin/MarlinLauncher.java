package dev.qlinear.marlin;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Queues one prepared layer's kernels on a stream: up to {@value DecodePlan#MAX_ROWS} rows the decode kernel (and the
 * sum of the column blocks it split); up to {@code kernelRows} rows a GEMM kernel, the warpgroup kernel where the sm_90a
 * image runs and the sync-MMA kernel elsewhere (and the split-K sum when K is split), in chunks of at most
 * {@value #CHUNK_ROWS} rows; both after a gather of the activation under act-order or when the kernel cannot stream it
 * as it is. Above, dequantize + the device's dense GEMM (+ bias). The arguments and plans
 * are made once and refilled per call, so a call allocates no memory of its own and never waits for the device; calls
 * on one layer are serialized, since they share the arguments.
 */
final class MarlinLauncher {

    /**
     * Rows of one GEMM launch at most: larger M (an act-order layer, or a device without a dense GEMM) runs as
     * consecutive launches of as even a size as may be, so that the gathered activation in the workspace never exceeds
     * this many rows and no chunk is left to fewer than the GEMM kernel's rows.
     */
    static final int CHUNK_ROWS = 1024;
    /**
     * The workspace holds {@value MarlinPlan#MAX_SPLITS} splits of partial sums for this many rows (fewer when the GEMM
     * kernel runs fewer); plans of more rows split K less rather than need more.
     */
    static final int PARTIAL_ROWS = 64;
    private static final int ELEMENT_BYTES = 2;
    /** {@code DEQUANTIZE_THREADS} of the kernel. */
    static final int DEQUANTIZE_THREADS = 128;

    private final int k;
    private final int n;
    private final int maxRows;
    private final int kernelRows;
    private final int multiprocessors;
    private final long partialFloatBudget;
    private final boolean hasBias;
    private final boolean actOrder;
    private final boolean warpgroupKernel;
    private final boolean overlappingDecode;
    private final ScalarType type;
    private final Device device;
    private final Optional<DenseGemm> gemm;
    private final GpuFunction gemmFunction;
    private final GpuFunction[] warpgroupFunctions;
    private final GpuFunction[] decodeFunctions;
    private final GpuFunction decodeReduceFunction;
    private final GpuFunction reduceFunction;
    private final GpuFunction gatherFunction;
    private final GpuFunction dequantizeFunction;
    private final GpuFunction addBiasFunction;
    private final KernelArguments decode = new KernelArguments(MarlinFunctions.DECODE);
    private final KernelArguments decodeReduce = new KernelArguments(MarlinFunctions.DECODE_REDUCE);
    private final KernelArguments gemmArguments = new KernelArguments(MarlinFunctions.GEMM);
    private final KernelArguments warpgroupArguments = new KernelArguments(MarlinFunctions.WARPGROUP_GEMM);
    private final KernelArguments reduce = new KernelArguments(MarlinFunctions.REDUCE);
    private final KernelArguments gather = new KernelArguments(MarlinFunctions.GATHER);
    private final KernelArguments dequantize = new KernelArguments(MarlinFunctions.DEQUANTIZE);
    private final KernelArguments addBias = new KernelArguments(MarlinFunctions.ADD_BIAS);
    private final DecodePlan[] decodePlans = new DecodePlan[DecodePlan.MAX_ROWS + 1];
    private final MarlinPlan[] plans;
    private final LaunchConfig dequantizeLaunch;
    private int biasRows;
    private LaunchConfig biasLaunch;

    /**
     * @param groupSize rows per group, K with one group
     * @param tensors the prepared layer's device tensors
     * @param gemm the dense GEMM of the large-M path, when it is used
     * @param kernelRows the largest M the GEMM kernel runs; larger M goes to {@code gemm}
     * @param warpgroupKernel whether the warpgroup kernel runs the GEMM path (the sm_90a image runs here)
     * @param overlappingDecode whether the decode kernel that runs here waits for the work ahead of it (the sm_90a
     *        image does), so that its launches may overlap that work
     */
    MarlinLauncher(WeightOnlyConfig config, int groupSize, PreparedTensors tensors, Device device, MarlinFunctions functions, Optional<DenseGemm> gemm,
            int kernelRows, int maxRows, int multiprocessors, boolean warpgroupKernel, boolean overlappingDecode) {
        requireNonNull(config, "config is null");
        requireNonNull(tensors, "tensors is null");
        requireNonNull(functions, "functions is null");
        this.device = requireNonNull(device, "device is null");
        this.gemm = requireNonNull(gemm, "gemm is null");
        if (gemm.isEmpty() && kernelRows < maxRows) {
            throw new IllegalArgumentException("without a dense GEMM the kernel runs every M up to " + maxRows + ", got kernel rows " + kernelRows);
        }
        this.k = config.k();
        this.n = config.n();
        this.maxRows = maxRows;
        this.kernelRows = kernelRows;
        this.multiprocessors = multiprocessors;
        this.partialFloatBudget = partialFloatBudget(n, kernelRows);
        this.hasBias = tensors.bias() != 0;
        this.actOrder = config.actOrder();
        this.warpgroupKernel = warpgroupKernel;
        this.overlappingDecode = overlappingDecode;
        this.type = config.activationType();
        boolean zeroPoints = tensors.zeros() != 0;
        this.gemmFunction = functions.gemm(type, zeroPoints);
        this.warpgroupFunctions = MarlinPlan.WARPGROUP_BLOCK_ROWS.stream().map(rows -> functions.warpgroupGemm(type, zeroPoints, rows))
                .toArray(GpuFunction[]::new);
        this.decodeFunctions = new GpuFunction[] {functions.decode(type, zeroPoints, 1), functions.decode(type, zeroPoints, 2)};
        this.decodeReduceFunction = functions.decodeReduce(type);
        this.reduceFunction = functions.reduce(type);
        this.gatherFunction = functions.gather(type);
        this.dequantizeFunction = functions.dequantize(type, zeroPoints);
        this.addBiasFunction = functions.addBias(type);
        this.plans = new MarlinPlan[Math.min(kernelRows, CHUNK_ROWS) + 1];
        // a block of 128 threads per 16 x 64 tile of the weight (a word each)
        this.dequantizeLaunch = LaunchConfig.linear(Math.toIntExact((long) k / 16 * (n / 64)), DEQUANTIZE_THREADS, 0);

        decode.setInt(3, k).setInt(4, n).setPointer(5, tensors.codes()).setPointer(6, tensors.scales()).setPointer(7, tensors.zeros()).setInt(8, groupSize)
                .setPointer(9, tensors.bias());
        decodeReduce.setInt(2, n).setPointer(5, tensors.bias());
        gemmArguments.setInt(3, k).setInt(4, n).setPointer(5, tensors.codes()).setPointer(6, tensors.scales()).setPointer(7, tensors.zeros())
                .setInt(8, groupSize).setPointer(9, tensors.bias());
        if (warpgroupKernel) {
            warpgroupArguments.setTensorMap(1, MarlinPlan.warpgroupWords(n), tensors.codes(), k / 16, 8L * n)
                    .setTensorMap(2, MarlinPlan.warpgroupScales(type, n, k, groupSize), tensors.scales(), MarlinPlan.scaleRows(k, groupSize), ELEMENT_BYTES * n);
        }
        warpgroupArguments.setInt(4, k).setInt(5, n).setPointer(6, tensors.codes()).setPointer(7, tensors.scales()).setPointer(8, tensors.zeros())
                .setInt(9, groupSize).setPointer(10, tensors.bias());
        reduce.setInt(3, n).setPointer(4, tensors.bias());
        gather.setInt(3, k).setPointer(4, tensors.order());
        dequantize.setPointer(0, tensors.codes()).setPointer(1, tensors.scales()).setPointer(2, tensors.zeros()).setInt(3, groupSize).setInt(4, k).setInt(5, n);
        addBias.setInt(2, n).setPointer(3, tensors.bias());
    }

    /**
     * Device addresses of a prepared layer's tensors; 0 for one it does not have.
     *
     * @param order the rows the gather copies the activation's columns in: {@code perm} under act-order, else 0..K-1
     */
    record PreparedTensors(long codes, long scales, long zeros, long order, long bias) {
    }

    /** Float32 workspace elements for partial sums: {@value MarlinPlan#MAX_SPLITS} splits of up to {@value #PARTIAL_ROWS} rows. */
    static long partialFloatBudget(int n, int kernelRows) {
        return (long) MarlinPlan.MAX_SPLITS * Math.min(kernelRows, PARTIAL_ROWS) * n;
    }

    /**
     * The workspace a layer needs: the decode kernel's partial sums and gathered activation; a gathered activation of
     * one chunk and the partial sums for the GEMM kernel, when it runs; the weight {@code [K, N]} in the activation type
     * for the dense path.
     */
    static long workspaceBytes(int k, int n, int kernelRows, boolean denseGemm, int multiprocessors) {
        long gemmKernel = kernelRows > DecodePlan.MAX_ROWS
                ? (long) ELEMENT_BYTES * Math.min(kernelRows, CHUNK_ROWS) * k + 4 * partialFloatBudget(n, kernelRows)
                : 0;
        long kernels = Math.max(DecodePlan.workspaceBytes(k, multiprocessors), gemmKernel);
        return Math.max(kernels, denseGemm ? (long) ELEMENT_BYTES * k * n : 0);
    }

    /**
     * Rows of each GEMM chunk but the last of a call of {@code m} rows: the fewest chunks of at most
     * {@value #CHUNK_ROWS}, evened out, so that the last one never has {@value DecodePlan#MAX_ROWS} rows or fewer.
     */
    static int chunkRows(int m) {
        return MarlinPlan.ceilDiv(m, MarlinPlan.ceilDiv(m, CHUNK_ROWS));
    }

    synchronized void apply(Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(stream, "stream is null");
        int m = rows(input);
        requireOutput(output, m);
        if (m <= DecodePlan.MAX_ROWS) {
            applyDecode(input, output, m, stream);
        }
        else if (m <= kernelRows) {
            applyKernel(input, output, m, stream);
        }
        else {
            applyDequantized(input, output, m, stream);
        }
    }

    /**
     * The decode kernel, and the sum of the column blocks it split. The workspace holds the partial sums first, then
     * the gathered activation (M times K elements; the partial sums are a multiple of 2 KB).
     */
    private void applyDecode(Tensor input, Tensor output, int m, ExecutionStream stream) {
        DecodePlan plan = decodePlans[m];
        if (plan == null) {
            plan = DecodePlan.of(m, k, n, multiprocessors, overlappingDecode);
            decodePlans[m] = plan;
        }
        long x = input.address();
        long ldx = m == 1 ? k : input.stride(0);
        boolean gathered = actOrder || x % 16 != 0 || ldx % 8 != 0;
        long gatheredBytes = gathered ? (long) ELEMENT_BYTES * m * k : 0;
        // the kernel takes the partial sums' address always and writes them only for the column blocks it splits
        long partials = device.workspace(stream, ScalarType.FLOAT32, plan.partialFloats() + gatheredBytes / 4).address();
        if (gathered) {
            long copy = partials + 4 * plan.partialFloats();
            gather.setPointer(0, x).setLong(1, ldx).setInt(2, m).setPointer(5, copy);
            gatherFunction.launch(plan.gather(), gather, stream);
            x = copy;
            ldx = k;
        }
        decode.setPointer(0, x).setLong(1, ldx).setInt(2, m).setPointer(10, output.address()).setPointer(11, partials);
        decodeFunctions[plan.tokenTiles() - 1].launch(plan.launch(), decode, stream);
        if (plan.reduce().isPresent()) {
            decodeReduce.setPointer(0, partials).setInt(1, m).setInt(3, plan.unitsPerColumn()).setInt(4, plan.launch().gridX())
                    .setPointer(6, output.address());
            decodeReduceFunction.launch(plan.reduce().get(), decodeReduce, stream);
        }
    }

    /**
     * The GEMM kernel over chunks of rows. The workspace holds the gathered chunk first (its rows times K elements,
     * a multiple of 256 bytes), then the partial sums.
     */
    private void applyKernel(Tensor input, Tensor output, int m, ExecutionStream stream) {
        long x = input.address();
        long ldx = input.stride(0);
        boolean gathered = actOrder || x % 16 != 0 || ldx % 8 != 0;
        int chunk = chunkRows(m);
        long partialFloats = plan(chunk).partialFloats();
        if (m % chunk != 0) {
            partialFloats = Math.max(partialFloats, plan(m % chunk).partialFloats());
        }
        long gatheredBytes = gathered ? (long) ELEMENT_BYTES * chunk * k : 0;
        long scratch = 0;
        if (gatheredBytes + partialFloats > 0) {
            scratch = device.workspace(stream, ScalarType.FLOAT32, gatheredBytes / 4 + partialFloats).address();
        }
        long partials = scratch + gatheredBytes;
        for (int first = 0; first < m; first += chunk) {
            int rows = Math.min(chunk, m - first);
            MarlinPlan plan = plan(rows);
            long rowsX = x + ELEMENT_BYTES * first * ldx;
            long rowsStride = ldx;
            if (gathered) {
                gather.setPointer(0, rowsX).setLong(1, ldx).setInt(2, rows).setPointer(5, scratch);
                gatherFunction.launch(plan.gather(), gather, stream);
                rowsX = scratch;
                rowsStride = k;
            }
            long out = output.address() + (long) ELEMENT_BYTES * first * n;
            long rowPartials = plan.splits() > 1 ? partials : 0;
            if (plan.activation().isPresent()) {
                warpgroupArguments.setTensorMap(0, plan.activation().get(), rowsX, rows, ELEMENT_BYTES * rowsStride).setInt(3, rows).setPointer(11, out)
                        .setPointer(12, rowPartials).setInt(13, plan.stagesPerSplit());
                warpgroupFunctions[MarlinPlan.WARPGROUP_BLOCK_ROWS.indexOf(plan.blockRows())].launch(plan.gemm(), warpgroupArguments, stream);
            }
            else {
                gemmArguments.setPointer(0, rowsX).setLong(1, rowsStride).setInt(2, rows).setPointer(10, out).setPointer(11, rowPartials)
                        .setInt(12, plan.stagesPerSplit());
                gemmFunction.launch(plan.gemm(), gemmArguments, stream);
            }
            if (plan.reduce().isPresent()) {
                reduce.setPointer(0, partials).setInt(1, plan.splits()).setInt(2, rows).setPointer(5, out);
                reduceFunction.launch(plan.reduce().get(), reduce, stream);
            }
        }
    }

    private void applyDequantized(Tensor input, Tensor output, int m, ExecutionStream stream) {
        Tensor weight = device.workspace(stream, type, k, n);
        dequantize.setPointer(6, weight.address());
        dequantizeFunction.launch(dequantizeLaunch, dequantize, stream);
        gemm.orElseThrow().multiply(input, weight, output, stream);
        if (hasBias) {
            addBias.setPointer(0, output.address()).setInt(1, m);
            addBiasFunction.launch(biasLaunch(m), addBias, stream);
        }
    }

    /** The GEMM kernel's plan of a chunk of {@code rows} rows (more than {@value DecodePlan#MAX_ROWS}), made once. */
    private MarlinPlan plan(int rows) {
        MarlinPlan plan = plans[rows];
        if (plan == null) {
            plan = warpgroupKernel
                    ? MarlinPlan.warpgroup(rows, k, n, type, multiprocessors, partialFloatBudget)
                    : MarlinPlan.of(rows, k, n, multiprocessors, partialFloatBudget);
            plans[rows] = plan;
        }
        return plan;
    }

    /** One thread per output element. */
    private LaunchConfig biasLaunch(int m) {
        if (biasLaunch == null || biasRows != m) {
            biasLaunch = LaunchConfig.linear(Math.toIntExact(MarlinPlan.ceilDiv((long) m * n, MarlinPlan.THREADS)), MarlinPlan.THREADS, 0);
            biasRows = m;
        }
        return biasLaunch;
    }

    /** M of a device activation {@code [M, K]} of the layer's type with unit stride along K. */
    private int rows(Tensor input) {
        requireNonNull(input, "input is null");
        if (input.rank() != 2 || input.size(1) != k || !input.dtype().equals(type)) {
            throw new IllegalArgumentException("input must be " + type.name() + " [M, K=" + k + "], got " + describe(input));
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
        if (input.address() % ELEMENT_BYTES != 0) {
            throw new IllegalArgumentException("input address 0x" + Long.toHexString(input.address()) + " is not aligned to its 2-byte elements");
        }
        return (int) m;
    }

    private void requireOutput(Tensor output, int m) {
        requireNonNull(output, "output is null");
        if (output.rank() != 2 || output.size(0) != m || output.size(1) != n || !output.dtype().equals(type)) {
            throw new IllegalArgumentException("output must be " + type.name() + " [M=" + m + ", N=" + n + "], got " + describe(output));
        }
        if (!output.isContiguous()) {
            throw new IllegalArgumentException("output must be contiguous, got strides [" + output.stride(0) + ", " + output.stride(1) + "]");
        }
        requireDevice(output, "output");
        if (output.address() % 4 != 0) {
            throw new IllegalArgumentException("output address 0x" + Long.toHexString(output.address()) + " must be 4-byte aligned: the kernel stores two outputs at once");
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
