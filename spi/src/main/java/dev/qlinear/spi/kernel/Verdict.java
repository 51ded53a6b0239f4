package dev.qlinear.spi.kernel;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The answer to "can this kernel do it": accepted, or refused with every unmet constraint (never only the first).
 *
 * @param reasons every unmet constraint; empty means accepted
 */
public record Verdict(List<Reason> reasons) {

    private static final Verdict ACCEPTED = new Verdict(List.of());

    public Verdict {
        reasons = List.copyOf(requireNonNull(reasons, "reasons is null"));
    }

    public static Verdict accepted() {
        return ACCEPTED;
    }

    public static Verdict refused(Reason first, Reason... more) {
        List<Reason> all = new ArrayList<>();
        all.add(requireNonNull(first, "first is null"));
        all.addAll(List.of(more));
        return new Verdict(all);
    }

    public static Checks checks() {
        return new Checks();
    }

    public boolean isAccepted() {
        return reasons.isEmpty();
    }

    /** This verdict's reasons followed by the other's. */
    public Verdict and(Verdict other) {
        if (other.isAccepted()) {
            return this;
        }
        if (isAccepted()) {
            return other;
        }
        List<Reason> all = new ArrayList<>(reasons);
        all.addAll(other.reasons);
        return new Verdict(all);
    }

    @Override
    public String toString() {
        return isAccepted() ? "accepted" : "refused: " + String.join("; ", reasons.stream().map(Reason::message).toList());
    }

    /**
     * Collects every failed check, so a kernel's {@code canImplement} can state all its constraints in a row:
     * <pre>{@code
     * return Verdict.checks()
     *         .require(config.k() % 128 == 0, "K alignment", "K % 128 == 0", "K=" + config.k())
     *         .require(config.n() % 64 == 0, "N alignment", "N % 64 == 0", "N=" + config.n())
     *         .verdict();
     * }</pre>
     * Not thread-safe; use one per call.
     */
    public static final class Checks {
        private final List<Reason> reasons = new ArrayList<>();

        private Checks() {
        }

        /** Records a reason when the condition does not hold. */
        public Checks require(boolean condition, String constraint, String expected, String actual) {
            if (!condition) {
                reasons.add(new Reason(constraint, expected, actual));
            }
            return this;
        }

        public Checks add(Verdict verdict) {
            reasons.addAll(verdict.reasons());
            return this;
        }

        public Verdict verdict() {
            return reasons.isEmpty() ? ACCEPTED : new Verdict(reasons);
        }
    }
}
