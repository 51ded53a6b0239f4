package dev.qlinear.spi.type;

/**
 * How a floating-point {@link ScalarType} encodes NaN. Integer types carry {@link #IEEE_754} by convention,
 * which is part of their {@linkplain ScalarType#id() id}.
 */
public enum NanRepresentation {
    /** No NaN encoding at all. */
    NONE(0),
    /** Exponent all ones and mantissa not zero (IEEE 754). */
    IEEE_754(1),
    /** Only exponent all ones and mantissa all ones is NaN; the top exponent holds finite values (e4m3fn). */
    EXTENDED_RANGE_MAX_MIN(2),
    /**
     * The negative-zero pattern (sign set, everything else clear) is the only NaN and there is no negative zero
     * (the "fnuz" types of AMD MI300); the exponent bias is one higher than the IEEE bias.
     */
    NEGATIVE_ZERO(3);

    private final int code;

    NanRepresentation(int code) {
        this.code = code;
    }

    /** The code packed into {@link ScalarType#id()}; 0 to 2 match vLLM's {@code NanRepr}. */
    public int code() {
        return code;
    }
}
