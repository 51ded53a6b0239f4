package dev.qlinear.exllama;

import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelImages;

import java.util.List;

import static dev.qlinear.spi.device.KernelArguments.Kind.INT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.INT64;
import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static dev.qlinear.spi.device.KernelArguments.Kind.TENSOR_MAP;
import static java.util.Objects.requireNonNull;

/**
 * The entry points of the kernel image loaded on one device, and their signatures (the C parameters of
 * {@code src/main/cuda/exllama.cu}).
 *
 * @param fused4 {@code exllama_fused_w4_mt1}, {@code _mt2}, {@code _mt4}: 4-bit codes, 16, 32 or 64 rows per block
 * @param fused8 the same for 8-bit codes
 * @param decode4 {@code exllama_decode_w4_tt1}, {@code _tt2}: 4-bit codes, M up to 8 or 16
 * @param decode8 the same for 8-bit codes
 * @param decodeReduce {@code exllama_decode_reduce}: the sums of the column blocks the decode kernel split, in block
 *        order, plus the bias
 * @param tiled4 {@code exllama_tiled_w4_bm64}, {@code _bm128}, {@code _bm256}: 4-bit codes, 64, 128 or 256 rows per
 *        block; they compute only from the sm_90a image (elsewhere they trap)
 * @param gather {@code exllama_gather}: a contiguous, permuted copy of the activation for the decode and tiled kernels
 * @param reduce {@code exllama_reduce}: the split-K sum, in split order, plus the bias
 * @param dequantize4 {@code exllama_dequantize_w4}: the fp16 weight of the large-M path
 * @param dequantize8 {@code exllama_dequantize_w8}
 * @param addBias {@code exllama_add_bias}
 */
record ExllamaFunctions(List<GpuFunction> fused4, List<GpuFunction> fused8, List<GpuFunction> decode4, List<GpuFunction> decode8,
        GpuFunction decodeReduce, List<GpuFunction> tiled4, GpuFunction gather, GpuFunction reduce, GpuFunction dequantize4, GpuFunction dequantize8, GpuFunction addBias) {

    /** The fatbin {@code plugins/build-cuda.sh} compiles {@code src/main/cuda/exllama.cu} into, in the jar. */
    static final String IMAGE = "dev/qlinear/exllama/kernels/exllama.fatbin";
    /** The list of the fatbin's targets, beside it. */
    static final String TARGETS = "dev/qlinear/exllama/kernels/exllama.targets";

    /** x, ldx, m, k, n, codes, scales, group size, perm, bias, out, partials, quads per split, vector loads of x. */
    static final List<KernelArguments.Kind> FUSED = List.of(POINTER, INT64, INT32, INT32, INT32, POINTER, POINTER, INT32, POINTER, POINTER, POINTER,
            POINTER, INT32, INT32);
    /** x, ldx, m, k, n, codes, scales, group size, bias, out, partials. */
    static final List<KernelArguments.Kind> DECODE = List.of(POINTER, INT64, INT32, INT32, INT32, POINTER, POINTER, INT32, POINTER, POINTER, POINTER);
    /** partials, m, n, units per column block, decode blocks, bias, out. */
    static final List<KernelArguments.Kind> DECODE_REDUCE = List.of(POINTER, INT32, INT32, INT32, INT32, POINTER, POINTER);
    /**
     * The activation's and the codes' tensor maps, m, k, n, scales, group size, bias, out, whole column blocks, stages
     * per split, partials.
     */
    static final List<KernelArguments.Kind> TILED = List.of(TENSOR_MAP, TENSOR_MAP, INT32, INT32, INT32, POINTER, INT32, POINTER, POINTER, INT32,
            INT32, POINTER);
    /** x, ldx, m, k, perm, gathered x. */
    static final List<KernelArguments.Kind> GATHER = List.of(POINTER, INT64, INT32, INT32, POINTER, POINTER);
    /** partials, splits, m, n, first column, bias, out. */
    static final List<KernelArguments.Kind> REDUCE = List.of(POINTER, INT32, INT32, INT32, INT32, POINTER, POINTER);
    /** codes, scales, group size, perm, k, n, first column, columns, w. */
    static final List<KernelArguments.Kind> DEQUANTIZE = List.of(POINTER, POINTER, INT32, POINTER, INT32, INT32, INT32, INT32, POINTER);
    /** out, m, n, bias. */
    static final List<KernelArguments.Kind> ADD_BIAS = List.of(POINTER, INT32, INT32, POINTER);

    ExllamaFunctions {
        fused4 = List.copyOf(requireNonNull(fused4, "fused4 is null"));
        fused8 = List.copyOf(requireNonNull(fused8, "fused8 is null"));
        decode4 = List.copyOf(requireNonNull(decode4, "decode4 is null"));
        decode8 = List.copyOf(requireNonNull(decode8, "decode8 is null"));
        requireNonNull(decodeReduce, "decodeReduce is null");
        tiled4 = List.copyOf(requireNonNull(tiled4, "tiled4 is null"));
        requireNonNull(gather, "gather is null");
        requireNonNull(reduce, "reduce is null");
        requireNonNull(dequantize4, "dequantize4 is null");
        requireNonNull(dequantize8, "dequantize8 is null");
        requireNonNull(addBias, "addBias is null");
    }

    /** Loads the image on the device and looks every entry point up. */
    static ExllamaFunctions load(Device device, KernelImages images) {
        GpuModule module = device.loadModule(images.name(), images.bytes());
        try {
            return new ExllamaFunctions(
                    List.of(module.function("exllama_fused_w4_mt1"), module.function("exllama_fused_w4_mt2"), module.function("exllama_fused_w4_mt4")),
                    List.of(module.function("exllama_fused_w8_mt1"), module.function("exllama_fused_w8_mt2"), module.function("exllama_fused_w8_mt4")),
                    List.of(module.function("exllama_decode_w4_tt1"), module.function("exllama_decode_w4_tt2")),
                    List.of(module.function("exllama_decode_w8_tt1"), module.function("exllama_decode_w8_tt2")),
                    module.function("exllama_decode_reduce"),
                    List.of(module.function("exllama_tiled_w4_bm64"), module.function("exllama_tiled_w4_bm128"), module.function("exllama_tiled_w4_bm256")),
                    module.function("exllama_gather"),
                    module.function("exllama_reduce"), module.function("exllama_dequantize_w4"), module.function("exllama_dequantize_w8"),
                    module.function("exllama_add_bias"));
        }
        catch (RuntimeException e) {
            module.close();
            throw e;
        }
    }

    /** The fused kernel for codes of {@code bits} bits and {@code tiles} m-tiles of 16 rows (1, 2 or 4). */
    GpuFunction fused(int bits, int tiles) {
        List<GpuFunction> functions = bits == 4 ? fused4 : fused8;
        return functions.get(Integer.numberOfTrailingZeros(tiles));
    }

    /** The decode kernel for codes of {@code bits} bits and {@code tokenTiles} tiles of 8 rows (1 or 2). */
    GpuFunction decode(int bits, int tokenTiles) {
        return (bits == 4 ? decode4 : decode8).get(tokenTiles - 1);
    }

    /** The 4-bit tiled kernel for blocks of {@code blockRows} rows (64, 128 or 256). */
    GpuFunction tiled(int blockRows) {
        return tiled4.get(Integer.numberOfTrailingZeros(blockRows) - 6);
    }

    GpuFunction dequantize(int bits) {
        return bits == 4 ? dequantize4 : dequantize8;
    }
}
