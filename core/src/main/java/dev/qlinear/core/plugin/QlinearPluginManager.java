package dev.qlinear.core.plugin;

import dev.qlinear.spi.SpiVersion;
import org.pf4j.DefaultPluginManager;
import org.pf4j.JarPluginLoader;
import org.pf4j.PluginClassLoader;
import org.pf4j.PluginDescriptor;
import org.pf4j.PluginLoader;
import org.pf4j.PluginStatusProvider;

import java.nio.file.Path;

/**
 * PF4J, set up for kernel plugins: jars only (never development folders), SPI classes from the host, and
 * {@code plugin.requires} checked against the SPI version. Not thread-safe, like PF4J: used while discovering only.
 */
final class QlinearPluginManager extends DefaultPluginManager {

    QlinearPluginManager(Path pluginsRoot) {
        super(pluginsRoot);
        setSystemVersion(SpiVersion.current());
    }

    // Which jars run is decided by the folder's contents and our checks; PF4J's enabled.txt/disabled.txt files
    // would add a second, silent switch (and PF4J writes to them when a plugin is started).
    @Override
    protected PluginStatusProvider createPluginStatusProvider() {
        return new PluginStatusProvider() {
            @Override
            public boolean isPluginDisabled(String pluginId) {
                return false;
            }

            @Override
            public void disablePlugin(String pluginId) {
                throw new UnsupportedOperationException("plugins are disabled by removing their jar, or per kernel by the selection policy");
            }

            @Override
            public void enablePlugin(String pluginId) {
            }
        };
    }

    @Override
    protected PluginLoader createPluginLoader() {
        return new JarPluginLoader(this) {
            @Override
            protected PluginClassLoader createPluginClassLoader(Path pluginPath, PluginDescriptor pluginDescriptor) {
                return new SpiFirstPluginClassLoader(pluginManager, pluginDescriptor, QlinearPluginManager.class.getClassLoader());
            }
        };
    }
}
