package dev.qlinear.core.plugin;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/** Where a plugin was found. */
public sealed interface PluginSource permits PluginSource.Folder, PluginSource.ClassPath {

    /** A short description for listings: the jar's path, or the provider class on the class path. */
    String location();

    /**
     * A PF4J plugin jar in a plugins folder, loaded in its own class loader.
     *
     * @param jar the jar file
     */
    record Folder(Path jar) implements PluginSource {
        public Folder {
            requireNonNull(jar, "jar is null");
        }

        @Override
        public String location() {
            return jar.toString();
        }
    }

    /**
     * A provider listed in {@code META-INF/services} on the host's class path, for embedded use.
     *
     * @param providerClass the provider's class name
     */
    record ClassPath(String providerClass) implements PluginSource {
        public ClassPath {
            requireNonNull(providerClass, "providerClass is null");
        }

        @Override
        public String location() {
            return "classpath:" + providerClass;
        }
    }
}
