package dev.qlinear.core.inject;

import dev.qlinear.core.select.SelectionPolicy;

import java.nio.file.Path;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * How a {@link dev.qlinear.core.Qlinear} instance is set up.
 *
 * @param pluginsFolder the folder of plugin jars, if any
 * @param classPathDiscovery whether to look for {@code META-INF/services} kernel providers on the class path
 * @param classLoader the class loader to search for class-path providers
 * @param policy the default selection policy
 */
public record QlinearOptions(Optional<Path> pluginsFolder, boolean classPathDiscovery, ClassLoader classLoader, SelectionPolicy policy) {
    public QlinearOptions {
        requireNonNull(pluginsFolder, "pluginsFolder is null");
        requireNonNull(classLoader, "classLoader is null");
        requireNonNull(policy, "policy is null");
    }
}
