package dev.qlinear.spi.kernel;

import dev.qlinear.spi.platform.PlatformRequirement;

import static java.util.Objects.requireNonNull;

/**
 * A platform a kernel declares, with the kernel's priority there: when several kernels can run a layer, the one
 * with the highest priority is chosen unless the user's policy says otherwise.
 *
 * @param requirement the platforms covered
 * @param priority higher wins; ties are broken by kernel id
 */
public record PlatformSupport(PlatformRequirement requirement, int priority) {
    public PlatformSupport {
        requireNonNull(requirement, "requirement is null");
        if (priority < 0 || priority > 1000) {
            throw new IllegalArgumentException("priority must be in [0, 1000], got " + priority);
        }
    }

    /** Parses a requirement spec such as {@code cuda:sm_80+} and pairs it with a priority. */
    public static PlatformSupport of(String requirementSpec, int priority) {
        return new PlatformSupport(PlatformRequirement.parse(requirementSpec), priority);
    }

    @Override
    public String toString() {
        return requirement.spec() + " (priority " + priority + ")";
    }
}
