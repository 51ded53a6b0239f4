package dev.qlinear.cli.bench;

import java.util.Locale;

/** Number formatting of the reports, independent of the machine's locale. */
final class Units {

    private Units() {
    }

    static String fixed(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** {@code 80.0 GiB}, {@code 50.0 MiB}, {@code 512 bytes}. */
    static String binary(long bytes) {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        if (bytes < 1024) {
            return bytes + " bytes";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
