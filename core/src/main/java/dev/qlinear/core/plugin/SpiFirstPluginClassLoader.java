package dev.qlinear.core.plugin;

import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginManager;

/**
 * A plugin-first class loader that always takes the qlinear SPI from the host, so a kernel's
 * {@code LinearKernel} is the host's {@code LinearKernel} (a second copy would fail with "X cannot be cast to X").
 */
final class SpiFirstPluginClassLoader extends PluginClassLoader {

    private static final String SPI_PACKAGE = "dev.qlinear.spi.";

    static {
        registerAsParallelCapable();
    }

    SpiFirstPluginClassLoader(PluginManager pluginManager, PluginDescriptor descriptor, ClassLoader host) {
        super(pluginManager, descriptor, host);
    }

    @Override
    protected boolean shouldDelegateToParent(String className) {
        return className.startsWith(SPI_PACKAGE) || super.shouldDelegateToParent(className);
    }
}
