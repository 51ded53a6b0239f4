package dev.qlinear.cli;

import java.io.PrintWriter;
import java.util.Collection;
import java.util.Locale;

/** Formatting shared by the text output of the commands. */
public final class Text {

    private Text() {
    }

    /** Prints {@code label:} padded to {@code width} columns, then the value. */
    static void field(PrintWriter out, String indent, int width, String label, Object value) {
        out.println(indent + String.format(Locale.ROOT, "%-" + width + "s", label + ":") + " " + value);
    }

    /** {@code 80.0 GiB}, {@code 50.0 MiB}, {@code 512 bytes}. */
    public static String bytes(long bytes) {
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

    static String list(Collection<String> values) {
        return values.isEmpty() ? "none" : String.join(", ", values);
    }

    static String yesNo(boolean value) {
        return value ? "yes" : "no";
    }
}
