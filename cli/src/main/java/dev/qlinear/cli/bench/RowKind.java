package dev.qlinear.cli.bench;

import dev.qlinear.spi.config.LayerKind;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The layer a row computes: a weight-only (W4A16) layer, an FP8 scaled-mm layer, or a dense 16-bit GEMM of the same
 * shape (the cuBLAS and torch fp16 baselines). Orders a layer's rows: weight-only first, then scaled-mm.
 */
public enum RowKind {
    WEIGHT_ONLY("weight-only"),
    SCALED_MM("scaled-mm"),
    DENSE("dense");

    private final String key;

    RowKind(String key) {
        this.key = key;
    }

    /** The name in JSON reports, such as {@code scaled-mm}. */
    public String key() {
        return key;
    }

    public static RowKind of(LayerKind kind) {
        return switch (kind) {
            case WEIGHT_ONLY -> WEIGHT_ONLY;
            case SCALED_MM -> SCALED_MM;
        };
    }

    /**
     * The kind a source's rows have unless told otherwise: that of its baseline, and weight-only for kernels (the only
     * kind reports before {@code --kind} measured).
     */
    public static RowKind defaultFor(Source source) {
        return switch (source) {
            case KERNEL -> WEIGHT_ONLY;
            case CUBLAS_FP16, TORCH_FP16 -> DENSE;
            case TORCH_FP8_ROWWISE -> SCALED_MM;
        };
    }

    public static Optional<RowKind> byKey(String key) {
        String wanted = key.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(kind -> kind.key.equals(wanted)).findFirst();
    }
}
