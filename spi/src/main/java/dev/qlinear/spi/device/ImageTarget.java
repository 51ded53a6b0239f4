package dev.qlinear.spi.device;

import static java.util.Objects.requireNonNull;

/**
 * One compilation target inside a fatbin, as nvcc names it: SASS {@code sm_80} (machine code for 8.x devices of minor
 * 0 and up), SASS {@code sm_90a} (only for 9.0, with the architecture-specific instructions), or PTX
 * {@code compute_80} (compiled by the driver for 8.0 and every later device).
 *
 * @param name the name as written, such as {@code sm_90a}
 * @param ptx whether this is PTX rather than SASS
 * @param capability {@code 10 * major + minor}
 * @param architectureSpecific the {@code a} suffix: this exact capability only
 */
public record ImageTarget(String name, boolean ptx, int capability, boolean architectureSpecific) {

    public ImageTarget {
        requireNonNull(name, "name is null");
    }

    /** Parses {@code sm_XY}, {@code sm_XYa}, {@code compute_XY} or {@code compute_XYa}. */
    public static ImageTarget parse(String text) {
        requireNonNull(text, "text is null");
        String name = text.strip();
        if (!name.matches("(sm|compute)_\\d{2,3}a?")) {
            throw new IllegalArgumentException("kernel image target '" + text + "' must be sm_XY, sm_XYa, compute_XY or compute_XYa, such as sm_90a");
        }
        boolean ptx = name.startsWith("compute_");
        boolean specific = name.endsWith("a");
        String digits = name.substring(name.indexOf('_') + 1, name.length() - (specific ? 1 : 0));
        return new ImageTarget(name, ptx, Integer.parseInt(digits), specific);
    }

    /** Whether a device of this capability runs the image. */
    public boolean runsOn(int deviceCapability) {
        if (architectureSpecific) {
            return deviceCapability == capability;
        }
        if (ptx) {
            return deviceCapability >= capability;
        }
        return deviceCapability / 10 == capability / 10 && deviceCapability >= capability;
    }

    /** {@code SASS sm_90a} or {@code PTX compute_80}. */
    public String describe() {
        return (ptx ? "PTX " : "SASS ") + name;
    }
}
