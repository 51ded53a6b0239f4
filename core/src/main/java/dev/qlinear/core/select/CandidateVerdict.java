package dev.qlinear.core.select;

import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.kernel.Reason;

import java.util.List;
import java.util.OptionalInt;

import static java.util.Objects.requireNonNull;

/**
 * One candidate kernel and what selection made of it.
 *
 * @param kernel the kernel
 * @param priority its declared priority on the platform, empty when it does not declare the platform
 * @param status selected, accepted but not chosen, or refused
 * @param reasons every reason it was refused; empty otherwise
 */
public record CandidateVerdict(RegisteredKernel kernel, OptionalInt priority, Status status, List<Reason> reasons) {

    public enum Status {
        SELECTED, ACCEPTED, REFUSED
    }

    public CandidateVerdict {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(priority, "priority is null");
        requireNonNull(status, "status is null");
        reasons = List.copyOf(requireNonNull(reasons, "reasons is null"));
        if ((status == Status.REFUSED) == reasons.isEmpty()) {
            throw new IllegalArgumentException("a refused candidate must have reasons and an accepted one none: " + kernel.id() + " " + status + " " + reasons);
        }
    }

    public boolean isAccepted() {
        return status != Status.REFUSED;
    }

    public String kernelId() {
        return kernel.id();
    }

    /** {@code marlin (plugin marlin 1.0.0): K alignment: needs ..., got ...; ...}. */
    public String describe() {
        String head = kernel.id() + " (plugin " + kernel.pluginId() + " " + kernel.pluginVersion() + ")";
        if (isAccepted()) {
            return head + ": " + status.name().toLowerCase(java.util.Locale.ROOT);
        }
        return head + ": " + String.join("; ", reasons.stream().map(Reason::message).toList());
    }
}
