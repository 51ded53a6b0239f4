package dev.qlinear.exllama;

import java.util.Optional;

/**
 * The kernel's tunables.
 *
 * @param fusedMaxRows the largest M the fused kernel runs when the device has a dense GEMM; above it the layer is
 *        dequantized into the workspace and multiplied by the device's GEMM (cuBLAS). {@value #FUSED_MAX_ROWS_PROPERTY}
 *        overrides it, for measuring where the switch belongs.
 * @param maxRows the largest M of a call
 */
record ExllamaSettings(int fusedMaxRows, int maxRows) {

    static final String FUSED_MAX_ROWS_PROPERTY = "qlinear.exllama.fused-max-m";
    /**
     * Measured on an H100 80GB HBM3 (2026-11-21, {@code src/test/cuda/exllama_check.cu switch}, Llama-3 8B and 70B
     * layers, G = 128): the fused kernel beats dequantize + cuBLAS at M = 48 on every layer and at M = 64 on all but
     * the smallest (4096 x 4096, 6 % slower there); at M = 96 dequantize + cuBLAS wins on three of five.
     */
    static final int DEFAULT_FUSED_MAX_ROWS = 64;
    static final int MAX_ROWS = 1 << 16;

    ExllamaSettings {
        if (fusedMaxRows < 1) {
            throw new IllegalArgumentException(FUSED_MAX_ROWS_PROPERTY + " must be at least 1, got " + fusedMaxRows);
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("max rows must be at least 1, got " + maxRows);
        }
    }

    /** The defaults, with the switch point from {@value #FUSED_MAX_ROWS_PROPERTY} when set. */
    static ExllamaSettings fromSystemProperties() {
        return of(Optional.ofNullable(System.getProperty(FUSED_MAX_ROWS_PROPERTY)));
    }

    static ExllamaSettings of(Optional<String> fusedMaxRows) {
        int rows = fusedMaxRows.map(String::strip).map(text -> {
            try {
                return Integer.parseInt(text);
            }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException(FUSED_MAX_ROWS_PROPERTY + " must be a whole number of rows, got '" + text + "'", e);
            }
        }).orElse(DEFAULT_FUSED_MAX_ROWS);
        return new ExllamaSettings(rows, MAX_ROWS);
    }
}
