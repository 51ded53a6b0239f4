package dev.qlinear.aiterfp8;

import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelArguments.Kind;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The C ABI of {@code src/main/hip/qlinear_aiter_fp8.h}, field by field: each entry point takes one argument struct,
 * which {@link KernelArguments} lays out as a C compiler does. {@code TestAiterShimAbi} compiles the header and checks
 * every name, type class, offset and size against these lists, so the two cannot drift apart.
 */
final class AiterShimAbi {

    /** {@code qlinear_aiter_quantize_args}: per-token dynamic quantization of bf16 rows. */
    static final Struct QUANTIZE = new Struct("qlinear_aiter_quantize_args", "qlinear_aiter_fp8_quantize", List.of(
            new Field("x", Kind.POINTER),
            new Field("xq", Kind.POINTER),
            new Field("x_scale", Kind.POINTER),
            new Field("m", Kind.INT32),
            new Field("k", Kind.INT32),
            new Field("x_row_stride", Kind.INT64),
            new Field("fnuz", Kind.INT32)));

    /** {@code qlinear_aiter_gemm_args}: the pre-shuffled GEMM through one CK instance. */
    static final Struct GEMM = new Struct("qlinear_aiter_gemm_args", "qlinear_aiter_fp8_gemm", List.of(
            new Field("xq", Kind.POINTER),
            new Field("wq", Kind.POINTER),
            new Field("x_scale", Kind.POINTER),
            new Field("w_scale", Kind.POINTER),
            new Field("y", Kind.POINTER),
            new Field("m", Kind.INT32),
            new Field("n", Kind.INT32),
            new Field("k", Kind.INT32),
            new Field("kernel_id", Kind.INT32),
            new Field("split_k", Kind.INT32)));

    /** {@code qlinear_aiter_bias_args}: the bias added in place after the GEMM. */
    static final Struct ADD_BIAS = new Struct("qlinear_aiter_bias_args", "qlinear_aiter_fp8_add_bias", List.of(
            new Field("y", Kind.POINTER),
            new Field("bias", Kind.POINTER),
            new Field("m", Kind.INT32),
            new Field("n", Kind.INT32)));

    static final List<Struct> ALL = List.of(QUANTIZE, GEMM, ADD_BIAS);

    private AiterShimAbi() {
    }

    /**
     * One argument struct of the header.
     *
     * @param typeName its C typedef
     * @param function the entry point that takes it
     * @param fields its members in declaration order
     */
    record Struct(String typeName, String function, List<Field> fields) {
        Struct {
            requireNonNull(typeName, "typeName is null");
            requireNonNull(function, "function is null");
            fields = List.copyOf(requireNonNull(fields, "fields is null"));
        }

        /** Arguments of this struct's signature, to fill and reuse. */
        KernelArguments newArguments() {
            return new KernelArguments(fields.stream().map(Field::kind).toList());
        }

        /** The position of a member. */
        int index(String field) {
            for (int index = 0; index < fields.size(); index++) {
                if (fields.get(index).name().equals(field)) {
                    return index;
                }
            }
            throw new IllegalArgumentException(typeName + " has no member '" + field + "'");
        }
    }

    /** A member of a struct and its C type class. */
    record Field(String name, Kind kind) {
        Field {
            requireNonNull(name, "name is null");
            requireNonNull(kind, "kind is null");
        }
    }
}
