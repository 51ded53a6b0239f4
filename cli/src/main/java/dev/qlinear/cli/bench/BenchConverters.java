package dev.qlinear.cli.bench;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Option converters of the bench commands; a bad value is reported with the rule it broke. */
final class BenchConverters {

    private BenchConverters() {
    }

    /** An activation row count: a positive integer. */
    static final class Rows implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            int rows;
            try {
                rows = Integer.parseInt(value.trim());
            }
            catch (NumberFormatException e) {
                throw new TypeConversionException("M='" + value + "' is not an integer");
            }
            if (rows < 1) {
                throw new TypeConversionException("M=" + rows + " is not a positive row count; M must be at least 1");
            }
            return rows;
        }
    }

    /** {@code --kind}: weight-only, scaled-mm or all. */
    static final class Kinds implements ITypeConverter<KindSelection> {
        @Override
        public KindSelection convert(String value) {
            return KindSelection.byKey(value)
                    .orElseThrow(() -> new TypeConversionException("unknown kind '" + value + "': expected " + KindSelection.keys()));
        }
    }

    static final class Metrics implements ITypeConverter<ChartMetric> {
        @Override
        public ChartMetric convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "speedup", "speed-up" -> ChartMetric.SPEEDUP;
                case "bandwidth" -> ChartMetric.BANDWIDTH;
                default -> throw new TypeConversionException("unknown metric '" + value + "': expected speedup or bandwidth");
            };
        }
    }

    /** A byte count: plain bytes, or with a unit such as {@code 256MiB}, {@code 200MB}, {@code 1GiB}. */
    static final class ByteSizes implements ITypeConverter<Long> {
        private static final Pattern SIZE = Pattern.compile("([0-9]+)\\s*([a-z]*)");

        @Override
        public Long convert(String value) {
            Matcher matcher = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
            if (!matcher.matches()) {
                throw new TypeConversionException("size '" + value + "' is not a byte count such as 209715200, 200MB or 256MiB");
            }
            long unit = switch (matcher.group(2)) {
                case "", "b" -> 1L;
                case "k", "kb" -> 1_000L;
                case "kib" -> 1L << 10;
                case "m", "mb" -> 1_000_000L;
                case "mib" -> 1L << 20;
                case "g", "gb" -> 1_000_000_000L;
                case "gib" -> 1L << 30;
                default -> throw new TypeConversionException("size '" + value + "' has an unknown unit '" + matcher.group(2) + "': use B, KB, KiB, MB, MiB, GB or GiB");
            };
            try {
                long bytes = Math.multiplyExact(Long.parseLong(matcher.group(1)), unit);
                if (bytes < 1) {
                    throw new TypeConversionException("size '" + value + "' must be at least one byte");
                }
                return bytes;
            }
            catch (ArithmeticException | NumberFormatException e) {
                throw new TypeConversionException("size '" + value + "' is too large");
            }
        }
    }
}
