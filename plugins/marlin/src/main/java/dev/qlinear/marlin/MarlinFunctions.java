package dev.qlinear.marlin;

import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelImages;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.qlinear.spi.device.KernelArguments.Kind.INT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.INT64;
import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static dev.qlinear.spi.device.KernelArguments.Kind.TENSOR_MAP;
import static java.util.Objects.requireNonNull;

/**
 * The entry points of the kernel image loaded on one device, by name, and their signatures (the C parameters of
 * {@code src/main/cuda/marlin.cu}). The kernels, by the names the static methods give:
 * <ul>
 *   <li>{@code marlin_gemm_{f16,bf16}[_zp]_mb4}: the GEMM kernel (mma.sync), with or without zero points;</li>
 *   <li>{@code marlin_hopper_{f16,bf16}[_zp]_t{64,128,256}}: the warpgroup kernel for blocks of 64, 128 and 256 rows,
 *       which traps outside the sm_90a image;</li>
 *   <li>{@code marlin_decode_{f16,bf16}[_zp]_tt{1,2}}: the persistent stream-K kernel of up to 16 rows
 *       ({@link DecodePlan}) for 1 and 2 tiles of 8 tokens, and {@code marlin_decode_reduce_{f16,bf16}}, the sum of the
 *       column blocks it split, in block order, plus the bias;</li>
 *   <li>{@code marlin_reduce_{f16,bf16}}: the GEMM kernels' split-K sum, in split order, plus the bias;</li>
 *   <li>{@code marlin_dequantize_{f16,bf16}[_zp]}: the weight {@code [K, N]} of the large-M path, and
 *       {@code marlin_add_bias_{f16,bf16}}, the bias after the dense GEMM;</li>
 *   <li>{@code marlin_gather_{f16,bf16}}: a contiguous copy of the activation, columns in {@code perm} order;</li>
 *   <li>{@code marlin_repack_w4}: GPTQ words into the marlin layout, at prepare.</li>
 * </ul>
 *
 * @param byName every entry point of {@link #entryPoints()}, by name
 */
record MarlinFunctions(Map<String, GpuFunction> byName) {

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

    private static final List<ScalarType> TYPES = List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    private static final List<Boolean> ZERO_POINTS = List.of(false, true);
    private static final List<Integer> TOKEN_TILES = List.of(1, 2);
    static final String REPACK_NAME = "marlin_repack_w4";

    MarlinFunctions {
        Map<String, GpuFunction> functions = Map.copyOf(requireNonNull(byName, "byName is null"));
        List<String> missing = entryPoints().stream().filter(name -> !functions.containsKey(name)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("the image lacks the entry points " + missing);
        }
        byName = functions;
    }

    /** Every entry point the plugin launches. */
    static List<String> entryPoints() {
        List<String> names = new ArrayList<>();
        for (ScalarType type : TYPES) {
            for (boolean zeroPoints : ZERO_POINTS) {
                names.add(gemmName(type, zeroPoints));
                MarlinPlan.WARPGROUP_BLOCK_ROWS.forEach(rows -> names.add(warpgroupGemmName(type, zeroPoints, rows)));
                TOKEN_TILES.forEach(tiles -> names.add(decodeName(type, zeroPoints, tiles)));
                names.add(dequantizeName(type, zeroPoints));
            }
            names.add(decodeReduceName(type));
            names.add(reduceName(type));
            names.add(gatherName(type));
            names.add(addBiasName(type));
        }
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
        return new MarlinFunctions(entryPoints().stream().collect(Collectors.toMap(Function.identity(), module::function)));
    }

    /** The GEMM kernel for activations of {@code type}, with or without zero points. */
    GpuFunction gemm(ScalarType type, boolean zeroPoints) {
        return byName.get(gemmName(type, zeroPoints));
    }

    /** The warpgroup kernel for activations of {@code type}, with or without zero points, for blocks of {@code blockRows} rows. */
    GpuFunction warpgroupGemm(ScalarType type, boolean zeroPoints, int blockRows) {
        return byName.get(warpgroupGemmName(type, zeroPoints, blockRows));
    }

    /** The decode kernel for activations of {@code type}, with or without zero points, for 1 or 2 tiles of 8 tokens. */
    GpuFunction decode(ScalarType type, boolean zeroPoints, int tokenTiles) {
        return byName.get(decodeName(type, zeroPoints, tokenTiles));
    }

    /** The sum of the column blocks the decode kernel split, for activations of {@code type}. */
    GpuFunction decodeReduce(ScalarType type) {
        return byName.get(decodeReduceName(type));
    }

    GpuFunction reduce(ScalarType type) {
        return byName.get(reduceName(type));
    }

    GpuFunction dequantize(ScalarType type, boolean zeroPoints) {
        return byName.get(dequantizeName(type, zeroPoints));
    }

    GpuFunction gather(ScalarType type) {
        return byName.get(gatherName(type));
    }

    GpuFunction addBias(ScalarType type) {
        return byName.get(addBiasName(type));
    }

    GpuFunction repack() {
        return byName.get(REPACK_NAME);
    }

    static String gemmName(ScalarType type, boolean zeroPoints) {
        return "marlin_gemm_" + suffix(type) + zeroPointSuffix(zeroPoints) + "_mb4";
    }

    static String warpgroupGemmName(ScalarType type, boolean zeroPoints, int blockRows) {
        if (!MarlinPlan.WARPGROUP_BLOCK_ROWS.contains(blockRows)) {
            throw new IllegalArgumentException("the warpgroup kernel takes blocks of " + MarlinPlan.WARPGROUP_BLOCK_ROWS + " rows, got " + blockRows);
        }
        return "marlin_hopper_" + suffix(type) + zeroPointSuffix(zeroPoints) + "_t" + blockRows;
    }

    static String decodeName(ScalarType type, boolean zeroPoints, int tokenTiles) {
        if (!TOKEN_TILES.contains(tokenTiles)) {
            throw new IllegalArgumentException("the decode kernel takes " + TOKEN_TILES + " tiles of 8 tokens, got " + tokenTiles);
        }
        return "marlin_decode_" + suffix(type) + zeroPointSuffix(zeroPoints) + "_tt" + tokenTiles;
    }

    static String decodeReduceName(ScalarType type) {
        return "marlin_decode_reduce_" + suffix(type);
    }

    static String reduceName(ScalarType type) {
        return "marlin_reduce_" + suffix(type);
    }

    static String dequantizeName(ScalarType type, boolean zeroPoints) {
        return "marlin_dequantize_" + suffix(type) + zeroPointSuffix(zeroPoints);
    }

    static String gatherName(ScalarType type) {
        return "marlin_gather_" + suffix(type);
    }

    static String addBiasName(ScalarType type) {
        return "marlin_add_bias_" + suffix(type);
    }

    private static String zeroPointSuffix(boolean zeroPoints) {
        return zeroPoints ? "_zp" : "";
    }

    private static String suffix(ScalarType type) {
        if (type.equals(ScalarType.FLOAT16)) {
            return "f16";
        }
        if (type.equals(ScalarType.BFLOAT16)) {
            return "bf16";
        }
        throw new IllegalArgumentException("the kernels take float16 or bfloat16 activations, got " + type);
    }
}
