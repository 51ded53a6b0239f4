package dev.qlinear.tritonw4a16;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.type.ScalarType;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Queues one prepared layer's kernels on a stream: the GEMM variant of M's tier (grid: N tiles, K splits, M tiles) and,
 * when K is split, the reduction of the partial sums in the workspace. The launch contract is
 * {@code src/main/triton/w4a16.py}'s. The arguments are made once and refilled per call and the plans of up to
 * {@value #CACHED_PLANS} rows are kept, so a call allocates nothing of its own; calls on one layer are serialized,
 * since they share the arguments.
 */
final class TritonW4a16Launcher {

    /** Plans are kept for up to this many rows; larger M, which never splits, plans per call. */
    static final int CACHED_PLANS = 1024;

    // w4a16_gemm's parameters
    static final int GEMM_X = 0;
    static final int GEMM_CODES = 1;
    static final int GEMM_SCALES = 2;
    static final int GEMM_ZEROS = 3;
    static final int GEMM_BIAS = 4;
    static final int GEMM_OUT = 5;
    static final int GEMM_PARTIALS = 6;
    static final int GEMM_M = 7;
    static final int GEMM_N = 8;
    static final int GEMM_K = 9;
    static final int GEMM_STRIDE_XM = 10;
    static final int GEMM_STRIDE_OM = 11;
    static final int GEMM_GROUP_SIZE = 12;
    static final int GEMM_K_PER_SPLIT = 13;
    static final int GEMM_HAS_BIAS = 14;
    // w4a16_reduce's parameters
    static final int REDUCE_PARTIALS = 0;
    static final int REDUCE_BIAS = 1;
    static final int REDUCE_OUT = 2;
    static final int REDUCE_M = 3;
    static final int REDUCE_N = 4;
    static final int REDUCE_STRIDE_OM = 5;
    static final int REDUCE_SPLITS = 6;
    static final int REDUCE_HAS_BIAS = 7;

    private final int k;
    private final int n;
    private final int groupSize;
    private final int multiprocessors;
    private final ScalarType activation;
    private final TritonW4a16Io io;
    private final Device device;
    private final List<TritonKernel> gemms;
    private final TritonKernel reduce;
    private final KernelArguments[] gemmArguments;
    private final KernelArguments reduceArguments;
    private final TritonW4a16Variants.Plan[] plans;

    /**
     * @param tensors the prepared layer's device tensors
     * @param gemms the GEMM variant of each tier of {@link TritonW4a16Variants#TIERS}, for this layer
     * @param reduce the reduction variant of the layer's activation type
     */
    TritonW4a16Launcher(WeightOnlyConfig config, PreparedTensors tensors, Device device, List<TritonKernel> gemms, TritonKernel reduce, int multiprocessors) {
        requireNonNull(config, "config is null");
        requireNonNull(tensors, "tensors is null");
        this.device = requireNonNull(device, "device is null");
        this.gemms = List.copyOf(requireNonNull(gemms, "gemms is null"));
        this.reduce = requireNonNull(reduce, "reduce is null");
        if (this.gemms.size() != TritonW4a16Variants.TIERS.size()) {
            throw new IllegalArgumentException("one GEMM variant per tier, " + TritonW4a16Variants.TIERS.size() + ", got " + this.gemms.size());
        }
        this.k = config.k();
        this.n = config.n();
        this.groupSize = TritonW4a16Kernel.groupSize(config);
        this.multiprocessors = multiprocessors;
        this.activation = config.activationType();
        this.io = new TritonW4a16Io(activation, k, n);
        this.plans = new TritonW4a16Variants.Plan[CACHED_PLANS + 1];

        int hasBias = tensors.bias() != 0 ? 1 : 0;
        // symmetric variants never read the zero points; they get a valid pointer all the same
        long zeros = tensors.zeroPoints() != 0 ? tensors.zeroPoints() : tensors.scales();
        this.gemmArguments = new KernelArguments[this.gemms.size()];
        for (int tier = 0; tier < gemmArguments.length; tier++) {
            gemmArguments[tier] = this.gemms.get(tier).newArguments()
                    .setPointer(GEMM_CODES, tensors.codes())
                    .setPointer(GEMM_SCALES, tensors.scales())
                    .setPointer(GEMM_ZEROS, zeros)
                    .setPointer(GEMM_BIAS, tensors.bias())
                    .setInt(GEMM_N, n)
                    .setInt(GEMM_K, k)
                    // the kernel reads group k0 / group_size: K itself makes one group
                    .setInt(GEMM_GROUP_SIZE, groupSize == WeightOnlyConfig.CHANNELWISE ? k : groupSize)
                    .setInt(GEMM_HAS_BIAS, hasBias);
        }
        this.reduceArguments = reduce.newArguments()
                .setPointer(REDUCE_BIAS, tensors.bias())
                .setInt(REDUCE_N, n)
                .setInt(REDUCE_HAS_BIAS, hasBias);
    }

    /** Device addresses of a prepared layer's tensors; 0 for one it does not have. */
    record PreparedTensors(long codes, long scales, long zeroPoints, long bias) {
    }

    synchronized void apply(Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(stream, "stream is null");
        int m = io.rows(input);
        io.requireOutput(output, m);
        TritonW4a16Variants.Plan plan = plan(m);
        long out = output.address();
        int strideX = m == 1 ? k : TritonW4a16Io.stride(input, "input");
        int strideOut = m == 1 ? n : TritonW4a16Io.stride(output, "output");
        // one split finishes the tile in the GEMM, which then never writes the partial sums
        long partials = plan.splits() > 1 ? device.workspace(stream, ScalarType.FLOAT32, plan.splits(), m, n).address() : out;
        KernelArguments gemm = gemmArguments[plan.tier()]
                .setPointer(GEMM_X, input.address())
                .setPointer(GEMM_OUT, out)
                .setPointer(GEMM_PARTIALS, partials)
                .setInt(GEMM_M, m)
                .setInt(GEMM_STRIDE_XM, strideX)
                .setInt(GEMM_STRIDE_OM, strideOut)
                .setInt(GEMM_K_PER_SPLIT, plan.kPerSplit());
        gemms.get(plan.tier()).launch(plan.gridX(), plan.splits(), plan.gridZ(), gemm, stream);
        if (plan.splits() > 1) {
            reduceArguments.setPointer(REDUCE_PARTIALS, partials)
                    .setPointer(REDUCE_OUT, out)
                    .setInt(REDUCE_M, m)
                    .setInt(REDUCE_STRIDE_OM, strideOut)
                    .setInt(REDUCE_SPLITS, plan.splits());
            reduce.launch(plan.reducePrograms(), 1, 1, reduceArguments, stream);
        }
    }

    private TritonW4a16Variants.Plan plan(int m) {
        if (m > CACHED_PLANS) {
            return TritonW4a16Variants.plan(m, n, k, groupSize, multiprocessors);
        }
        TritonW4a16Variants.Plan plan = plans[m];
        if (plan == null) {
            plan = TritonW4a16Variants.plan(m, n, k, groupSize, multiprocessors);
            plans[m] = plan;
        }
        return plan;
    }

    /** M of a device activation {@code [M, K]} of the activation type with unit stride along K. */
}
