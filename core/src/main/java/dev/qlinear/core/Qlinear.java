package dev.qlinear.core;

import com.google.inject.Guice;
import com.google.inject.Inject;
import com.google.inject.Injector;
import dev.qlinear.core.checkpoint.CheckpointReader;
import dev.qlinear.core.checkpoint.ModelExplainer;
import dev.qlinear.core.checkpoint.ModelReport;
import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.inject.QlinearModule;
import dev.qlinear.core.inject.QlinearOptions;
import dev.qlinear.core.platform.PlatformDetector;
import dev.qlinear.core.plugin.InstalledPlugin;
import dev.qlinear.core.plugin.JarInspection;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.rocm.Rocm;
import dev.qlinear.core.select.KernelSelector;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.core.select.SelectionReport;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.platform.Platform;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import static java.util.Objects.requireNonNull;

/**
 * The entry point for embedders: installed plugins, the platform, and the kernel for each layer.
 * <pre>{@code
 * Qlinear qlinear = Qlinear.builder().pluginsFolder(Path.of("plugins")).build();
 * RegisteredKernel kernel = qlinear.select(layerConfig);
 * }</pre>
 * Thread-safe. Plugins are discovered once, when the instance is built.
 */
public final class Qlinear {

    /** The environment variable naming the plugins folder when none is set explicitly. */
    public static final String PLUGINS_DIR_ENV = "QLINEAR_PLUGINS_DIR";

    private final KernelRegistry registry;
    private final KernelSelector selector;
    private final PluginJarInspector inspector;
    private final SelectionPolicy policy;
    private final PlatformDetector detector;
    private volatile Platform detected;
    private volatile Device device;

    @Inject
    Qlinear(KernelRegistry registry, KernelSelector selector, PluginJarInspector inspector, SelectionPolicy policy, PlatformDetector detector) {
        this.registry = registry;
        this.selector = selector;
        this.inspector = inspector;
        this.policy = policy;
        this.detector = detector;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The platform detected on this machine (probed once). */
    public Platform platform() {
        Platform platform = detected;
        if (platform == null) {
            synchronized (this) {
                if (detected == null) {
                    detected = detector.detect();
                }
                platform = detected;
            }
        }
        return platform;
    }

    /**
     * The device of the detected platform, made once: CUDA device 0 when CUDA was detected, ROCm device 0 when ROCm was,
     * else the host CPU. A GPU device is shared by the process ({@link Cuda#open}, {@link Rocm#open}); close it when
     * done with the GPU.
     */
    public Device device() {
        Device current = device;
        if (current == null) {
            synchronized (this) {
                if (device == null) {
                    Platform platform = platform();
                    device = switch (platform.vendor()) {
                        case CUDA -> Cuda.open(0);
                        case ROCM -> Rocm.open(0);
                        case CPU -> new CpuDevice(platform);
                    };
                }
                current = device;
            }
        }
        return current;
    }

    /** The probes the platform detection runs, in preference order. */
    public PlatformDetector detector() {
        return detector;
    }

    /** Every plugin found, started or refused with its reasons. */
    public List<InstalledPlugin> plugins() {
        return registry.plugins();
    }

    /** Every registered kernel. */
    public List<RegisteredKernel> kernels() {
        return registry.kernels();
    }

    /** The default policy of this instance. */
    public SelectionPolicy policy() {
        return policy;
    }

    /** The kernel for a layer on this machine under the default policy. */
    public RegisteredKernel select(LayerConfig config) {
        return selector.select(config, platform(), policy);
    }

    /** The kernel for a layer on a platform under a policy; see {@link KernelSelector#select}. */
    public RegisteredKernel select(LayerConfig config, Platform platform, SelectionPolicy policy) {
        return selector.select(config, platform, policy);
    }

    /** Why each kernel was accepted or refused for a layer on a platform under a policy. */
    public SelectionReport explain(LayerConfig config, Platform platform, SelectionPolicy policy) {
        return selector.explain(config, platform, policy);
    }

    /**
     * Which kernel would run each linear layer of a checkpoint directory (config.json and safetensors headers only).
     *
     * @param tensorParallel the tensor-parallel degree to split layers for; 1 for none
     */
    public ModelReport explainModel(Path checkpoint, Platform platform, SelectionPolicy policy, int tensorParallel) throws IOException {
        return new ModelExplainer(selector).explain(CheckpointReader.summarize(checkpoint), platform, policy, tensorParallel);
    }

    /** Kernel ids the policy disables or prefers that are not installed; see {@link KernelSelector#uninstalledPolicyIds}. */
    public List<String> uninstalledPolicyIds(SelectionPolicy policy) {
        return selector.uninstalledPolicyIds(policy);
    }

    /** The static checks on a plugin jar, without installing it. */
    public JarInspection verify(Path jar) {
        return inspector.inspect(jar);
    }

    /** Sets up a {@link Qlinear}. */
    public static final class Builder {
        private Optional<Path> pluginsFolder = Optional.empty();
        private boolean classPathDiscovery = true;
        private ClassLoader classLoader = Qlinear.class.getClassLoader();
        private Optional<SelectionPolicy> policy = Optional.empty();
        private Map<String, String> environment = System.getenv();

        private Builder() {
        }

        /** The folder of plugin jars; when not set, {@value #PLUGINS_DIR_ENV} names it, and without either none is used. */
        public Builder pluginsFolder(Path folder) {
            this.pluginsFolder = Optional.of(requireNonNull(folder, "folder is null"));
            return this;
        }

        /** Whether to discover {@code META-INF/services} kernel providers on the class path (default on). */
        public Builder classPathDiscovery(boolean enabled) {
            this.classPathDiscovery = enabled;
            return this;
        }

        /** The class loader searched for class-path providers (default: qlinear's own). */
        public Builder classLoader(ClassLoader loader) {
            this.classLoader = requireNonNull(loader, "loader is null");
            return this;
        }

        /** The default selection policy; when not set, it comes from the environment and system properties. */
        public Builder policy(SelectionPolicy policy) {
            this.policy = Optional.of(requireNonNull(policy, "policy is null"));
            return this;
        }

        /** The environment to read settings from (default: the process environment). */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(requireNonNull(environment, "environment is null"));
            return this;
        }

        public Qlinear build() {
            Properties properties = System.getProperties();
            Optional<Path> folder = pluginsFolder.or(() -> Optional.ofNullable(environment.get(PLUGINS_DIR_ENV)).filter(dir -> !dir.isBlank()).map(Path::of));
            SelectionPolicy selectionPolicy = policy.orElseGet(() -> SelectionPolicy.fromEnvironment(environment, properties));
            QlinearOptions options = new QlinearOptions(folder, classPathDiscovery, classLoader, selectionPolicy);
            Injector injector = Guice.createInjector(new QlinearModule(options));
            return injector.getInstance(Qlinear.class);
        }
    }
}
