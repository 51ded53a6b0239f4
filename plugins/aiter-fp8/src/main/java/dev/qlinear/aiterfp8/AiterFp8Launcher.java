package dev.qlinear.aiterfp8;

import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;

import static java.util.Objects.requireNonNull;

/**
 * Queues one prepared layer on a stream through the shim, in passes of at most {@value #CHUNK_ROWS} rows: the shim's
 * quantize writes the pass's fp8 rows and their per-token scales into the stream's workspace, its GEMM multiplies them
 * by the pre-shuffled weight through the CK instance and split of K that aiter's tuned table gives for the pass's M,
 * and, for a layer with a bias, its add-bias adds it in place (aiter's pre-shuffled GEMM fuses none). The workspace
 * holds the quantized rows ({@code rows * K} bytes) and then, at a {@value #ALIGNMENT}-byte boundary, their scales.
 * The arguments and the instance of every M are made once; a call allocates nothing of its own. Calls on one layer are
 * serialized, since they share the arguments.
 */
final class AiterFp8Launcher {

    /**
     * Rows per pass at most, so that the quantized activations in the workspace stay within {@code CHUNK_ROWS * K} bytes
     * (28 MiB at K = 28672) whatever M is.
     */
    static final int CHUNK_ROWS = 1024;
    static final int ALIGNMENT = 256;

    private static final int QUANTIZE_X = AiterShimAbi.QUANTIZE.index("x");
    private static final int QUANTIZE_XQ = AiterShimAbi.QUANTIZE.index("xq");
    private static final int QUANTIZE_X_SCALE = AiterShimAbi.QUANTIZE.index("x_scale");
    private static final int QUANTIZE_M = AiterShimAbi.QUANTIZE.index("m");
    private static final int QUANTIZE_K = AiterShimAbi.QUANTIZE.index("k");
    private static final int QUANTIZE_X_ROW_STRIDE = AiterShimAbi.QUANTIZE.index("x_row_stride");
    private static final int QUANTIZE_FNUZ = AiterShimAbi.QUANTIZE.index("fnuz");
    private static final int GEMM_XQ = AiterShimAbi.GEMM.index("xq");
    private static final int GEMM_WQ = AiterShimAbi.GEMM.index("wq");
    private static final int GEMM_X_SCALE = AiterShimAbi.GEMM.index("x_scale");
    private static final int GEMM_W_SCALE = AiterShimAbi.GEMM.index("w_scale");
    private static final int GEMM_Y = AiterShimAbi.GEMM.index("y");
    private static final int GEMM_M = AiterShimAbi.GEMM.index("m");
    private static final int GEMM_N = AiterShimAbi.GEMM.index("n");
    private static final int GEMM_K = AiterShimAbi.GEMM.index("k");
    private static final int GEMM_KERNEL_ID = AiterShimAbi.GEMM.index("kernel_id");
    private static final int GEMM_SPLIT_K = AiterShimAbi.GEMM.index("split_k");
    private static final int BIAS_Y = AiterShimAbi.ADD_BIAS.index("y");
    private static final int BIAS_BIAS = AiterShimAbi.ADD_BIAS.index("bias");
    private static final int BIAS_M = AiterShimAbi.ADD_BIAS.index("m");
    private static final int BIAS_N = AiterShimAbi.ADD_BIAS.index("n");

    private final int k;
    private final int n;
    private final int maxRows;
    private final boolean hasBias;
    private final Device device;
    private final AiterShim shim;
    private final ScalarType quantizedType;
    /** The tuned CK instance and split of K of a pass of {@code rows} rows, by rows. */
    private final int[] kernelIds = new int[CHUNK_ROWS + 1];
    private final int[] splits = new int[CHUNK_ROWS + 1];
    private final KernelArguments quantize;
    private final KernelArguments gemm;
    private final KernelArguments addBias;

    /**
     * @param tensors the prepared layer's device tensors
     * @param tuned the tuned rows of the layer's (N, K)
     * @param quantizedType the FP8 type of the activations: e4m3fnuz on gfx942, e4m3fn on gfx950
     */
    AiterFp8Launcher(ScaledMmConfig config, PreparedTensors tensors, TunedGemmTable.TunedShape tuned, ScalarType quantizedType, Device device, AiterShim shim,
            int maxRows) {
        requireNonNull(config, "config is null");
        requireNonNull(tensors, "tensors is null");
        requireNonNull(tuned, "tuned is null");
        this.quantizedType = requireNonNull(quantizedType, "quantizedType is null");
        this.device = requireNonNull(device, "device is null");
        this.shim = requireNonNull(shim, "shim is null");
        this.k = config.k();
        this.n = config.n();
        this.maxRows = maxRows;
        this.hasBias = tensors.bias() != 0;
        for (int rows = 1; rows <= CHUNK_ROWS; rows++) {
            TunedGemmRow row = tuned.lookup(rows);
            kernelIds[rows] = row.kernelId();
            splits[rows] = row.splitK();
        }
        this.quantize = AiterShimAbi.QUANTIZE.newArguments()
                .setInt(QUANTIZE_K, k)
                .setInt(QUANTIZE_FNUZ, quantizedType.equals(ScalarType.FLOAT8_E4M3FNUZ) ? 1 : 0);
        this.gemm = AiterShimAbi.GEMM.newArguments()
                .setPointer(GEMM_WQ, tensors.weight())
                .setPointer(GEMM_W_SCALE, tensors.weightScale())
                .setInt(GEMM_N, n)
                .setInt(GEMM_K, k);
        this.addBias = AiterShimAbi.ADD_BIAS.newArguments()
                .setPointer(BIAS_BIAS, tensors.bias())
                .setInt(BIAS_N, n);
    }

