package dev.qlinear.conformance;

import dev.qlinear.core.Qlinear;
import dev.qlinear.core.plugin.InstalledPlugin;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Where the kernels under test come from: a plugin jar, a plugins folder, or a provider on the class path. */
public sealed interface KernelSource permits KernelSource.PluginJar, KernelSource.PluginsFolder, KernelSource.Provider {

    /** A plugin jar, installed the way the host installs it (static checks, PF4J, its own class loader). */
    static KernelSource pluginJar(Path jar) {
        return new PluginJar(jar);
    }

    /** Every plugin of a folder, or only one of them. */
    static KernelSource pluginsFolder(Path folder, Optional<String> pluginId) {
        return new PluginsFolder(folder, pluginId);
    }

    /** The kernels of a provider already on the class path, such as the plugin module's own classes in its test. */
    static KernelSource provider(KernelProvider provider) {
        return new Provider(provider);
    }

    /** The kernels, and every plugin that was refused or could not be found, with the reasons. */
    Loaded load();

    /**
     * @param kernels the kernels to test
     * @param problems plugins that failed to load, as "plugin id: reasons"
     */
    record Loaded(List<RegisteredKernel> kernels, List<String> problems) {
        public Loaded {
            kernels = List.copyOf(requireNonNull(kernels, "kernels is null"));
            problems = List.copyOf(requireNonNull(problems, "problems is null"));
        }
    }

    record PluginJar(Path jar) implements KernelSource {
        public PluginJar {
            requireNonNull(jar, "jar is null");
        }

        @Override
        public Loaded load() {
            if (!Files.isRegularFile(jar)) {
                return new Loaded(List.of(), List.of("plugin jar " + jar.toAbsolutePath() + " does not exist"));
            }
            try {
                Path folder = Files.createTempDirectory("qlinear-conformance-");
                Files.copy(jar, folder.resolve(jar.getFileName()));
                folder.toFile().deleteOnExit();
                folder.resolve(jar.getFileName()).toFile().deleteOnExit();
                return new PluginsFolder(folder, Optional.empty()).load();
            }
            catch (IOException e) {
                throw new UncheckedIOException("cannot stage plugin jar " + jar + " for loading", e);
            }
        }
    }

    record PluginsFolder(Path folder, Optional<String> pluginId) implements KernelSource {
        public PluginsFolder {
            requireNonNull(folder, "folder is null");
            requireNonNull(pluginId, "pluginId is null");
        }

        @Override
        public Loaded load() {
            if (!Files.isDirectory(folder)) {
                return new Loaded(List.of(), List.of("plugins folder " + folder.toAbsolutePath() + " does not exist or is not a directory"));
            }
            Qlinear qlinear = Qlinear.builder().pluginsFolder(folder).classPathDiscovery(false).environment(Map.of()).policy(SelectionPolicy.defaults()).build();
            List<String> problems = new ArrayList<>();
            for (InstalledPlugin plugin : qlinear.plugins()) {
                if (!plugin.isStarted() && pluginId.map(plugin.id()::equals).orElse(true)) {
                    problems.add("plugin '" + plugin.id() + "' " + plugin.version() + " (" + plugin.source().location() + ") was refused: "
                            + String.join("; ", plugin.problems()));
                }
            }
            List<RegisteredKernel> kernels = qlinear.kernels().stream().filter(kernel -> pluginId.map(kernel.pluginId()::equals).orElse(true)).toList();
            if (pluginId.isPresent() && qlinear.plugins().stream().noneMatch(plugin -> plugin.id().equals(pluginId.get()))) {
                problems.add("no plugin '" + pluginId.get() + "' in " + folder.toAbsolutePath() + " (found: "
                        + qlinear.plugins().stream().map(InstalledPlugin::id).sorted().toList() + ")");
            }
            return new Loaded(kernels, problems);
        }
    }

    record Provider(KernelProvider provider) implements KernelSource {
        public Provider {
            requireNonNull(provider, "provider is null");
        }

        @Override
        public Loaded load() {
            Class<?> type = provider.getClass();
            String version = Optional.ofNullable(type.getPackage().getImplementationVersion()).orElse("0.0.0-dev");
            List<RegisteredKernel> kernels = new ArrayList<>();
            List<String> problems = new ArrayList<>();
            try {
                for (LinearKernel<?> kernel : provider.kernels()) {
                    kernels.add(new RegisteredKernel(kernel, kernel.descriptor(), type.getName(), version, type.getClassLoader()));
                }
            }
            catch (RuntimeException e) {
                problems.add("provider " + type.getName() + " failed to list its kernels: " + e);
            }
            return new Loaded(kernels, problems);
        }
    }
}
