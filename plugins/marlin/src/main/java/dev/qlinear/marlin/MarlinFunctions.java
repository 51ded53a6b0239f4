package dev.qlinear.marlin;

import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelImages;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.List;

import static dev.qlinear.spi.device.KernelArguments.Kind.INT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.INT64;
import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static dev.qlinear.spi.device.KernelArguments.Kind.TENSOR_MAP;
import static java.util.Objects.requireNonNull;

/**
 * The entry points of the kernel image loaded on one device, and their signatures (the C parameters of
 * {@code src/main/cuda/marlin.cu}). Lists hold float16 entries before bfloat16 ones.
 *
 * @param gemm {@code marlin_gemm_{f16,bf16}[_zp]_mb4}: float16, float16 with zero points, bfloat16, bfloat16 with zero
 *        points
 * @param warpgroupGemm {@code marlin_hopper_{f16,bf16}[_zp]_t{64,128,256}}: the same four, each for blocks of 64, 128
 *        and 256 rows; the warpgroup kernel, which traps outside the sm_90a image
 * @param decode {@code marlin_decode_{f16,bf16}[_zp]_tt{1,2}}: the same four, each for 1 and 2 tiles of 8 tokens; the
 *        persistent stream-K kernel of up to 16 rows ({@link DecodePlan})
 * @param decodeReduce {@code marlin_decode_reduce_{f16,bf16}}: the sum of the column blocks the decode kernel split,
 *        in block order, plus the bias
 * @param reduce {@code marlin_reduce_{f16,bf16}}: the GEMM kernel's split-K sum, in split order, plus the bias
 * @param dequantize {@code marlin_dequantize_{f16,bf16}[_zp]}: the weight {@code [K, N]} of the large-M path
 * @param gather {@code marlin_gather_{f16,bf16}}: a contiguous copy of the activation, columns in {@code perm} order
 * @param addBias {@code marlin_add_bias_{f16,bf16}}: the bias after the dense GEMM
 * @param repack {@code marlin_repack_w4}: GPTQ words into the marlin layout, at prepare
 */
