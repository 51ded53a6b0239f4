package dev.qlinear.marlin;

import java.util.Optional;

/**
 * The kernel's tunables.
 *
 * @param kernelMaxRows the largest M the GEMM kernel runs when the device has a dense GEMM and the layer is not
 *        act-order; above it the layer is dequantized into the workspace and multiplied by the device's GEMM (cuBLAS).
 *        {@value #KERNEL_MAX_ROWS_PROPERTY} overrides it, for measuring where the switch belongs.
 * @param maxRows the largest M of a call
 * @param overlapLaunches whether the decode kernel's launches overlap the work ahead of them where the sm_90a image runs
 *        (see {@code LaunchConfig.overlapsPrevious}); {@value #OVERLAP_PROPERTY}{@code =false} keeps stream order, for
 *        measuring what the overlap brings
 */
record MarlinSettings(int kernelMaxRows, int maxRows, boolean overlapLaunches) {

    static final String KERNEL_MAX_ROWS_PROPERTY = "qlinear.marlin.kernel-max-m";
    static final String OVERLAP_PROPERTY = "qlinear.marlin.overlap-launches";
    /**
     * Not measured for this kernel: the switch point exllama measured for its fused kernel on an H100, taken as the
     * starting point. Measure it with {@value #KERNEL_MAX_ROWS_PROPERTY} before relying on it.
     */
    static final int DEFAULT_KERNEL_MAX_ROWS = 64;
    /** The largest M of a call, as exllama declares it. */
    static final int MAX_ROWS = 1 << 16;

    MarlinSettings {
        if (kernelMaxRows < 1) {
            throw new IllegalArgumentException(KERNEL_MAX_ROWS_PROPERTY + " must be at least 1, got " + kernelMaxRows);
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("max rows must be at least 1, got " + maxRows);
        }
    }

    /** The defaults, with what {@value #KERNEL_MAX_ROWS_PROPERTY} and {@value #OVERLAP_PROPERTY} set. */
    static MarlinSettings fromSystemProperties() {
        return of(Optional.ofNullable(System.getProperty(KERNEL_MAX_ROWS_PROPERTY)), Optional.ofNullable(System.getProperty(OVERLAP_PROPERTY)));
    }

    static MarlinSettings of(Optional<String> kernelMaxRows, Optional<String> overlapLaunches) {
        int rows = kernelMaxRows.map(String::strip).map(text -> {
            try {
                return Integer.parseInt(text);
            }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException(KERNEL_MAX_ROWS_PROPERTY + " must be a whole number of rows, got '" + text + "'", e);
            }
        }).orElse(DEFAULT_KERNEL_MAX_ROWS);
        boolean overlap = overlapLaunches.map(String::strip).map(text -> switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(OVERLAP_PROPERTY + " must be true or false, got '" + text + "'");
        }).orElse(true);
        return new MarlinSettings(rows, MAX_ROWS, overlap);
    }
}
