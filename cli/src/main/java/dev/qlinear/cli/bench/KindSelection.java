package dev.qlinear.cli.bench;

import dev.qlinear.spi.config.LayerKind;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Which layers {@code qlinear bench --kind} times: weight-only (W4A16) layers, FP8 scaled-mm (PTPC) layers of the same
 * shapes, or both, weight-only first.
 */
public enum KindSelection {
    WEIGHT_ONLY("weight-only"),
    SCALED_MM("scaled-mm"),
    ALL("all");

    private final String key;

    KindSelection(String key) {
        this.key = key;
    }

    /** The name on the command line and in JSON reports, such as {@code scaled-mm}. */
    public String key() {
        return key;
    }

    /** Whether kernels of this layer kind are timed. */
    public boolean includes(LayerKind kind) {
        requireNonNull(kind, "kind is null");
        return this == ALL || (this == WEIGHT_ONLY ? kind == LayerKind.WEIGHT_ONLY : kind == LayerKind.SCALED_MM);
    }

    public static Optional<KindSelection> byKey(String key) {
        String wanted = key.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(kind -> kind.key.equals(wanted)).findFirst();
    }

    /** The keys, for messages: {@code weight-only, scaled-mm or all}. */
    static String keys() {
        return WEIGHT_ONLY.key + ", " + SCALED_MM.key + " or " + ALL.key;
    }
}
