package dev.qlinear.spi.type;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * An element type of weights, activations, scales or outputs, described exactly enough to decode any stored bit
 * pattern.
 *
 * <p>Integers have {@code exponentBits = 0}; {@code mantissaBits} counts their magnitude bits without the sign bit,
 * and the value of a stored code is {@code stored - bias} (GPTQ 4-bit stores {@code value + 8}: {@link #UINT4B8}).
 * Floats have a non-zero exponent width, no integer bias, and the exponent bias {@code 2^(e-1) - 1}, one more for
 * the {@link NanRepresentation#NEGATIVE_ZERO "fnuz"} types.
 *
 * @param exponentBits width of the exponent field; 0 for integers
 * @param mantissaBits width of the mantissa field, or magnitude bits of an integer
 * @param signed whether a sign bit is stored
 * @param bias integer offset: value = stored - bias; 0 for floats
 * @param finiteValuesOnly whether the type has no infinities
 * @param nanRepresentation how NaN is encoded
 */
public record ScalarType(
        int exponentBits,
        int mantissaBits,
        boolean signed,
        int bias,
        boolean finiteValuesOnly,
        NanRepresentation nanRepresentation) {

    public static final ScalarType INT4 = integer(3, true, 0);
    public static final ScalarType UINT4 = integer(4, false, 0);
    /** GPTQ 4-bit: stored 0..15, value = stored - 8. */
    public static final ScalarType UINT4B8 = integer(4, false, 8);
    public static final ScalarType INT8 = integer(7, true, 0);
    public static final ScalarType UINT8 = integer(8, false, 0);
    /** GPTQ 8-bit: stored 0..255, value = stored - 128. */
    public static final ScalarType UINT8B128 = integer(8, false, 128);
    public static final ScalarType INT32 = integer(31, true, 0);
    /** 64-bit integers, for shapes and indices; {@link #decode} is exact up to 2^53 only. */
    public static final ScalarType INT64 = integer(63, true, 0);
    /** OCP FP8 e4m3: bias 7, largest finite 448, NaN only at 0x7F/0xFF, negative zero at 0x80. */
    public static final ScalarType FLOAT8_E4M3FN = new ScalarType(4, 3, true, 0, true, NanRepresentation.EXTENDED_RANGE_MAX_MIN);
    /** AMD MI300 FP8 e4m3: bias 8, largest finite 240, NaN only at 0x80, no negative zero. */
    public static final ScalarType FLOAT8_E4M3FNUZ = new ScalarType(4, 3, true, 0, true, NanRepresentation.NEGATIVE_ZERO);
    public static final ScalarType FLOAT8_E5M2 = new ScalarType(5, 2, true, 0, false, NanRepresentation.IEEE_754);
    public static final ScalarType FLOAT16 = new ScalarType(5, 10, true, 0, false, NanRepresentation.IEEE_754);
    public static final ScalarType BFLOAT16 = new ScalarType(8, 7, true, 0, false, NanRepresentation.IEEE_754);
    public static final ScalarType FLOAT32 = new ScalarType(8, 23, true, 0, false, NanRepresentation.IEEE_754);

    /** Every named type, in a stable order. */
    public static final List<ScalarType> NAMED = List.of(
            INT4, UINT4, UINT4B8, INT8, UINT8, UINT8B128, INT32, INT64,
            FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ, FLOAT8_E5M2, FLOAT16, BFLOAT16, FLOAT32);

    private static final Map<String, ScalarType> BY_NAME = byName();

    public ScalarType {
        requireNonNull(nanRepresentation, "nanRepresentation is null");
        if (exponentBits < 0 || exponentBits > 11) {
            throw new IllegalArgumentException("exponent bits must be in [0, 11], got " + exponentBits);
        }
        if (mantissaBits < 0 || mantissaBits > (exponentBits == 0 ? 63 : 52)) {
            throw new IllegalArgumentException("mantissa bits must be in [0, 52] for floats and [0, 63] for integers, got " + mantissaBits);
        }
        int size = exponentBits + mantissaBits + (signed ? 1 : 0);
        if (size < 1 || size > 64) {
            throw new IllegalArgumentException("a scalar type must have 1 to 64 bits, got " + size);
        }
        if (exponentBits > 0 && bias != 0) {
            throw new IllegalArgumentException("a floating-point type takes no integer bias, got bias " + bias);
        }
        if (exponentBits == 0 && (finiteValuesOnly || nanRepresentation != NanRepresentation.IEEE_754)) {
            throw new IllegalArgumentException("an integer type has finiteValuesOnly=false and nanRepresentation=IEEE_754 by convention, got "
                    + finiteValuesOnly + " and " + nanRepresentation);
        }
        if (exponentBits > 0 && nanRepresentation != NanRepresentation.IEEE_754 && !finiteValuesOnly) {
            throw new IllegalArgumentException("nanRepresentation " + nanRepresentation + " reuses the infinity patterns, so the type must be finite-only");
        }
        if (nanRepresentation == NanRepresentation.NEGATIVE_ZERO && !signed) {
            throw new IllegalArgumentException("nanRepresentation NEGATIVE_ZERO needs a sign bit");
        }
    }

    private static ScalarType integer(int magnitudeBits, boolean signed, int bias) {
        return new ScalarType(0, magnitudeBits, signed, bias, false, NanRepresentation.IEEE_754);
    }

    /** Looks up a named type by its {@linkplain #name() name} or a common alias ({@code fp16}, {@code bf16}, ...). */
    public static Optional<ScalarType> byName(String name) {
        requireNonNull(name, "name is null");
        return Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
    }

    /**
     * Parses a type name, failing with a message that lists the known names.
     *
     * @throws IllegalArgumentException if the name is unknown
     */
    public static ScalarType parse(String name) {
        return byName(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown scalar type '" + name + "'; known types: " + String.join(", ", BY_NAME.keySet().stream().sorted().toList())));
    }

    public int sizeBits() {
        return exponentBits + mantissaBits + (signed ? 1 : 0);
    }

    /** Bytes one element occupies when stored unpacked: 1 for types of at most 8 bits. */
    public int storageBytes() {
        return (sizeBits() + 7) / 8;
    }

    public boolean isInteger() {
        return exponentBits == 0;
    }

    public boolean isFloatingPoint() {
        return exponentBits > 0;
    }

    public boolean hasBias() {
        return bias != 0;
    }

    /** Exponent bias of a float type: {@code 2^(e-1) - 1}, plus one for fnuz types. */
    public int exponentBias() {
        requireFloat("exponentBias");
        return (1 << (exponentBits - 1)) - 1 + (nanRepresentation == NanRepresentation.NEGATIVE_ZERO ? 1 : 0);
    }

    /** Smallest value: for integers the smallest stored code minus the bias, for floats the negated {@link #max()}. */
    public double min() {
        if (isFloatingPoint()) {
            return signed ? -max() : 0;
        }
        long rawMin = signed ? -(1L << mantissaBits) : 0;
        return rawMin - bias;
    }

    /** Largest finite value: for integers the largest stored code minus the bias. */
    public double max() {
        if (isInteger()) {
            long rawMax = (1L << mantissaBits) - 1;
            return rawMax - bias;
        }
        int topExponentField = (1 << exponentBits) - 1;
        long allOnesMantissa = (1L << mantissaBits) - 1;
        int maxExponentField;
        long maxMantissa;
        switch (nanRepresentation) {
            case IEEE_754 -> {
                maxExponentField = finiteValuesOnly ? topExponentField : topExponentField - 1;
                maxMantissa = allOnesMantissa;
            }
            case EXTENDED_RANGE_MAX_MIN -> {
                maxExponentField = topExponentField;
                maxMantissa = allOnesMantissa - 1;
            }
            case NONE, NEGATIVE_ZERO -> {
                maxExponentField = topExponentField;
                maxMantissa = allOnesMantissa;
            }
            default -> throw new AssertionError(nanRepresentation);
        }
        double significand = 1 + maxMantissa / (double) (1L << mantissaBits);
        return Math.scalb(significand, maxExponentField - exponentBias());
    }

    /**
     * Decodes a stored bit pattern (the low {@link #sizeBits()} bits of {@code bits}) to its exact value.
     * Integers give {@code stored - bias} (two's complement when signed); floats may give NaN or an infinity.
     */
    public double decode(long bits) {
        int size = sizeBits();
        long pattern = size == 64 ? bits : bits & ((1L << size) - 1);
        if (isInteger()) {
            long stored = signed && size < 64 ? (pattern << (64 - size)) >> (64 - size) : pattern;
            return stored - bias;
        }
        boolean negative = signed && ((pattern >>> (exponentBits + mantissaBits)) & 1) == 1;
        int exponentField = (int) ((pattern >>> mantissaBits) & ((1L << exponentBits) - 1));
        long mantissaField = pattern & ((1L << mantissaBits) - 1);
        int topExponentField = (1 << exponentBits) - 1;
        switch (nanRepresentation) {
            case IEEE_754 -> {
                if (exponentField == topExponentField && !finiteValuesOnly) {
                    if (mantissaField != 0) {
                        return Double.NaN;
                    }
                    return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                }
            }
            case EXTENDED_RANGE_MAX_MIN -> {
                if (exponentField == topExponentField && mantissaField == (1L << mantissaBits) - 1) {
                    return Double.NaN;
                }
            }
            case NEGATIVE_ZERO -> {
                if (negative && exponentField == 0 && mantissaField == 0) {
                    return Double.NaN;
                }
            }
            case NONE -> {
            }
        }
        double magnitude;
        if (exponentField == 0) {
            magnitude = Math.scalb(mantissaField / (double) (1L << mantissaBits), 1 - exponentBias());
        }
        else {
            magnitude = Math.scalb(1 + mantissaField / (double) (1L << mantissaBits), exponentField - exponentBias());
        }
        return negative ? -magnitude : magnitude;
    }

    /**
     * The 64-bit id that passes this type to native code, packed least significant bit first: exponent bits 0-7,
     * mantissa 8-15, signed 16, bias 17-48, finite-only 49, NaN representation 50-57 (vLLM's layout).
     */
    public long id() {
        return (exponentBits & 0xFFL)
                | (mantissaBits & 0xFFL) << 8
                | (signed ? 1L : 0L) << 16
                | (bias & 0xFFFFFFFFL) << 17
                | (finiteValuesOnly ? 1L : 0L) << 49
                | (nanRepresentation.code() & 0xFFL) << 50;
    }

    /**
     * The canonical name: {@code [u]int<bits>[b<bias>]} for integers, {@code float<bits>_e<E>m<M>} with {@code f}
     * for finite-only and {@code n} for a NaN encoding ({@code nuz} for the negative-zero NaN) for floats, except
     * the IEEE types everyone knows by name: {@code float16}, {@code bfloat16}, {@code float32}.
     */
    public String name() {
        if (equals(FLOAT16)) {
            return "float16";
        }
        if (equals(BFLOAT16)) {
            return "bfloat16";
        }
        if (equals(FLOAT32)) {
            return "float32";
        }
        if (isInteger()) {
            return (signed ? "int" : "uint") + sizeBits() + (bias != 0 ? "b" + bias : "");
        }
        StringBuilder name = new StringBuilder("float").append(sizeBits())
                .append("_e").append(exponentBits).append('m').append(mantissaBits);
        if (finiteValuesOnly) {
            name.append('f');
        }
        switch (nanRepresentation) {
            case NONE, IEEE_754 -> {
            }
            case EXTENDED_RANGE_MAX_MIN -> name.append('n');
            case NEGATIVE_ZERO -> name.append("nuz");
        }
        return name.toString();
    }

    @Override
    public String toString() {
        return name();
    }

    private void requireFloat(String what) {
        if (!isFloatingPoint()) {
            throw new IllegalStateException(what + " is defined for floating-point types only, not for " + name());
        }
    }

    private static Map<String, ScalarType> byName() {
        Map<String, ScalarType> aliases = Map.of(
                "fp16", FLOAT16, "float16_e5m10", FLOAT16, "half", FLOAT16,
                "bf16", BFLOAT16, "float16_e8m7", BFLOAT16,
                "fp32", FLOAT32, "float32_e8m23", FLOAT32,
                "fp8_e4m3fn", FLOAT8_E4M3FN, "fp8_e4m3fnuz", FLOAT8_E4M3FNUZ, "fp8_e5m2", FLOAT8_E5M2);
        return Stream.concat(
                        NAMED.stream().collect(Collectors.toMap(ScalarType::name, Function.identity())).entrySet().stream(),
                        aliases.entrySet().stream())
                .collect(Collectors.toUnmodifiableMap(Map.Entry::getKey, Map.Entry::getValue));
    }
}
