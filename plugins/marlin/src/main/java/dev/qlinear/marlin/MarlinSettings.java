package dev.qlinear.marlin;

import java.util.Optional;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * The kernel's tunables.
 *
 * @param kernelMaxRows the largest M a GEMM kernel runs when the device has a dense GEMM and the layer is not
 *        act-order, when {@value #KERNEL_MAX_ROWS_PROPERTY} sets it (for measuring where the switch belongs); above it
 *        the layer is dequantized into the workspace and multiplied by the device's GEMM (cuBLAS). Unset, each kernel's
 *        default holds ({@link #kernelMaxRows(boolean)}).
 * @param maxRows the largest M of a call
 * @param overlapLaunches whether the decode kernel's launches overlap the work ahead of them where the sm_90a image runs
 *        (see {@code LaunchConfig.overlapsPrevious}); {@value #OVERLAP_PROPERTY}{@code =false} keeps stream order, for
 *        measuring what the overlap brings
 */
record MarlinSettings(OptionalInt kernelMaxRows, int maxRows, boolean overlapLaunches) {

    static final String KERNEL_MAX_ROWS_PROPERTY = "qlinear.marlin.kernel-max-m";
    static final String OVERLAP_PROPERTY = "qlinear.marlin.overlap-launches";
    /**
     * Not measured for this kernel: the switch point exllama measured for its fused kernel on an H100, taken as the
     * starting point. Measure it with {@value #KERNEL_MAX_ROWS_PROPERTY} before relying on it.
     */
    static final int DEFAULT_KERNEL_MAX_ROWS = 64;
    /**
     * Measured for the warpgroup kernel on an H100 (docs/perf/raw/marlin-hopper-kernel-h100-2026-11-22.txt, 10:45 UTC):
     * at M = 1024 it took 1.07-1.44x cuBLAS fp16's time on the Llama-3 8B and 70B layers where the dense path took
     * 1.36-1.40x; at M = 4096 1.13-1.64x against the dense path's 1.09-1.13x.
     */
    static final int DEFAULT_WARPGROUP_KERNEL_MAX_ROWS = 1024;
    /** The largest M of a call, as exllama declares it. */
    static final int MAX_ROWS = 1 << 16;

    MarlinSettings {
        requireNonNull(kernelMaxRows, "kernelMaxRows is null");
        if (kernelMaxRows.isPresent() && kernelMaxRows.getAsInt() < 1) {
            throw new IllegalArgumentException(KERNEL_MAX_ROWS_PROPERTY + " must be at least 1, got " + kernelMaxRows.getAsInt());
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("max rows must be at least 1, got " + maxRows);
        }
    }

    /** The largest M the warpgroup kernel (or else the sync-MMA kernel) runs ahead of the dense path. */
    int kernelMaxRows(boolean warpgroupKernel) {
        return kernelMaxRows.orElse(warpgroupKernel ? DEFAULT_WARPGROUP_KERNEL_MAX_ROWS : DEFAULT_KERNEL_MAX_ROWS);
    }

    /** The defaults, with what {@value #KERNEL_MAX_ROWS_PROPERTY} and {@value #OVERLAP_PROPERTY} set. */
    static MarlinSettings fromSystemProperties() {
        return of(Optional.ofNullable(System.getProperty(KERNEL_MAX_ROWS_PROPERTY)), Optional.ofNullable(System.getProperty(OVERLAP_PROPERTY)));
    }

    static MarlinSettings of(Optional<String> kernelMaxRows, Optional<String> overlapLaunches) {
        OptionalInt rows = kernelMaxRows.map(String::strip).map(text -> {
            try {
                return Integer.parseInt(text);
            }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException(KERNEL_MAX_ROWS_PROPERTY + " must be a whole number of rows, got '" + text + "'", e);
            }
        }).map(OptionalInt::of).orElse(OptionalInt.empty());
        boolean overlap = overlapLaunches.map(String::strip).map(text -> switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(OVERLAP_PROPERTY + " must be true or false, got '" + text + "'");
        }).orElse(true);
        return new MarlinSettings(rows, MAX_ROWS, overlap);
    }
}
