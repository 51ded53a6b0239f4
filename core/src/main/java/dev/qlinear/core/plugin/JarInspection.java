package dev.qlinear.core.plugin;

import dev.qlinear.core.manifest.KernelManifest;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What the static checks found in one plugin jar, without loading any of its classes.
 *
 * @param jar the file inspected
 * @param identity its PF4J descriptor, when one could be read
 * @param manifest its kernel manifest, when one could be read
 * @param problems every reason the jar cannot be installed; empty when it passed
 */
public record JarInspection(Path jar, Optional<PluginIdentity> identity, Optional<KernelManifest> manifest, List<String> problems) {
    public JarInspection {
        requireNonNull(jar, "jar is null");
        requireNonNull(identity, "identity is null");
        requireNonNull(manifest, "manifest is null");
        problems = List.copyOf(requireNonNull(problems, "problems is null"));
    }

    public boolean passed() {
        return problems.isEmpty();
    }
}
