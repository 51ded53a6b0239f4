package dev.qlinear.core.plugin;

import com.github.zafarkhaja.semver.Version;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Whether a plugin fits the host's SPI, by semantic versioning: the plugin's {@code requires} expression must admit
 * the host SPI version, and the SPI the plugin was compiled against must have the host's major and no newer minor.
 * A bare version in {@code requires} means "this version up to the next major" (a caret range), not PF4J's
 * "this version or anything later".
 */
public final class SpiCompatibility {

    private SpiCompatibility() {
    }

    /**
     * The reason the plugin is incompatible, or empty when it is compatible.
     *
     * @param requires the plugin's {@code plugin.requires}
     * @param builtAgainst the SPI version recorded in the plugin's kernel manifest
     * @param hostSpi the SPI version of this host
     */
    public static Optional<String> check(String requires, String builtAgainst, String hostSpi) {
        requireNonNull(requires, "requires is null");
        requireNonNull(builtAgainst, "builtAgainst is null");
        Version host = Version.parse(requireNonNull(hostSpi, "hostSpi is null"));
        String expression = requires.trim();
        if (expression.isEmpty() || expression.equals("*")) {
            return Optional.of("plugin.requires is missing: declare the SPI versions the plugin works with, such as '>=" + host.majorVersion() + ".0.0 & <" + (host.majorVersion() + 1) + ".0.0'");
        }
        Optional<Version> bare = Version.tryParse(expression);
        if (bare.isPresent()) {
            Version minimum = bare.get();
            expression = ">=" + minimum + " & <" + (minimum.majorVersion() + 1) + ".0.0";
        }
        boolean satisfied;
        try {
            satisfied = host.satisfies(expression);
        }
        catch (RuntimeException e) {
            return Optional.of("plugin.requires '" + requires + "' is not a valid version range: " + e.getMessage());
        }
        if (!satisfied) {
            return Optional.of("requires SPI '" + requires + "' but this host provides SPI " + host);
        }
        Optional<Version> built = Version.tryParse(builtAgainst);
        if (built.isEmpty()) {
            return Optional.of("kernel manifest names an invalid SPI version '" + builtAgainst + "'");
        }
        if (built.get().majorVersion() != host.majorVersion()) {
            return Optional.of("compiled against SPI " + built.get() + " but this host provides SPI " + host + ": a different major version is incompatible");
        }
        if (built.get().minorVersion() > host.minorVersion()) {
            return Optional.of("compiled against SPI " + built.get() + ", newer than this host's SPI " + host + ": upgrade qlinear");
        }
        return Optional.empty();
    }
}
