package dev.qlinear.core.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import dev.qlinear.core.platform.CpuProbe;
import dev.qlinear.core.platform.CudaProbe;
import dev.qlinear.core.platform.PlatformDetector;
import dev.qlinear.core.platform.RocmProbe;
import dev.qlinear.core.plugin.KernelDiscovery;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.select.KernelSelector;
import dev.qlinear.core.select.SelectionPolicy;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Wires qlinear's services. Embedders use {@link dev.qlinear.core.Qlinear} and need not know Guice. */
public final class QlinearModule extends AbstractModule {

    private final QlinearOptions options;

    public QlinearModule(QlinearOptions options) {
        this.options = requireNonNull(options, "options is null");
    }

    @Override
    protected void configure() {
        bind(QlinearOptions.class).toInstance(options);
        bind(SelectionPolicy.class).toInstance(options.policy());
        bind(PluginJarInspector.class).in(Singleton.class);
    }

    @Provides
    @Singleton
    KernelRegistry kernelRegistry(PluginJarInspector inspector) {
        return new KernelDiscovery(inspector).discover(options.pluginsFolder(),
                options.classPathDiscovery() ? Optional.of(options.classLoader()) : Optional.empty());
    }

    @Provides
    @Singleton
    KernelSelector kernelSelector(KernelRegistry registry) {
        return new KernelSelector(registry);
    }

    /** In preference order: a CUDA GPU, a ROCm GPU, then the CPU, which every machine has. */
    @Provides
    @Singleton
    PlatformDetector platformDetector() {
        return new PlatformDetector(List.of(new CudaProbe(), new RocmProbe(), new CpuProbe()));
    }
}
