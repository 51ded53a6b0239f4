package dev.qlinear.cpuvector;

/**
 * The OCP e4m3fn format (bias 7, largest finite 448, NaN at 0x7F and 0xFF, no infinities): encoding by
 * round-to-nearest-even with saturation, straight from a double, as core's reference codec does, and exact decoding.
 */
final class E4m3 {

    static final float MAX = 448.0f;

    private static final int MANTISSA_BITS = 3;
    private static final int EXPONENT_BIAS = 7;
    private static final int MIN_NORMAL_EXPONENT = 1 - EXPONENT_BIAS;
    private static final int MAX_FINITE_BITS = 0x7E;
    private static final float[] VALUES = new float[256];

    static {
        for (int code = 0; code < 256; code++) {
            VALUES[code] = decodeSlowly(code);
        }
    }

    private E4m3() {
    }

    /**
     * The code of {@code value}, rounded once to nearest-even; magnitudes past 448 saturate to ±448 and -0 keeps its
     * sign (0x80). NaN has no place in dynamic quantization and encodes as the saturated value of its sign bit.
     */
    static int encodeSaturating(double value) {
        int sign = Double.doubleToRawLongBits(value) < 0 ? 0x80 : 0;
        double magnitude = Math.abs(value);
        if (!(magnitude <= MAX)) {
            return sign | MAX_FINITE_BITS;
        }
        // Below the normal range the quantum stays that of the smallest normal binade: subnormals.
        int exponent = Math.max(Math.getExponent(magnitude), MIN_NORMAL_EXPONENT);
        int quantumExponent = exponent - MANTISSA_BITS;
        double significand = Math.rint(Math.scalb(magnitude, -quantumExponent));
        // A significand that rounds up to 2^(m+1) carries into the exponent field, as it should.
        int bits = ((exponent + EXPONENT_BIAS - 1) << MANTISSA_BITS) + (int) significand;
        return sign | Math.min(bits, MAX_FINITE_BITS);
    }

    /** The exact value of a code; NaN for 0x7F and 0xFF. */
    static float decode(int code) {
        return VALUES[code & 0xFF];
    }

    static boolean isNan(int code) {
        return (code & 0x7F) == 0x7F;
    }

    /** The exponent field of the smallest normal binade, 1, in place. */
    static final int SMALLEST_NORMAL_EXPONENT_FIELD = 1 << MANTISSA_BITS;

    /** Whether a code is subnormal: exponent field 0 and a non-zero mantissa. */
    static boolean isSubnormal(int code) {
        return (code & 0x78) == 0 && (code & 0x07) != 0;
    }

    private static float decodeSlowly(int code) {
        if (isNan(code)) {
            return Float.NaN;
        }
        int exponentField = (code >>> MANTISSA_BITS) & 0xF;
        int mantissa = code & 0x7;
        float magnitude = exponentField == 0
                ? Math.scalb((float) mantissa, MIN_NORMAL_EXPONENT - MANTISSA_BITS)
                : Math.scalb((float) (8 + mantissa), exponentField - EXPONENT_BIAS - MANTISSA_BITS);
        return (code & 0x80) != 0 ? -magnitude : magnitude;
    }
}
