package dev.qlinear.core.reference;

import dev.qlinear.spi.type.NanRepresentation;
import dev.qlinear.spi.type.ScalarType;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Exact conversion between doubles and the bit patterns of a signed floating-point {@link ScalarType} of at most
 * 32 bits: fp8 (e4m3fn, e4m3fnuz, e5m2), fp16, bf16 and fp32.
 *
 * <p>{@link #decode(int)} is exact ({@link ScalarType#decode(long)}). {@link #encode(double)} rounds once, straight
 * from the double, to the nearest value of the type with ties to the even significand (IEEE 754
 * roundTiesToEven), subnormals included. It never narrows to float first: double → float → half rounds twice, and
 * a double just above a half-way point can become the half-way point as a float and then round to even, the wrong
 * way.
 *
 * <p>Out-of-range values:
 * <ul>
 *   <li>Finite-only types (e4m3fn, e4m3fnuz) <b>saturate</b>: a value whose rounded magnitude exceeds the largest
 *       finite value, and ±infinity, encode as ±max (448 for e4m3fn, 240 for e4m3fnuz). This is the "satfinite"
 *       mode of the quantization kernels (CUDA {@code __NV_SATFINITE}; vLLM clamps to ±max before its cast, which
 *       gives the same code). A plain PyTorch cast {@code x.to(float8_e4m3fn)} gives NaN instead; that mode is not
 *       modelled here.</li>
 *   <li>Types with infinities (e5m2, fp16, bf16, fp32) follow IEEE 754 in {@link #encode(double)}: a value that
 *       rounds past max becomes ±infinity (fp16: everything from 65520 up). {@link #encodeSaturating(double)}
 *       clamps to ±max for every type, infinities included.</li>
 * </ul>
 *
 * <p>NaN encodes as the type's canonical NaN ({@link #nanBits()}): {@code 0x7F} for e4m3fn, {@code 0x80} for
 * e4m3fnuz, the quiet NaN with only the top mantissa bit set for IEEE types ({@code 0x7E00} for fp16,
 * {@code 0x7FC0} for bf16). Signed zero is kept ({@code -0.0} encodes as the sign bit alone), except in fnuz types,
 * which have no negative zero: anything whose magnitude rounds to zero encodes as {@code 0x00}, because
 * {@code 0x80} is their NaN.
 */
public final class FloatCodec {

    public static final FloatCodec FLOAT8_E4M3FN = new FloatCodec(ScalarType.FLOAT8_E4M3FN);
    public static final FloatCodec FLOAT8_E4M3FNUZ = new FloatCodec(ScalarType.FLOAT8_E4M3FNUZ);
    public static final FloatCodec FLOAT8_E5M2 = new FloatCodec(ScalarType.FLOAT8_E5M2);
    public static final FloatCodec FLOAT16 = new FloatCodec(ScalarType.FLOAT16);
    public static final FloatCodec BFLOAT16 = new FloatCodec(ScalarType.BFLOAT16);
    public static final FloatCodec FLOAT32 = new FloatCodec(ScalarType.FLOAT32);

    private static final Map<ScalarType, FloatCodec> NAMED = List.of(FLOAT8_E4M3FN, FLOAT8_E4M3FNUZ, FLOAT8_E5M2, FLOAT16, BFLOAT16, FLOAT32)
            .stream()
            .collect(Collectors.toUnmodifiableMap(FloatCodec::type, Function.identity()));

    private static final int NO_PATTERN = -1;

    private final ScalarType type;
    private final int mantissaBits;
    private final int exponentBias;
    private final int minNormalExponent;
    private final double max;
    private final int signBit;
    private final boolean hasNegativeZero;
    private final int infinityBits;
    private final int nanBits;
    private final int maxBits;

    private FloatCodec(ScalarType type) {
        this.type = requireNonNull(type, "type is null");
        if (!type.isFloatingPoint() || !type.signed() || type.sizeBits() > 32) {
            throw new IllegalArgumentException("a float codec needs a signed floating-point type of at most 32 bits, got " + type);
        }
        this.mantissaBits = type.mantissaBits();
        this.exponentBias = type.exponentBias();
        this.minNormalExponent = 1 - exponentBias;
        this.max = type.max();
        this.signBit = 1 << (type.exponentBits() + mantissaBits);
        this.hasNegativeZero = type.nanRepresentation() != NanRepresentation.NEGATIVE_ZERO;
        int topExponent = ((1 << type.exponentBits()) - 1) << mantissaBits;
        boolean ieeeSpecials = type.nanRepresentation() == NanRepresentation.IEEE_754 && !type.finiteValuesOnly();
        this.infinityBits = ieeeSpecials ? topExponent : NO_PATTERN;
        this.nanBits = switch (type.nanRepresentation()) {
            case IEEE_754 -> ieeeSpecials && mantissaBits > 0 ? topExponent | 1 << (mantissaBits - 1) : NO_PATTERN;
            case EXTENDED_RANGE_MAX_MIN -> signBit - 1;
            case NEGATIVE_ZERO -> signBit;
            case NONE -> NO_PATTERN;
        };
        this.maxBits = roundedMagnitudeBits(max);
    }

    /**
     * The codec of a type: the shared instance for the named types, a new one for others.
     *
     * @throws IllegalArgumentException if the type is not a signed float of at most 32 bits
     */
    public static FloatCodec of(ScalarType type) {
        requireNonNull(type, "type is null");
        FloatCodec named = NAMED.get(type);
        return named != null ? named : new FloatCodec(type);
    }

    public ScalarType type() {
        return type;
    }

    /** Largest finite value. */
    public double max() {
        return max;
    }

    /** Bits of the largest finite value ({@code 0x7E} for e4m3fn, {@code 0x7F} for e4m3fnuz, {@code 0x7BFF} for fp16). */
    public int maxBits() {
        return maxBits;
    }

    /** Smallest positive (subnormal) value: {@code 2^(1 - bias - mantissaBits)}. */
    public double minSubnormal() {
        return Math.scalb(1.0, minNormalExponent - mantissaBits);
    }

    /**
     * The canonical NaN pattern that {@link #encode(double)} writes for NaN.
     *
     * @throws IllegalStateException if the type has no NaN
     */
    public int nanBits() {
        if (nanBits == NO_PATTERN) {
            throw new IllegalStateException(type + " has no NaN encoding");
        }
        return nanBits;
    }

    /**
     * The exact value of a bit pattern.
     *
     * @param bits a pattern of {@link ScalarType#sizeBits()} bits; for 32-bit types any int
     * @throws IllegalArgumentException if bits outside the type's width are set
     */
    public double decode(int bits) {
        int size = type.sizeBits();
        if (size < 32 && (bits < 0 || bits >= 1 << size)) {
            throw new IllegalArgumentException("pattern 0x" + Integer.toHexString(bits) + " is wider than the " + size + " bits of " + type);
        }
        return type.decode(bits & 0xFFFFFFFFL);
    }

    /**
     * Rounds to the nearest value, ties to even, and returns its bit pattern. Finite-only types saturate; types
     * with infinities overflow to infinity (see the class description).
     */
    public int encode(double value) {
        return encode(value, infinityBits == NO_PATTERN);
    }

    /** Like {@link #encode(double)}, but every type saturates: out-of-range values and infinities become ±max. */
    public int encodeSaturating(double value) {
        return encode(value, true);
    }

    /** {@code decode(encode(value))}: the value rounded to this type, with its overflow rule. */
    public double round(double value) {
        return decode(encode(value));
    }

    /** {@code decode(encodeSaturating(value))}. */
    public double roundSaturating(double value) {
        return decode(encodeSaturating(value));
    }

    private int encode(double value, boolean saturate) {
        if (Double.isNaN(value)) {
            if (nanBits == NO_PATTERN) {
                throw new IllegalArgumentException("cannot encode NaN: " + type + " has no NaN encoding");
            }
            return nanBits;
        }
        boolean negative = Double.doubleToRawLongBits(value) < 0;
        double magnitude = Math.abs(value);
        int magnitudeBits = magnitude == Double.POSITIVE_INFINITY ? NO_PATTERN : roundedMagnitudeBits(magnitude);
        if (magnitudeBits == NO_PATTERN) {
            magnitudeBits = saturate ? maxBits : infinityBits;
        }
        if (magnitudeBits == 0 && !hasNegativeZero) {
            return 0;
        }
        return negative ? magnitudeBits | signBit : magnitudeBits;
    }

    /** The pattern of a finite non-negative magnitude rounded to nearest-even, or NO_PATTERN past max. */
    private int roundedMagnitudeBits(double magnitude) {
        // Below the normal range the quantum stays at that of the smallest normal binade: subnormals.
        int exponent = Math.max(Math.getExponent(magnitude), minNormalExponent);
        int quantumExponent = exponent - mantissaBits;
        // Exact: scaling by a power of two, then rint is roundTiesToEven to an integer significand.
        double significand = Math.rint(Math.scalb(magnitude, -quantumExponent));
        if (Math.scalb(significand, quantumExponent) > max) {
            return NO_PATTERN;
        }
        // A significand of 2^(m+1) after rounding up carries into the exponent field, as it should; in the
        // subnormal binade the exponent term is 0 and 2^m becomes the smallest normal.
        return ((exponent + exponentBias - 1) << mantissaBits) + (int) significand;
    }

    @Override
    public String toString() {
        return "FloatCodec[" + type + "]";
    }
}
