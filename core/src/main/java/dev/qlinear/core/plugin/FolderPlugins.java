package dev.qlinear.core.plugin;

import dev.qlinear.core.manifest.KernelManifest;
import dev.qlinear.core.manifest.KernelManifestCodec;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.zafarkhaja.semver.Version;
import org.pf4j.PluginWrapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Installs the plugin jars of one folder: static checks on every jar, one winner per plugin id, then PF4J loading
 * in isolated class loaders. Every jar ends up started or refused with its reasons; no jar can take another down.
 */
final class FolderPlugins {

    private static final Logger log = LoggerFactory.getLogger(FolderPlugins.class);

    private final PluginJarInspector inspector;

    FolderPlugins(PluginJarInspector inspector) {
        this.inspector = inspector;
    }

    /** A plugin that passed every check, with its kernels. */
    record Loaded(InstalledPlugin plugin, List<RegisteredKernel> kernels) {
    }

    /** Outcome per jar, in file-name order. */
    record Result(List<InstalledPlugin> refused, List<Loaded> loaded) {
    }

    Result install(Path folder) {
        List<JarInspection> inspections = listJars(folder).stream().map(inspector::inspect).toList();
        List<InstalledPlugin> refused = new ArrayList<>();
        List<JarInspection> winners = new ArrayList<>();
        for (JarInspection inspection : inspections) {
            if (!inspection.passed()) {
                refused.add(refusedPlugin(inspection, inspection.problems()));
            }
        }
        Map<String, List<JarInspection>> byId = new LinkedHashMap<>();
        inspections.stream().filter(JarInspection::passed)
                .forEach(inspection -> byId.computeIfAbsent(inspection.identity().orElseThrow().id(), id -> new ArrayList<>()).add(inspection));
        for (List<JarInspection> sameId : byId.values()) {
            JarInspection winner = sameId.stream().max(HIGHEST_VERSION_THEN_FIRST_FILE).orElseThrow();
            winners.add(winner);
            for (JarInspection loser : sameId) {
                if (loser != winner) {
                    refused.add(refusedPlugin(loser, List.of(duplicateMessage(loser, winner))));
                }
            }
        }

        List<Loaded> loaded = new ArrayList<>();
        QlinearPluginManager manager = new QlinearPluginManager(folder);
        for (JarInspection winner : winners) {
            try {
                loaded.add(load(manager, winner));
            }
            catch (PluginRefusedException e) {
                refused.add(refusedPlugin(winner, e.problems()));
            }
        }
        return new Result(refused, loaded);
    }

    // Highest version wins; on equal versions the jar first by file name wins (max picks the last, so names compare reversed).
    private static final Comparator<JarInspection> HIGHEST_VERSION_THEN_FIRST_FILE = Comparator
            .<JarInspection, Version>comparing(inspection -> Version.parse(inspection.identity().orElseThrow().version()))
            .thenComparing(inspection -> inspection.jar().getFileName().toString(), Comparator.reverseOrder());

    private static String duplicateMessage(JarInspection loser, JarInspection winner) {
        String loserVersion = loser.identity().orElseThrow().version();
        String winnerVersion = winner.identity().orElseThrow().version();
        String why = Version.parse(winnerVersion).compareTo(Version.parse(loserVersion)) > 0
                ? "it has the higher version"
                : "both have version " + winnerVersion + " and it comes first by file name";
        return "duplicate plugin id '" + winner.identity().orElseThrow().id() + "': " + winner.jar().getFileName()
                + " (version " + winnerVersion + ") is installed instead of this jar (version " + loserVersion + ") because " + why;
    }

    private Loaded load(QlinearPluginManager manager, JarInspection inspection) {
        PluginIdentity identity = inspection.identity().orElseThrow();
        KernelManifest manifest = inspection.manifest().orElseThrow();
        String pluginId;
        try {
            pluginId = manager.loadPlugin(inspection.jar());
        }
        catch (RuntimeException | LinkageError e) {
            throw new PluginRefusedException("PF4J could not load it: " + PluginJarInspector.describe(e));
        }
        try {
            org.pf4j.PluginState state = manager.startPlugin(pluginId);
            PluginWrapper wrapper = manager.getPlugin(pluginId);
            if (state != org.pf4j.PluginState.STARTED) {
                String cause = Optional.ofNullable(wrapper.getFailedException()).map(PluginJarInspector::describe).orElse("no cause given");
                throw new PluginRefusedException("PF4J could not start it (state " + state + "): " + cause);
            }
            ClassLoader loader = wrapper.getPluginClassLoader();
            List<RegisteredKernel> kernels = new ArrayList<>();
            for (KernelProvider provider : instantiateProviders(manager.getExtensionClassNames(pluginId), loader)) {
                kernels.addAll(kernelsOf(provider, loader, identity));
            }
            checkAgainstManifest(manifest, kernels);
            InstalledPlugin plugin = new InstalledPlugin(identity.id(), identity.version(), new PluginSource.Folder(inspection.jar()),
                    PluginState.STARTED, List.of(), manifest.kernels());
            log.debug("Started plugin '{}' {} with kernels {}", identity.id(), identity.version(), manifest.kernelIds());
            return new Loaded(plugin, kernels);
        }
        catch (PluginRefusedException e) {
            unloadQuietly(manager, pluginId);
            throw e;
        }
        catch (RuntimeException | LinkageError e) {
            unloadQuietly(manager, pluginId);
            throw new PluginRefusedException("failed while starting: " + PluginJarInspector.describe(e));
        }
    }

