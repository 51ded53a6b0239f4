package dev.qlinear.tritonfp8;

import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Queues one prepared layer's kernels on a stream, in chunks of at most {@value #CHUNK_ROWS} rows: {@code fp8_quantize}
 * writes the chunk's fp8 activations and their per-row scales into the stream's workspace, {@code fp8_gemm} of the
 * chunk's tile multiplies them by the weight, and where K is split {@code fp8_reduce} adds the partial sums in split
 * order. The workspace holds, from its start, the quantized chunk ({@code rows * K} bytes), its scales ({@code 4 * rows}
 * bytes) and the partial sums, each at a {@value #ALIGNMENT}-byte boundary. The arguments and plans are made once and
 * refilled per call, so a call allocates nothing of its own and never waits for the device; calls on one layer are
 * serialized, since they share the arguments.
 */
final class TritonFp8Launcher {

    /**
     * Rows quantized and multiplied per launch at most: larger M runs as consecutive chunks, so that the quantized
     * activations in the workspace never exceed {@code CHUNK_ROWS * K} bytes (28 MiB at K = 28672), whatever the
     * kernel's {@link TritonFp8Kernel#MAX_ROWS}. Every full chunk is a whole number of the largest tile's 256 rows.
     */
    static final int CHUNK_ROWS = 1024;
    /** Alignment of each region of the workspace. */
    static final int ALIGNMENT = 256;
    /** Alignment the images assume of every pointer and row ({@code divisibility} of {@code variants.py}). */
    static final int ALIGNED_BYTES = 16;

    // argument positions, from the parameter lists TritonFp8Functions checks every loaded manifest against
    private static final int QUANTIZE_X = argument(TritonFp8Functions.QUANTIZE_PARAMETERS, "x_ptr");
    private static final int QUANTIZE_Q = argument(TritonFp8Functions.QUANTIZE_PARAMETERS, "q_ptr");
    private static final int QUANTIZE_SCALES = argument(TritonFp8Functions.QUANTIZE_PARAMETERS, "scales_ptr");
    private static final int QUANTIZE_STATIC_SCALE = argument(TritonFp8Functions.QUANTIZE_PARAMETERS, "static_scale_ptr");
    private static final int QUANTIZE_K = argument(TritonFp8Functions.QUANTIZE_PARAMETERS, "K");
    private static final int QUANTIZE_STRIDE_X = argument(TritonFp8Functions.QUANTIZE_PARAMETERS, "stride_xm");
    private static final int QUANTIZE_IS_STATIC = argument(TritonFp8Functions.QUANTIZE_PARAMETERS, "static_scale");
    private static final int GEMM_A = argument(TritonFp8Functions.GEMM_PARAMETERS, "a_ptr");
    private static final int GEMM_W = argument(TritonFp8Functions.GEMM_PARAMETERS, "w_ptr");
    private static final int GEMM_A_SCALES = argument(TritonFp8Functions.GEMM_PARAMETERS, "a_scales_ptr");
    private static final int GEMM_W_SCALES = argument(TritonFp8Functions.GEMM_PARAMETERS, "w_scales_ptr");
    private static final int GEMM_BIAS = argument(TritonFp8Functions.GEMM_PARAMETERS, "bias_ptr");
    private static final int GEMM_OUT = argument(TritonFp8Functions.GEMM_PARAMETERS, "out_ptr");
    private static final int GEMM_PARTIALS = argument(TritonFp8Functions.GEMM_PARAMETERS, "partials_ptr");
    private static final int GEMM_M = argument(TritonFp8Functions.GEMM_PARAMETERS, "M");
    private static final int GEMM_N = argument(TritonFp8Functions.GEMM_PARAMETERS, "N");
    private static final int GEMM_K = argument(TritonFp8Functions.GEMM_PARAMETERS, "K");
    private static final int GEMM_STRIDE_OUT = argument(TritonFp8Functions.GEMM_PARAMETERS, "stride_om");
    private static final int GEMM_K_PER_SPLIT = argument(TritonFp8Functions.GEMM_PARAMETERS, "k_per_split");
    private static final int GEMM_PER_CHANNEL = argument(TritonFp8Functions.GEMM_PARAMETERS, "w_scale_per_channel");
    private static final int GEMM_HAS_BIAS = argument(TritonFp8Functions.GEMM_PARAMETERS, "has_bias");
    private static final int REDUCE_PARTIALS = argument(TritonFp8Functions.REDUCE_PARAMETERS, "partials_ptr");
    private static final int REDUCE_A_SCALES = argument(TritonFp8Functions.REDUCE_PARAMETERS, "a_scales_ptr");
    private static final int REDUCE_W_SCALES = argument(TritonFp8Functions.REDUCE_PARAMETERS, "w_scales_ptr");
    private static final int REDUCE_BIAS = argument(TritonFp8Functions.REDUCE_PARAMETERS, "bias_ptr");
    private static final int REDUCE_OUT = argument(TritonFp8Functions.REDUCE_PARAMETERS, "out_ptr");
    private static final int REDUCE_M = argument(TritonFp8Functions.REDUCE_PARAMETERS, "M");
    private static final int REDUCE_N = argument(TritonFp8Functions.REDUCE_PARAMETERS, "N");
    private static final int REDUCE_STRIDE_OUT = argument(TritonFp8Functions.REDUCE_PARAMETERS, "stride_om");
    private static final int REDUCE_SPLITS = argument(TritonFp8Functions.REDUCE_PARAMETERS, "splits");
    private static final int REDUCE_PER_CHANNEL = argument(TritonFp8Functions.REDUCE_PARAMETERS, "w_scale_per_channel");
    private static final int REDUCE_HAS_BIAS = argument(TritonFp8Functions.REDUCE_PARAMETERS, "has_bias");

    private final int k;
    private final int n;
    private final int maxRows;
    private final int multiprocessors;
    private final ScalarType inputType;
    private final ScalarType outputType;
    private final Device device;
    private final TritonFp8Functions functions;
    private final KernelArguments quantize;
    private final KernelArguments[] gemm;
    private final KernelArguments reduce;
    private final TritonFp8Variants.Plan[] plans = new TritonFp8Variants.Plan[CHUNK_ROWS + 1];

    /**
     * @param tensors the prepared layer's device tensors
     * @param multiprocessors the device's multiprocessors, which the split of K aims to fill
     */
    TritonFp8Launcher(ScaledMmConfig config, PreparedTensors tensors, Device device, TritonFp8Functions functions, int maxRows, int multiprocessors) {
        requireNonNull(config, "config is null");
        requireNonNull(tensors, "tensors is null");
        this.device = requireNonNull(device, "device is null");
        this.functions = requireNonNull(functions, "functions is null");
        this.k = config.k();
        this.n = config.n();
        this.maxRows = maxRows;
        this.multiprocessors = multiprocessors;
        this.inputType = config.inputType();
        this.outputType = config.outputType();
        int perChannel = tensors.perChannelScales() ? 1 : 0;
        int hasBias = tensors.bias() != 0 ? 1 : 0;

        // a dynamic call never reads the static scale; any valid pointer will do
        this.quantize = functions.quantize().newArguments()
                .setPointer(QUANTIZE_STATIC_SCALE, tensors.inputScale() != 0 ? tensors.inputScale() : tensors.weightScale())
                .setInt(QUANTIZE_K, k)
                .setInt(QUANTIZE_IS_STATIC, tensors.inputScale() != 0 ? 1 : 0);
        this.gemm = new KernelArguments[TritonFp8Variants.Tile.values().length];
        for (TritonFp8Variants.Tile tile : TritonFp8Variants.Tile.values()) {
            gemm[tile.ordinal()] = functions.gemm(tile).newArguments()
                    .setPointer(GEMM_W, tensors.weight())
                    .setPointer(GEMM_W_SCALES, tensors.weightScale())
                    .setPointer(GEMM_BIAS, tensors.bias())
                    .setInt(GEMM_N, n)
                    .setInt(GEMM_K, k)
                    .setInt(GEMM_PER_CHANNEL, perChannel)
                    .setInt(GEMM_HAS_BIAS, hasBias);
        }
        this.reduce = functions.reduce().newArguments()
                .setPointer(REDUCE_W_SCALES, tensors.weightScale())
                .setPointer(REDUCE_BIAS, tensors.bias())
                .setInt(REDUCE_N, n)
                .setInt(REDUCE_PER_CHANNEL, perChannel)
                .setInt(REDUCE_HAS_BIAS, hasBias);
    }

    /**
     * Device addresses of a prepared layer's tensors; 0 for one it does not have.
     *
     * @param inputScale the static input scale, 0 when activation scales are dynamic
     * @param perChannelScales whether {@code weightScale} holds N scales rather than one
     */
    record PreparedTensors(long weight, long weightScale, long inputScale, long bias, boolean perChannelScales) {
    }

    /**
     * The workspace a layer needs: a chunk of quantized activations and its scales, and the partial sums of the
     * largest split any M makes whose tile splits K (64 rows at most; larger M never splits).
     */
    static long workspaceBytes(int k, int n, int multiprocessors) {
        long partialFloats = 0;
        for (int m = 1; m <= Math.min(TritonFp8Variants.Tile.maxSplitRows(), CHUNK_ROWS); m++) {
            partialFloats = Math.max(partialFloats, TritonFp8Variants.plan(m, n, k, multiprocessors).partialFloats());
        }
        return partialsOffset(CHUNK_ROWS, k) + 4 * partialFloats;
    }

    /** Where the partial sums start in the workspace of a call whose chunks have {@code rows} rows: past the activations and scales. */
    static long partialsOffset(int rows, int k) {
        return align((long) rows * k) + align(4L * rows);
    }

    static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    synchronized void apply(Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(stream, "stream is null");
        int m = rows(input);
        requireOutput(output, m);
        int chunk = Math.min(m, CHUNK_ROWS);
        int last = m - (m - 1) / CHUNK_ROWS * CHUNK_ROWS;
        TritonFp8Variants.Plan full = plan(chunk);
        TritonFp8Variants.Plan tail = plan(last);
        long partialsOffset = partialsOffset(chunk, k);
        long partialBytes = 4 * Math.max(full.partialFloats(), tail.partialFloats());
        long q = device.workspace(stream, ScalarType.UINT8, partialsOffset + partialBytes).address();
        long scales = q + align((long) chunk * k);
        long partials = q + partialsOffset;
        long ldx = m == 1 ? k : input.stride(0);
        long ldo = m == 1 ? n : output.stride(0);
        int inputBytes = inputType.storageBytes();
        int outputBytes = outputType.storageBytes();

        quantize.setPointer(QUANTIZE_Q, q).setPointer(QUANTIZE_SCALES, scales).setInt(QUANTIZE_STRIDE_X, (int) ldx);
        for (int first = 0; first < m; first += CHUNK_ROWS) {
            int rows = Math.min(CHUNK_ROWS, m - first);
            TritonFp8Variants.Plan plan = rows == chunk ? full : tail;
            long x = input.address() + (long) inputBytes * first * ldx;
            long out = output.address() + (long) outputBytes * first * ldo;

            quantize.setPointer(QUANTIZE_X, x);
            functions.quantize().launch(rows, 1, 1, quantize, stream);

            // with one split the kernel never writes the partial sums; it takes the output's address in their place
            KernelArguments arguments = gemm[plan.tile().ordinal()];
            arguments.setPointer(GEMM_A, q).setPointer(GEMM_A_SCALES, scales).setPointer(GEMM_OUT, out).setPointer(GEMM_PARTIALS, plan.split() ? partials : out)
                    .setInt(GEMM_M, rows).setInt(GEMM_STRIDE_OUT, (int) ldo).setInt(GEMM_K_PER_SPLIT, plan.kPerSplit());
            functions.gemm(plan.tile()).launch(plan.tiles(), plan.splits(), 1, arguments, stream);

            if (plan.split()) {
                reduce.setPointer(REDUCE_PARTIALS, partials).setPointer(REDUCE_A_SCALES, scales).setPointer(REDUCE_OUT, out).setInt(REDUCE_M, rows)
                        .setInt(REDUCE_STRIDE_OUT, (int) ldo).setInt(REDUCE_SPLITS, plan.splits());
                functions.reduce().launch(plan.reducePrograms(), 1, 1, reduce, stream);
            }
        }
    }

    /** The plan of a chunk of {@code rows} rows, made once. */
    private static int argument(List<String> parameters, String name) {
        int index = parameters.indexOf(name);
        if (index < 0) {
            throw new IllegalStateException("the launcher sets parameter '" + name + "', which is not among " + parameters);
        }
        return index;
    }

    private TritonFp8Variants.Plan plan(int rows) {
        TritonFp8Variants.Plan plan = plans[rows];
        if (plan == null) {
            plan = TritonFp8Variants.plan(rows, n, k, multiprocessors);
            plans[rows] = plan;
        }
        return plan;
    }

    /** M of a device activation {@code [M, K]} of the layer's input type with unit stride along K. */
    private int rows(Tensor input) {
        requireNonNull(input, "input is null");
        if (input.rank() != 2 || input.size(1) != k || !input.dtype().equals(inputType)) {
            throw new IllegalArgumentException("input must be " + inputType.name() + " [M, K=" + k + "], got " + describe(input));
        }
        long m = input.size(0);
        if (m < 1 || m > maxRows) {
            throw new IllegalArgumentException("input rows M must be in [1, " + maxRows + "], got M=" + m);
        }
        if (input.stride(1) != 1 || (m > 1 && (input.stride(0) < k || input.stride(0) > Integer.MAX_VALUE))) {
            throw new IllegalArgumentException("input must have unit stride along K and a row stride of at least K=" + k + " (at most "
                    + Integer.MAX_VALUE + "), got strides [" + input.stride(0) + ", " + input.stride(1) + "]");
        }
        requireDevice(input, "input");
        requireAligned(input, "input", (int) m);
        return (int) m;
    }

    private void requireOutput(Tensor output, int m) {
        requireNonNull(output, "output is null");
        if (output.rank() != 2 || output.size(0) != m || output.size(1) != n || !output.dtype().equals(outputType)) {
            throw new IllegalArgumentException("output must be " + outputType.name() + " [M=" + m + ", N=" + n + "], got " + describe(output));
        }
        if (output.stride(1) != 1 || (m > 1 && (output.stride(0) < n || output.stride(0) > Integer.MAX_VALUE))) {
            throw new IllegalArgumentException("output must have unit stride along N and a row stride of at least N=" + n + " (at most "
                    + Integer.MAX_VALUE + "), got strides [" + output.stride(0) + ", " + output.stride(1) + "]");
        }
        requireDevice(output, "output");
        requireAligned(output, "output", m);
    }

    private static void requireDevice(Tensor tensor, String what) {
        if (tensor.memory() != MemoryKind.DEVICE) {
            throw new IllegalArgumentException(what + " must be in device memory, got " + tensor.memory() + " memory");
        }
    }

    /**
     * The images are compiled for 16-byte aligned pointers and rows ({@code divisibility} of {@code variants.py}), so
     * that tiles move 16 bytes at a time: the tensor's start and, with more than one row, its row stride must keep that.
     */
    private static void requireAligned(Tensor tensor, String what, int rows) {
        int bytes = tensor.dtype().storageBytes();
        if (tensor.address() % ALIGNED_BYTES != 0) {
            throw new IllegalArgumentException(what + " address 0x" + Long.toHexString(tensor.address()) + " must be " + ALIGNED_BYTES
                    + "-byte aligned: the Triton images are compiled for aligned rows");
        }
        if (rows > 1 && tensor.stride(0) * bytes % ALIGNED_BYTES != 0) {
            throw new IllegalArgumentException(what + " row stride " + tensor.stride(0) + " must be a multiple of " + ALIGNED_BYTES / bytes + " elements ("
                    + ALIGNED_BYTES + " bytes): the Triton images are compiled for aligned rows");
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
