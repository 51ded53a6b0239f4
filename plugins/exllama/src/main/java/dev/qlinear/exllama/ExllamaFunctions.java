package dev.qlinear.exllama;

import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.KernelArguments;

import java.util.List;

import static dev.qlinear.spi.device.KernelArguments.Kind.INT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.INT64;
import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static java.util.Objects.requireNonNull;

/**
 * The entry points of the kernel image loaded on one device, and their signatures (the C parameters of
 * {@code src/main/cuda/exllama.cu}).
 *
 * @param fused4 {@code exllama_fused_w4_mt1}, {@code _mt2}, {@code _mt4}: 4-bit codes, 16, 32 or 64 rows per block
 * @param fused8 the same for 8-bit codes
 * @param reduce {@code exllama_reduce}: the split-K sum, in split order, plus the bias
 * @param dequantize4 {@code exllama_dequantize_w4}: the fp16 weight of the large-M path
 * @param dequantize8 {@code exllama_dequantize_w8}
 * @param addBias {@code exllama_add_bias}
 */
record ExllamaFunctions(List<GpuFunction> fused4, List<GpuFunction> fused8, GpuFunction reduce, GpuFunction dequantize4, GpuFunction dequantize8,
        GpuFunction addBias) {

    /** x, ldx, m, k, n, codes, scales, group size, perm, bias, out, partials, quads per split, vector loads of x. */
    static final List<KernelArguments.Kind> FUSED = List.of(POINTER, INT64, INT32, INT32, INT32, POINTER, POINTER, INT32, POINTER, POINTER, POINTER,
            POINTER, INT32, INT32);
    /** partials, splits, m, n, bias, out. */
    static final List<KernelArguments.Kind> REDUCE = List.of(POINTER, INT32, INT32, INT32, POINTER, POINTER);
    /** codes, scales, group size, perm, k, n, first column, columns, w. */
    static final List<KernelArguments.Kind> DEQUANTIZE = List.of(POINTER, POINTER, INT32, POINTER, INT32, INT32, INT32, INT32, POINTER);
    /** out, m, n, bias. */
    static final List<KernelArguments.Kind> ADD_BIAS = List.of(POINTER, INT32, INT32, POINTER);

    ExllamaFunctions {
        fused4 = List.copyOf(requireNonNull(fused4, "fused4 is null"));
        fused8 = List.copyOf(requireNonNull(fused8, "fused8 is null"));
        requireNonNull(reduce, "reduce is null");
        requireNonNull(dequantize4, "dequantize4 is null");
        requireNonNull(dequantize8, "dequantize8 is null");
        requireNonNull(addBias, "addBias is null");
    }

    /** Loads the image on the device and looks every entry point up. */
    static ExllamaFunctions load(Device device, KernelImages images) {
        GpuModule module = device.loadModule(KernelImages.IMAGE, images.bytes());
        try {
            return new ExllamaFunctions(
                    List.of(module.function("exllama_fused_w4_mt1"), module.function("exllama_fused_w4_mt2"), module.function("exllama_fused_w4_mt4")),
                    List.of(module.function("exllama_fused_w8_mt1"), module.function("exllama_fused_w8_mt2"), module.function("exllama_fused_w8_mt4")),
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

    GpuFunction dequantize(int bits) {
        return bits == 4 ? dequantize4 : dequantize8;
    }
}
