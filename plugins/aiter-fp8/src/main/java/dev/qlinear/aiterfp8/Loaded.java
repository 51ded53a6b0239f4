package dev.qlinear.aiterfp8;

import static java.util.Objects.requireNonNull;

/**
 * What reading one of aiter's files gave: its contents, or why it cannot be used. A malformed file is not an error of
 * the process; the kernel refuses with the reason.
 *
 * @param <T> the contents
 */
sealed interface Loaded<T> {

    record Read<T>(T contents) implements Loaded<T> {
        public Read {
            requireNonNull(contents, "contents is null");
        }
    }

    /** @param why a sentence naming the file and what is wrong, such as {@code tuned-GEMM CSV /a/b.csv is unreadable: line 3: ...} */
    record Unreadable<T>(String why) implements Loaded<T> {
        public Unreadable {
            requireNonNull(why, "why is null");
        }
    }
}