record MarlinFunctions(List<GpuFunction> gemm, List<GpuFunction> warpgroupGemm, List<GpuFunction> decode, List<GpuFunction> decodeReduce, List<GpuFunction> reduce, List<GpuFunction> dequantize,
        List<GpuFunction> gather, List<GpuFunction> addBias, GpuFunction repack) {

    /** The fatbin {@code plugins/build-cuda.sh} compiles {@code src/main/cuda/marlin.cu} into, in the jar. */
    static final String IMAGE = "dev/qlinear/marlin/kernels/marlin.fatbin";
    /** The list of the fatbin's targets, beside it. */
    static final String TARGETS = "dev/qlinear/marlin/kernels/marlin.targets";

    /** x, ldx, m, k, n, codes, scales, zeros, group size, bias, out, partials, stages per split. */
    static final List<KernelArguments.Kind> GEMM = List.of(POINTER, INT64, INT32, INT32, INT32, POINTER, POINTER, POINTER, INT32, POINTER, POINTER, POINTER,
            INT32);
    /**
     * x, codes and scales as tensor maps, m, k, n, codes, scales, zeros, group size, bias, out, partials, stages per
     * split.
     */
    static final List<KernelArguments.Kind> WARPGROUP_GEMM = List.of(TENSOR_MAP, TENSOR_MAP, TENSOR_MAP, INT32, INT32, INT32, POINTER, POINTER, POINTER,
            INT32, POINTER, POINTER, POINTER, INT32);
    /** x, ldx, m, k, n, codes, scales, zeros, group size, bias, out, partials. */
    static final List<KernelArguments.Kind> DECODE = List.of(POINTER, INT64, INT32, INT32, INT32, POINTER, POINTER, POINTER, INT32, POINTER, POINTER, POINTER);
    /** partials, m, n, units per column, decode blocks, bias, out. */
    static final List<KernelArguments.Kind> DECODE_REDUCE = List.of(POINTER, INT32, INT32, INT32, INT32, POINTER, POINTER);
    /** partials, splits, m, n, bias, out. */
    static final List<KernelArguments.Kind> REDUCE = List.of(POINTER, INT32, INT32, INT32, POINTER, POINTER);
    /** codes, scales, zeros, group size, k, n, w. */
    static final List<KernelArguments.Kind> DEQUANTIZE = List.of(POINTER, POINTER, POINTER, INT32, INT32, INT32, POINTER);
    /** x, ldx, m, k, perm, gathered x. */
    static final List<KernelArguments.Kind> GATHER = List.of(POINTER, INT64, INT32, INT32, POINTER, POINTER);
    /** out, m, n, bias. */
    static final List<KernelArguments.Kind> ADD_BIAS = List.of(POINTER, INT32, INT32, POINTER);
    /** gptq words, perm, k, n, out. */
    static final List<KernelArguments.Kind> REPACK = List.of(POINTER, POINTER, INT32, INT32, POINTER);

    private static final List<String> TYPES = List.of("f16", "bf16");
    private static final List<String> ZERO_POINTS = List.of("", "_zp");
    private static final List<Integer> TOKEN_TILES = List.of(1, 2);

    /** The names of {@link #gemm()}, in its order. */
    static final List<String> GEMM_NAMES = TYPES.stream()
            .flatMap(type -> ZERO_POINTS.stream().map(zeroPoints -> "marlin_gemm_" + type + zeroPoints + "_mb4")).toList();
    /** The names of {@link #warpgroupGemm()}, in its order. */
    static final List<String> WARPGROUP_GEMM_NAMES = TYPES.stream()
            .flatMap(type -> ZERO_POINTS.stream().flatMap(zeroPoints -> MarlinPlan.WARPGROUP_BLOCK_ROWS.stream()
                    .map(rows -> "marlin_hopper_" + type + zeroPoints + "_t" + rows)))
            .toList();
    /** The names of {@link #decode()}, in its order. */
    static final List<String> DECODE_NAMES = TYPES.stream()
            .flatMap(type -> ZERO_POINTS.stream().flatMap(zeroPoints -> TOKEN_TILES.stream().map(tiles -> "marlin_decode_" + type + zeroPoints + "_tt" + tiles)))
            .toList();
    static final List<String> DECODE_REDUCE_NAMES = TYPES.stream().map(type -> "marlin_decode_reduce_" + type).toList();
    static final List<String> REDUCE_NAMES = TYPES.stream().map(type -> "marlin_reduce_" + type).toList();
    static final List<String> DEQUANTIZE_NAMES = TYPES.stream()
            .flatMap(type -> ZERO_POINTS.stream().map(zeroPoints -> "marlin_dequantize_" + type + zeroPoints)).toList();
    static final List<String> GATHER_NAMES = TYPES.stream().map(type -> "marlin_gather_" + type).toList();
    static final List<String> ADD_BIAS_NAMES = TYPES.stream().map(type -> "marlin_add_bias_" + type).toList();
    static final String REPACK_NAME = "marlin_repack_w4";

    MarlinFunctions {
        gemm = List.copyOf(requireNonNull(gemm, "gemm is null"));
        warpgroupGemm = List.copyOf(requireNonNull(warpgroupGemm, "warpgroupGemm is null"));
        decode = List.copyOf(requireNonNull(decode, "decode is null"));
        decodeReduce = List.copyOf(requireNonNull(decodeReduce, "decodeReduce is null"));
        reduce = List.copyOf(requireNonNull(reduce, "reduce is null"));
        dequantize = List.copyOf(requireNonNull(dequantize, "dequantize is null"));
        gather = List.copyOf(requireNonNull(gather, "gather is null"));
        addBias = List.copyOf(requireNonNull(addBias, "addBias is null"));
        requireNonNull(repack, "repack is null");
        requireCount(gemm, GEMM_NAMES.size(), "gemm");
        requireCount(warpgroupGemm, WARPGROUP_GEMM_NAMES.size(), "warpgroupGemm");
        requireCount(decode, DECODE_NAMES.size(), "decode");
        requireCount(decodeReduce, DECODE_REDUCE_NAMES.size(), "decodeReduce");
        requireCount(reduce, REDUCE_NAMES.size(), "reduce");
        requireCount(dequantize, DEQUANTIZE_NAMES.size(), "dequantize");
        requireCount(gather, GATHER_NAMES.size(), "gather");
        requireCount(addBias, ADD_BIAS_NAMES.size(), "addBias");
    }

    private static void requireCount(List<GpuFunction> functions, int count, String what) {
        if (functions.size() != count) {
            throw new IllegalArgumentException(what + " needs " + count + " entry points, got " + functions.size());
        }
    }

    /** Every entry point the plugin launches. */
    static List<String> entryPoints() {
        List<String> names = new ArrayList<>(GEMM_NAMES);
        names.addAll(WARPGROUP_GEMM_NAMES);
        names.addAll(DECODE_NAMES);
        names.addAll(DECODE_REDUCE_NAMES);
        names.addAll(REDUCE_NAMES);
        names.addAll(DEQUANTIZE_NAMES);
        names.addAll(GATHER_NAMES);
        names.addAll(ADD_BIAS_NAMES);
        names.add(REPACK_NAME);
        return List.copyOf(names);
    }

    /** Loads the image on the device and looks every entry point up. */
    static MarlinFunctions load(Device device, KernelImages images) {
        GpuModule module = device.loadModule(images.name(), images.bytes());
        try {
            return of(module);
        }
        catch (RuntimeException e) {
            module.close();
            throw e;
        }
    }

    /** Looks every entry point up in a loaded image. */
    static MarlinFunctions of(GpuModule module) {
        return new MarlinFunctions(GEMM_NAMES.stream().map(module::function).toList(), WARPGROUP_GEMM_NAMES.stream().map(module::function).toList(),
                DECODE_NAMES.stream().map(module::function).toList(),
                DECODE_REDUCE_NAMES.stream().map(module::function).toList(), REDUCE_NAMES.stream().map(module::function).toList(),
                DEQUANTIZE_NAMES.stream().map(module::function).toList(), GATHER_NAMES.stream().map(module::function).toList(),
                ADD_BIAS_NAMES.stream().map(module::function).toList(), module.function(REPACK_NAME));
    }

    /** The GEMM kernel for activations of {@code type}, with or without zero points. */
    GpuFunction gemm(ScalarType type, boolean zeroPoints) {
        return gemm.get(2 * typeIndex(type) + (zeroPoints ? 1 : 0));
    }

    /** The warpgroup kernel for activations of {@code type}, with or without zero points, for blocks of {@code blockRows} rows. */
    GpuFunction warpgroupGemm(ScalarType type, boolean zeroPoints, int blockRows) {
        int rows = MarlinPlan.WARPGROUP_BLOCK_ROWS.indexOf(blockRows);
        if (rows < 0) {
            throw new IllegalArgumentException("the warpgroup kernel takes blocks of " + MarlinPlan.WARPGROUP_BLOCK_ROWS + " rows, got " + blockRows);
        }
        return warpgroupGemm.get(MarlinPlan.WARPGROUP_BLOCK_ROWS.size() * (2 * typeIndex(type) + (zeroPoints ? 1 : 0)) + rows);
    }

    /** The decode kernel for activations of {@code type}, with or without zero points, for 1 or 2 tiles of 8 tokens. */
    GpuFunction decode(ScalarType type, boolean zeroPoints, int tokenTiles) {
        return decode.get(4 * typeIndex(type) + (zeroPoints ? 2 : 0) + tokenTiles - 1);
    }

    /** The sum of the column blocks the decode kernel split, for activations of {@code type}. */
    GpuFunction decodeReduce(ScalarType type) {
        return decodeReduce.get(typeIndex(type));
    }

    GpuFunction reduce(ScalarType type) {
        return reduce.get(typeIndex(type));
    }

    GpuFunction dequantize(ScalarType type, boolean zeroPoints) {
        return dequantize.get(2 * typeIndex(type) + (zeroPoints ? 1 : 0));
    }

    GpuFunction gather(ScalarType type) {
        return gather.get(typeIndex(type));
    }

    GpuFunction addBias(ScalarType type) {
        return addBias.get(typeIndex(type));
    }

    private static int typeIndex(ScalarType type) {
        if (type.equals(ScalarType.FLOAT16)) {
            return 0;
        }
        if (type.equals(ScalarType.BFLOAT16)) {
            return 1;
        }
        throw new IllegalArgumentException("the kernels take float16 or bfloat16 activations, got " + type);
    }
}