    /**
     * Device addresses of a prepared layer's tensors.
     *
     * @param bias 0 when the layer has no bias
     */
    record PreparedTensors(long weight, long weightScale, long bias) {
    }

    /** The workspace a layer of this K needs: a pass of quantized rows and their scales. */
    static long workspaceBytes(int k) {
        return align((long) CHUNK_ROWS * k) + 4L * CHUNK_ROWS;
    }

    static long align(long bytes) {
        return (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /** The tuned CK instance a pass of {@code rows} rows runs, for diagnostics and tests. */
    int kernelIdFor(int rows) {
        return kernelIds[rows];
    }

    synchronized void apply(Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(stream, "stream is null");
        int m = rows(input);
        requireOutput(output, m);
        int chunk = Math.min(m, CHUNK_ROWS);
        long q = device.workspace(stream, ScalarType.UINT8, align((long) chunk * k) + 4L * chunk).address();
        long scales = q + align((long) chunk * k);
        long ldx = m == 1 ? k : input.stride(0);

        quantize.setPointer(QUANTIZE_XQ, q).setPointer(QUANTIZE_X_SCALE, scales).setLong(QUANTIZE_X_ROW_STRIDE, ldx);
        gemm.setPointer(GEMM_XQ, q).setPointer(GEMM_X_SCALE, scales);
        for (int first = 0; first < m; first += CHUNK_ROWS) {
            int rows = Math.min(CHUNK_ROWS, m - first);
            long y = output.address() + 2L * first * n;

            quantize.setPointer(QUANTIZE_X, input.address() + 2L * first * ldx).setInt(QUANTIZE_M, rows);
            shim.quantize().call(quantize, stream);

            gemm.setPointer(GEMM_Y, y).setInt(GEMM_M, rows).setInt(GEMM_KERNEL_ID, kernelIds[rows]).setInt(GEMM_SPLIT_K, splits[rows]);
            shim.gemm().call(gemm, stream);

            if (hasBias) {
                addBias.setPointer(BIAS_Y, y).setInt(BIAS_M, rows);
                shim.addBias().call(addBias, stream);
            }
        }
    }

    /** M of a bf16 device activation {@code [M, K]} with unit stride along K. */
    private int rows(Tensor input) {
        requireNonNull(input, "input is null");
        if (input.rank() != 2 || input.size(1) != k || !input.dtype().equals(ScalarType.BFLOAT16)) {
            throw new IllegalArgumentException("input must be bfloat16 [M, K=" + k + "], got " + describe(input));
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
        return (int) m;
    }

    /** The shim's GEMM writes {@code [M, N]} without gaps. */
    private void requireOutput(Tensor output, int m) {
        requireNonNull(output, "output is null");
        if (output.rank() != 2 || output.size(0) != m || output.size(1) != n || !output.dtype().equals(ScalarType.BFLOAT16)) {
            throw new IllegalArgumentException("output must be bfloat16 [M=" + m + ", N=" + n + "], got " + describe(output));
        }
        if (!output.isContiguous()) {
            throw new IllegalArgumentException("output must be contiguous (row stride N=" + n + "): aiter's GEMM writes whole rows, got strides ["
                    + output.stride(0) + ", " + output.stride(1) + "]");
        }
        requireDevice(output, "output");
    }

    private static void requireDevice(Tensor tensor, String what) {
        if (tensor.memory() != MemoryKind.DEVICE) {
            throw new IllegalArgumentException(what + " must be in device memory, got " + tensor.memory() + " memory");
        }
    }

    private static String describe(Tensor tensor) {
        StringBuilder text = new StringBuilder(tensor.dtype().name()).append(" [");
        for (int dimension = 0; dimension < tensor.rank(); dimension++) {
            text.append(dimension == 0 ? "" : ", ").append(tensor.size(dimension));
        }
        return text.append(']').toString();
    }

    @Override
    public String toString() {
        return "aiter-fp8 launcher K=" + k + " N=" + n + " (" + quantizedType.name() + ")";
    }
}
