package dev.qlinear.core.safetensors;

import dev.qlinear.spi.type.ScalarType;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An element type as a safetensors header names it ({@code "F16"}, {@code "BF16"}, ...), with its size and, where
 * qlinear has one, the matching {@link ScalarType}. Types without one (64-bit integers, F64, BOOL, the unsigned
 * 16- and 32-bit integers) can still be read as raw bytes, and the integer ones as {@code long} values.
 */
public enum SafetensorsDtype {
    BOOL(1, null),
    U8(1, ScalarType.UINT8),
    I8(1, ScalarType.INT8),
    F8_E5M2(1, ScalarType.FLOAT8_E5M2),
    F8_E4M3(1, ScalarType.FLOAT8_E4M3FN),
    U16(2, null),
    I16(2, null),
    F16(2, ScalarType.FLOAT16),
    BF16(2, ScalarType.BFLOAT16),
    U32(4, null),
    I32(4, ScalarType.INT32),
    F32(4, ScalarType.FLOAT32),
    U64(8, null),
    I64(8, ScalarType.INT64),
    F64(8, null);

    private static final Map<String, SafetensorsDtype> BY_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(SafetensorsDtype::name, Function.identity()));

    private final int elementBytes;
    private final ScalarType scalarType;

    SafetensorsDtype(int elementBytes, ScalarType scalarType) {
        this.elementBytes = elementBytes;
        this.scalarType = scalarType;
    }

    /** The type a header names exactly (names are case-sensitive, as in the reference implementation). */
    public static Optional<SafetensorsDtype> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    /** The safetensors type that stores the given qlinear type, if there is one. */
    public static Optional<SafetensorsDtype> of(ScalarType type) {
        return Arrays.stream(values()).filter(dtype -> type.equals(dtype.scalarType)).findFirst();
    }

    public int elementBytes() {
        return elementBytes;
    }

    public Optional<ScalarType> scalarType() {
        return Optional.ofNullable(scalarType);
    }

    /** Whether the elements are integers that {@code long} values hold exactly (every integer type but U64). */
    public boolean fitsInLong() {
        return switch (this) {
            case BOOL, U8, I8, U16, I16, U32, I32, I64 -> true;
            case F8_E5M2, F8_E4M3, F16, BF16, F32, F64, U64 -> false;
        };
    }
}
