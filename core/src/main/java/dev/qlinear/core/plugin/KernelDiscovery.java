package dev.qlinear.core.plugin;

import dev.qlinear.spi.kernel.KernelDescriptor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Builds the {@link KernelRegistry}: providers on the class path first, then the jars of the plugins folder. A
 * plugin whose kernel id is already taken by an earlier one is refused, naming the owner of the id.
 */
public final class KernelDiscovery {

    private final PluginJarInspector inspector;

    public KernelDiscovery(PluginJarInspector inspector) {
        this.inspector = requireNonNull(inspector, "inspector is null");
    }

    /**
     * @param pluginsFolder the folder of plugin jars, if any
     * @param classPath the class loader to search for {@code META-INF/services} providers, if any
     */
    public KernelRegistry discover(Optional<Path> pluginsFolder, Optional<ClassLoader> classPath) {
        List<InstalledPlugin> plugins = new ArrayList<>();
        List<FolderPlugins.Loaded> loaded = new ArrayList<>();
        classPath.ifPresent(loader -> loaded.addAll(ClassPathPlugins.discover(loader, plugins)));
        pluginsFolder.ifPresent(folder -> {
            FolderPlugins.Result result = new FolderPlugins(inspector).install(folder);
            plugins.addAll(result.refused());
            loaded.addAll(result.loaded());
        });

        List<RegisteredKernel> kernels = new ArrayList<>();
        Map<String, String> kernelOwners = new HashMap<>();
        for (FolderPlugins.Loaded candidate : loaded) {
            List<String> conflicts = new ArrayList<>();
            for (RegisteredKernel kernel : candidate.kernels()) {
                String owner = kernelOwners.get(kernel.id());
                if (owner != null) {
                    conflicts.add("kernel id '" + kernel.id() + "' is already provided by plugin '" + owner + "'");
                }
            }
            InstalledPlugin plugin = candidate.plugin();
            if (conflicts.isEmpty()) {
                candidate.kernels().forEach(kernel -> kernelOwners.put(kernel.id(), plugin.id()));
                kernels.addAll(candidate.kernels());
                plugins.add(plugin);
            }
            else {
                List<KernelDescriptor> declared = plugin.kernels();
                plugins.add(new InstalledPlugin(plugin.id(), plugin.version(), plugin.source(), PluginState.REFUSED, conflicts, declared));
            }
        }
        return new KernelRegistry(plugins, kernels);
    }
}