    private static List<KernelProvider> instantiateProviders(Set<String> extensionClassNames, ClassLoader loader) {
        List<KernelProvider> providers = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String className : extensionClassNames) {
            try {
                Class<?> type = Class.forName(className, false, loader);
                if (!KernelProvider.class.isAssignableFrom(type)) {
                    continue;
                }
                providers.add(PluginCalls.withContextLoader(loader, () -> newInstance(type)));
            }
            catch (ClassNotFoundException | LinkageError | RuntimeException e) {
                Throwable cause = e instanceof ProviderConstructionException ? e.getCause() : e;
                problems.add("kernel provider " + className + " could not be created: " + PluginJarInspector.describe(cause));
            }
        }
        if (!problems.isEmpty()) {
            throw new PluginRefusedException(problems);
        }
        if (providers.isEmpty()) {
            throw new PluginRefusedException("its extension index lists no " + KernelProvider.class.getSimpleName()
                    + " (found " + extensionClassNames + "): annotate the provider with @org.pf4j.Extension");
        }
        return providers;
    }

    private static KernelProvider newInstance(Class<?> type) {
        try {
            return (KernelProvider) type.getConstructor().newInstance();
        }
        catch (java.lang.reflect.InvocationTargetException e) {
            throw new ProviderConstructionException(e.getCause());
        }
        catch (ReflectiveOperationException e) {
            throw new ProviderConstructionException(e);
        }
    }

    static List<RegisteredKernel> kernelsOf(KernelProvider provider, ClassLoader loader, PluginIdentity identity) {
        List<LinearKernel<?>> kernels = PluginCalls.withContextLoader(loader, provider::kernels);
        if (kernels == null) {
            throw new PluginRefusedException("kernel provider " + provider.getClass().getName() + " returned null from kernels()");
        }
        List<RegisteredKernel> registered = new ArrayList<>();
        for (LinearKernel<?> kernel : kernels) {
            KernelDescriptor descriptor = PluginCalls.withContextLoader(loader, kernel::descriptor);
            if (descriptor == null) {
                throw new PluginRefusedException("kernel " + kernel.getClass().getName() + " returned a null descriptor");
            }
            registered.add(new RegisteredKernel(kernel, descriptor, identity.id(), identity.version(), loader));
        }
        return registered;
    }

    private static void checkAgainstManifest(KernelManifest manifest, List<RegisteredKernel> kernels) {
        List<String> problems = new ArrayList<>();
        List<String> declared = manifest.kernelIds();
        List<String> provided = kernels.stream().map(RegisteredKernel::id).toList();
        if (!declared.equals(provided)) {
            problems.add("kernel manifest declares " + declared + " but the provider yields " + provided + ": rebuild the plugin");
        }
        else {
            for (int i = 0; i < kernels.size(); i++) {
                KernelDescriptor fromManifest = manifest.kernels().get(i);
                KernelDescriptor fromCode = kernels.get(i).descriptor();
                if (!fromManifest.equals(fromCode)) {
                    problems.add("kernel manifest is stale for '" + fromCode.id() + "': " + differences(fromManifest, fromCode) + "; rebuild the plugin");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new PluginRefusedException(problems);
        }
    }

    private static String differences(KernelDescriptor fromManifest, KernelDescriptor fromCode) {
        ObjectNode manifest = KernelManifestCodec.toJson(fromManifest);
        ObjectNode code = KernelManifestCodec.toJson(fromCode);
        List<String> differences = new ArrayList<>();
        code.fieldNames().forEachRemaining(field -> {
            if (!code.get(field).equals(manifest.get(field))) {
                differences.add(field + " is " + manifest.get(field) + " in the manifest but " + code.get(field) + " in the kernel");
            }
        });
        return String.join(", ", differences);
    }

    private static void unloadQuietly(QlinearPluginManager manager, String pluginId) {
        try {
            manager.unloadPlugin(pluginId);
        }
        catch (RuntimeException e) {
            log.debug("Could not unload refused plugin '{}'", pluginId, e);
        }
    }

    static InstalledPlugin refusedPlugin(JarInspection inspection, List<String> problems) {
        String id = inspection.identity().map(PluginIdentity::id).orElse(inspection.jar().getFileName().toString());
        String version = inspection.identity().map(PluginIdentity::version).orElse("?");
        List<KernelDescriptor> kernels = inspection.manifest().map(KernelManifest::kernels).orElse(List.of());
        log.warn("Refused plugin '{}' from {}: {}", id, inspection.jar(), String.join("; ", problems));
        return new InstalledPlugin(id, version, new PluginSource.Folder(inspection.jar()), PluginState.REFUSED, problems, kernels);
    }

    private static List<Path> listJars(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("plugins folder " + folder + " does not exist or is not a directory");
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(path -> path.getFileName().toString().endsWith(".jar") && Files.isRegularFile(path))
                    .sorted(Comparator.comparing(path -> path.getFileName().toString()))
                    .toList();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot list plugins folder " + folder, e);
        }
    }

    /** Thrown inside loading to refuse one plugin with its reasons. */
    static final class PluginRefusedException extends RuntimeException {
        private final List<String> problems;

        PluginRefusedException(String problem) {
            this(List.of(problem));
        }

        PluginRefusedException(List<String> problems) {
            super(String.join("; ", problems), null, false, false);
            this.problems = List.copyOf(problems);
        }

        List<String> problems() {
            return problems;
        }
    }

    private static final class ProviderConstructionException extends RuntimeException {
        ProviderConstructionException(Throwable cause) {
            super(cause);
        }
    }
}
