package dev.qlinear.core.plugin;

import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.KernelProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Finds kernel providers listed in {@code META-INF/services} on a class path, for engines that embed kernels
 * without a plugins folder. Each provider counts as a plugin named after its class; one that fails to load is
 * refused and the others are kept.
 */
final class ClassPathPlugins {

    private static final Logger log = LoggerFactory.getLogger(ClassPathPlugins.class);

    private ClassPathPlugins() {
    }

    static List<FolderPlugins.Loaded> discover(ClassLoader classLoader, List<InstalledPlugin> refused) {
        List<FolderPlugins.Loaded> loaded = new ArrayList<>();
        Iterator<ServiceLoader.Provider<KernelProvider>> providers = ServiceLoader.load(KernelProvider.class, classLoader).stream().iterator();
        while (true) {
            ServiceLoader.Provider<KernelProvider> provider;
            try {
                if (!providers.hasNext()) {
                    break;
                }
                provider = providers.next();
            }
            catch (ServiceConfigurationError e) {
                refused.add(refusedProvider("unknown", "its META-INF/services entry is broken: " + PluginJarInspector.describe(e)));
                continue;
            }
            String className = provider.type().getName();
            PluginIdentity identity = new PluginIdentity(className, versionOf(provider.type()), "");
            try {
                KernelProvider instance = PluginCalls.withContextLoader(classLoader, provider::get);
                List<RegisteredKernel> kernels = FolderPlugins.kernelsOf(instance, classLoader, identity);
                List<KernelDescriptor> descriptors = kernels.stream().map(RegisteredKernel::descriptor).toList();
                InstalledPlugin plugin = new InstalledPlugin(className, identity.version(), new PluginSource.ClassPath(className),
                        PluginState.STARTED, List.of(), descriptors);
                loaded.add(new FolderPlugins.Loaded(plugin, kernels));
            }
            catch (ServiceConfigurationError e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                refused.add(refusedProvider(className, "kernel provider could not be created: " + PluginJarInspector.describe(cause)));
            }
            catch (FolderPlugins.PluginRefusedException e) {
                refused.add(refusedProvider(className, e.getMessage()));
            }
            catch (RuntimeException | LinkageError e) {
                refused.add(refusedProvider(className, "failed while listing its kernels: " + PluginJarInspector.describe(e)));
            }
        }
        return loaded;
    }

    private static InstalledPlugin refusedProvider(String className, String problem) {
        log.warn("Refused class-path kernel provider '{}': {}", className, problem);
        return new InstalledPlugin(className, "?", new PluginSource.ClassPath(className), PluginState.REFUSED, List.of(problem), List.of());
    }

    private static String versionOf(Class<?> type) {
        return Optional.ofNullable(type.getPackage()).map(Package::getImplementationVersion).orElse("unversioned");
    }
}
