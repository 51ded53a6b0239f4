package dev.qlinear.cli.bench;

import java.util.Locale;

/** Number formatting of the reports, independent of the machine's locale. */
final class Units {

    private Units() {
    }

    static String fixed(double value, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
