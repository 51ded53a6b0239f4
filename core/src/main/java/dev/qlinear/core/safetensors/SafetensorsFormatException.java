package dev.qlinear.core.safetensors;

import java.io.IOException;
import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/** A safetensors file, checkpoint index or checkpoint directory breaks the format; the message names the file and the rule. */
public final class SafetensorsFormatException extends IOException {

    private final transient Path file;

    public SafetensorsFormatException(Path file, String problem) {
        super(requireNonNull(file, "file is null") + ": " + requireNonNull(problem, "problem is null"));
        this.file = file;
    }

    public SafetensorsFormatException(Path file, String problem, Throwable cause) {
        super(requireNonNull(file, "file is null") + ": " + requireNonNull(problem, "problem is null"), cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() {
        return file;
    }
}
