package dev.qlinear.cli;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Locale;

/** Option converters that pass the SPI's own messages on, so a bad value is reported once, with the rule it broke. */
public final class Converters {

    private Converters() {
    }

    public static final class ScalarTypes implements ITypeConverter<ScalarType> {
        @Override
        public ScalarType convert(String value) {
            try {
                return ScalarType.parse(value);
            }
            catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Platforms implements ITypeConverter<Platform> {
        @Override
        public Platform convert(String value) {
            try {
                return Platform.parse(value);
            }
            catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class GroupShapes implements ITypeConverter<GroupShape> {
        @Override
        public GroupShape convert(String value) {
            try {
                return GroupShape.parse(value);
            }
            catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code weight-only} or {@code scaled-mm}, the names layer descriptions use. */
    static final class LayerKinds implements ITypeConverter<LayerKind> {
        @Override
        public LayerKind convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "weight-only" -> LayerKind.WEIGHT_ONLY;
                case "scaled-mm" -> LayerKind.SCALED_MM;
                default -> throw new TypeConversionException("unknown layer kind '" + value + "': expected weight-only or scaled-mm");
            };
        }
    }

    static final class Formats implements ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            return switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "text" -> OutputFormat.TEXT;
                case "json" -> OutputFormat.JSON;
                default -> throw new TypeConversionException("unknown format '" + value + "': expected text or json");
            };
        }
    }
}
