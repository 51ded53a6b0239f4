package dev.qlinear.exllama;

import java.util.Optional;

/**
 * The kernel's tunables.
 *
 * @param fusedMaxRows the largest M the fused kernel runs when the device has a dense GEMM; above it the layer is
 *        dequantized into the workspace and multiplied by the device's GEMM (cuBLAS). {@value #FUSED_MAX_ROWS_PROPERTY}
 *        overrides it, for measuring where the switch belongs.
 * @param maxRows the largest M of a call
 * @param overlapLaunches whether the decode kernel's launch overlaps the work ahead of it on sm_90 (see
 *        {@code LaunchConfig.overlapsPrevious}); {@value #OVERLAP_PROPERTY}{@code =false} keeps stream order, for
 *        measuring what the overlap brings
 */
record ExllamaSettings(int fusedMaxRows, int maxRows, boolean overlapLaunches) {

    static final String FUSED_MAX_ROWS_PROPERTY = "qlinear.exllama.fused-max-m";
    static final String OVERLAP_PROPERTY = "qlinear.exllama.overlap-launches";
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

    /** The defaults, with what {@value #FUSED_MAX_ROWS_PROPERTY} and {@value #OVERLAP_PROPERTY} set. */
    static ExllamaSettings fromSystemProperties() {
        return of(Optional.ofNullable(System.getProperty(FUSED_MAX_ROWS_PROPERTY)), Optional.ofNullable(System.getProperty(OVERLAP_PROPERTY)));
    }

    static ExllamaSettings of(Optional<String> fusedMaxRows, Optional<String> overlapLaunches) {
        int rows = fusedMaxRows.map(String::strip).map(text -> {
            try {
                return Integer.parseInt(text);
            }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException(FUSED_MAX_ROWS_PROPERTY + " must be a whole number of rows, got '" + text + "'", e);
            }
        }).orElse(DEFAULT_FUSED_MAX_ROWS);
        boolean overlap = overlapLaunches.map(String::strip).map(text -> switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(OVERLAP_PROPERTY + " must be true or false, got '" + text + "'");
        }).orElse(true);
        return new ExllamaSettings(rows, MAX_ROWS, overlap);
    }
}
