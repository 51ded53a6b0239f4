package dev.qlinear.tritonfp8;

import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.triton.TritonKernelInfo;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static dev.qlinear.spi.device.KernelArguments.Kind.INT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static java.util.Objects.requireNonNull;

/**
 * The Triton variants one layer launches, loaded on its device, with the launch contract of
 * {@code src/main/triton/fp8.py}: each variant's own parameters by name and kind, and the constants the Java side relies
 * on. {@link #load} checks the manifests against it, so images built from another version of the sources fail at
 * {@code prepare}, naming the difference, rather than computing something else.
 *
 * @param quantize {@code fp8_quantize_rows}: grid (M, 1, 1)
 * @param gemm {@code fp8_gemm}, by {@link TritonFp8Variants.Tile} ordinal: grid (tiles, splits, 1)
 * @param reduce {@code fp8_reduce}: grid (ceil(M N / 1024), 1, 1)
 */
record TritonFp8Functions(TritonKernel quantize, List<TritonKernel> gemm, TritonKernel reduce) {

    /** x, q, scales, static scale pointer, K, x's row stride, whether the scale is static. */
    static final List<String> QUANTIZE_PARAMETERS = List.of("x_ptr", "q_ptr", "scales_ptr", "static_scale_ptr", "K", "stride_xm", "static_scale");
    static final List<KernelArguments.Kind> QUANTIZE_KINDS = List.of(POINTER, POINTER, POINTER, POINTER, INT32, INT32, INT32);
    /** a, w, a scales, w scales, bias, out, partials, M, N, K, out's row stride, K per split, per-channel w scales, bias present. */
    static final List<String> GEMM_PARAMETERS = List.of("a_ptr", "w_ptr", "a_scales_ptr", "w_scales_ptr", "bias_ptr", "out_ptr", "partials_ptr", "M", "N",
            "K", "stride_om", "k_per_split", "w_scale_per_channel", "has_bias");
    static final List<KernelArguments.Kind> GEMM_KINDS = List.of(POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, INT32, INT32, INT32, INT32,
            INT32, INT32, INT32);
    /** partials, a scales, w scales, bias, out, M, N, out's row stride, splits, per-channel w scales, bias present. */
    static final List<String> REDUCE_PARAMETERS = List.of("partials_ptr", "a_scales_ptr", "w_scales_ptr", "bias_ptr", "out_ptr", "M", "N", "stride_om",
            "splits", "w_scale_per_channel", "has_bias");
    static final List<KernelArguments.Kind> REDUCE_KINDS = List.of(POINTER, POINTER, POINTER, POINTER, POINTER, INT32, INT32, INT32, INT32, INT32, INT32);

    TritonFp8Functions {
        requireNonNull(quantize, "quantize is null");
        gemm = List.copyOf(requireNonNull(gemm, "gemm is null"));
        requireNonNull(reduce, "reduce is null");
        if (gemm.size() != TritonFp8Variants.Tile.values().length) {
            throw new IllegalArgumentException("one GEMM variant per tile, got " + gemm.size());
        }
    }

    /**
     * Loads the variants of a layer of these types and checks their manifests.
     *
     * @param loader loads one variant on the layer's device (once per device)
     * @param quantizedType the type activations are quantized to here: e4m3fn, or e4m3fnuz on gfx942
     * @throws IllegalStateException naming the variant and the difference when an image does not keep the contract
     */
    static TritonFp8Functions load(Function<String, TritonKernel> loader, ScalarType input, ScalarType output, ScalarType quantizedType) {
        requireNonNull(loader, "loader is null");
        boolean fnuz = quantizedType.equals(ScalarType.FLOAT8_E4M3FNUZ);
        TritonKernel quantize = loader.apply(TritonFp8Variants.quantize(input, fnuz));
        requireContract(quantize.info(), QUANTIZE_PARAMETERS, QUANTIZE_KINDS, Map.of("BLOCK_K", (double) TritonFp8Variants.QUANTIZE_BLOCK, "FP8_MAX",
                quantizedType.max()));
        List<TritonKernel> gemm = new ArrayList<>();
        for (TritonFp8Variants.Tile tile : TritonFp8Variants.Tile.values()) {
            TritonKernel kernel = loader.apply(TritonFp8Variants.gemm(output, tile, fnuz));
            requireContract(kernel.info(), GEMM_PARAMETERS, GEMM_KINDS, gemmConstants(tile));
            gemm.add(kernel);
        }
        TritonKernel reduce = loader.apply(TritonFp8Variants.reduce(output));
        requireContract(reduce.info(), REDUCE_PARAMETERS, REDUCE_KINDS, Map.of("BLOCK", (double) TritonFp8Variants.REDUCE_BLOCK));
        return new TritonFp8Functions(quantize, gemm, reduce);
    }

    /**
     * The GEMM's tile, and its promotion of the tensor cores' sums into fp32 every {@code BLOCK_K}
     * ({@code PROMOTE_K}): without it Hopper's FP8 MMA would add all of K in reduced precision.
     */
    static Map<String, Double> gemmConstants(TritonFp8Variants.Tile tile) {
        return Map.of("BLOCK_M", (double) tile.blockM(), "BLOCK_N", (double) tile.blockN(), "BLOCK_K", (double) tile.blockK(), "PROMOTE_K",
                (double) tile.blockK());
    }

    /** The GEMM variant of a tile. */
    TritonKernel gemm(TritonFp8Variants.Tile tile) {
        return gemm.get(tile.ordinal());
    }

    /**
     * Refuses a variant whose parameters or constants differ from what the launcher sets.
     *
     * @param constants compile-time constants the launcher depends on, with their values
     */
    static void requireContract(TritonKernelInfo info, List<String> names, List<KernelArguments.Kind> kinds, Map<String, Double> constants) {
        String variant = info.variant() + " (" + info.target() + ")";
        if (!info.parameterNames().equals(names) || !info.parameterKinds().equals(kinds)) {
            throw new IllegalStateException("Triton variant " + variant + " takes " + info.parameterNames() + " " + info.parameterKinds()
                    + ", but the launcher sets " + names + " " + kinds + "; rebuild the images with " + TritonImages.PIPELINE);
        }
        constants.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(constant -> {
            String written = info.constexprs().get(constant.getKey());
            if (written == null || !matches(written, constant.getValue())) {
                throw new IllegalStateException("Triton variant " + variant + " was compiled with " + constant.getKey() + "=" + written
                        + ", but the launcher plans with " + constant.getKey() + "=" + constant.getValue() + "; rebuild the images with " + TritonImages.PIPELINE);
            }
        });
    }

    private static boolean matches(String written, double expected) {
        try {
            return Double.parseDouble(written) == expected;
        }
        catch (NumberFormatException e) {
            return false;
        }
    }
}
