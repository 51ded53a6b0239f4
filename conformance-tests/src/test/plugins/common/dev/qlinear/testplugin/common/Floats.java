package dev.qlinear.testplugin.common;

import dev.qlinear.spi.type.ScalarType;

/** Exact conversions between doubles and the bits of fp16, bf16, fp32 and e4m3fn, rounding once to nearest-even. */
public final class Floats {

    private Floats() {
    }

    public static double decode(ScalarType type, int bits) {
        if (type.equals(ScalarType.FLOAT16)) {
            return Float.float16ToFloat((short) bits);
        }
        if (type.equals(ScalarType.BFLOAT16)) {
            return Float.intBitsToFloat(bits << 16);
        }
        if (type.equals(ScalarType.FLOAT32)) {
            return Float.intBitsToFloat(bits);
        }
        if (type.equals(ScalarType.FLOAT8_E4M3FN)) {
            return decodeE4m3fn(bits);
        }
        throw new IllegalArgumentException("no decoder for " + type);
    }

    /** The value rounded once to the type; fp16 and bf16 overflow to infinity. */
    public static int encode(ScalarType type, double value) {
        if (type.equals(ScalarType.FLOAT16)) {
            return narrow(value, 5, 10);
        }
        if (type.equals(ScalarType.BFLOAT16)) {
            return narrow(value, 8, 7);
        }
        if (type.equals(ScalarType.FLOAT32)) {
            return Float.floatToRawIntBits((float) value);
        }
        throw new IllegalArgumentException("no encoder for " + type);
    }

    private static int narrow(double value, int exponentBits, int mantissaBits) {
        int bias = (1 << (exponentBits - 1)) - 1;
        int maxField = (1 << exponentBits) - 2;
        int infinity = (maxField + 1) << mantissaBits;
        if (Double.isNaN(value)) {
            return infinity | 1 << (mantissaBits - 1);
        }
        int sign = Double.doubleToRawLongBits(value) < 0 ? 1 << (exponentBits + mantissaBits) : 0;
        double magnitude = Math.abs(value);
        if (magnitude == 0) {
            return sign;
        }
        if (Double.isInfinite(magnitude)) {
            return sign | infinity;
        }
        int minNormal = 1 - bias;
        int exponent = Math.getExponent(magnitude);
        if (exponent < minNormal) {
            return sign | (int) Math.rint(Math.scalb(magnitude, mantissaBits - minNormal));
        }
        double significand = Math.rint(Math.scalb(magnitude, mantissaBits - exponent));
        if (significand == 1 << (mantissaBits + 1)) {
            exponent++;
            significand = 1 << mantissaBits;
        }
        int field = exponent + bias;
        if (field > maxField) {
            return sign | infinity;
        }
        return sign | field << mantissaBits | ((int) significand - (1 << mantissaBits));
    }

    public static double decodeE4m3fn(int bits) {
        int exponent = (bits >> 3) & 0xF;
        int mantissa = bits & 0x7;
        double sign = (bits & 0x80) != 0 ? -1 : 1;
        if (exponent == 0xF && mantissa == 0x7) {
            return Double.NaN;
        }
        if (exponent == 0) {
            return sign * Math.scalb((double) mantissa, -9);
        }
        return sign * Math.scalb(8.0 + mantissa, exponent - 10);
    }

    /** A value already clamped to [-448, 448], rounded to e4m3fn. */
    public static int encodeE4m3fn(double value) {
        int sign = Double.doubleToRawLongBits(value) < 0 ? 0x80 : 0;
        double magnitude = Math.abs(value);
        if (magnitude < 0x1p-6) {
            return sign | (int) Math.rint(Math.scalb(magnitude, 9));
        }
        int exponent = Math.getExponent(magnitude);
        double significand = Math.rint(Math.scalb(magnitude, 3 - exponent));
        if (significand == 16) {
            exponent++;
            significand = 8;
        }
        return sign | (exponent + 7) << 3 | ((int) significand - 8);
    }
}
