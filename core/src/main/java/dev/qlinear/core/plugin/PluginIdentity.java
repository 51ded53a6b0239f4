package dev.qlinear.core.plugin;

import static java.util.Objects.requireNonNull;

/**
 * The PF4J descriptor of a plugin jar.
 *
 * @param id plugin id ({@code plugin.id})
 * @param version plugin version ({@code plugin.version})
 * @param requires SPI version range ({@code plugin.requires})
 */
public record PluginIdentity(String id, String version, String requires) {
    public PluginIdentity {
        requireNonNull(id, "id is null");
        requireNonNull(version, "version is null");
        requireNonNull(requires, "requires is null");
    }
}
