package dev.qlinear.spi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The version of this SPI, which plugins name in their {@code plugin.requires}. It follows semantic versioning:
 * a new major breaks plugins built against an older one.
 */
public final class SpiVersion {

    private static final String CURRENT = load();

    private SpiVersion() {
    }

    /** {@code major.minor.patch} of the SPI on the class path. */
    public static String current() {
        return CURRENT;
    }

    private static String load() {
        try (InputStream in = SpiVersion.class.getResourceAsStream("/META-INF/qlinear/spi.properties")) {
            if (in == null) {
                throw new IllegalStateException("META-INF/qlinear/spi.properties is missing from the qlinear SPI jar");
            }
            Properties properties = new Properties();
            properties.load(in);
            String version = properties.getProperty("spi.version");
            if (version == null || !version.matches("\\d+\\.\\d+\\.\\d+")) {
                throw new IllegalStateException("META-INF/qlinear/spi.properties has no valid spi.version: " + version);
            }
            return version;
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read the SPI version", e);
        }
    }
}
