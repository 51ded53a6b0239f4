package dev.qlinear.cli.bench;

import static java.util.Objects.requireNonNull;

/**
 * The rows of one kernel or baseline across layers and M.
 *
 * @param source a kernel or a baseline
 * @param name the kernel id, or the baseline's key
 */
public record Series(Source source, String name) {

    public Series {
        requireNonNull(source, "source is null");
        requireNonNull(name, "name is null");
    }

    /** The kernel id, or the baseline's title. */
    public String title() {
        return source.isBaseline() ? source.title() : name;
    }
}
