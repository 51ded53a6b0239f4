package dev.qlinear.conformance.cases;

import dev.qlinear.spi.type.ScalarType;

/** Short type names for case ids and report columns. */
public final class Types {

    private Types() {
    }

    /** {@code fp16}, {@code bf16}, {@code fp32}, {@code e4m3fn}, {@code e4m3fnuz}; other types by their full name. */
    public static String shortName(ScalarType type) {
        if (type.equals(ScalarType.FLOAT16)) {
            return "fp16";
        }
        if (type.equals(ScalarType.BFLOAT16)) {
            return "bf16";
        }
        if (type.equals(ScalarType.FLOAT32)) {
            return "fp32";
        }
        if (type.equals(ScalarType.FLOAT8_E4M3FN)) {
            return "e4m3fn";
        }
        if (type.equals(ScalarType.FLOAT8_E4M3FNUZ)) {
            return "e4m3fnuz";
        }
        return type.name();
    }
}
