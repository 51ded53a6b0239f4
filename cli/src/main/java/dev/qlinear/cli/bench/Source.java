package dev.qlinear.cli.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What produced a row of the report: a qlinear kernel, or a baseline measured on the same device. */
public enum Source {
    KERNEL("kernel", "kernel"),
    CUBLAS_FP16("cublas-fp16", "cuBLAS fp16"),
    TORCH_FP16("torch-fp16", "torch fp16 matmul"),
    TORCH_FP8_ROWWISE("torch-fp8-rowwise", "torch._scaled_mm fp8 row-wise");

    private final String key;
    private final String title;

    Source(String key, String title) {
        this.key = key;
        this.title = title;
    }

    /** The name in JSON reports, such as {@code cublas-fp16}. */
    public String key() {
        return key;
    }

    /** The name in tables and charts. */
    public String title() {
        return title;
    }

    public boolean isBaseline() {
        return this != KERNEL;
    }

    public static Optional<Source> byKey(String key) {
        String wanted = key.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(source -> source.key.equals(wanted)).findFirst();
    }
}
