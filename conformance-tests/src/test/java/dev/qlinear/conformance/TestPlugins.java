package dev.qlinear.conformance;

import dev.qlinear.core.testing.PluginJarBuilder;
import dev.qlinear.spi.kernel.KernelProvider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The self-test's plugins as real jars, built once per test JVM from {@code src/test/plugins}: the correct scalar
 * W4A16 and FP8 kernels and one jar per planted bug.
 */
final class TestPlugins {

    static final String SCALAR_W4A16 = "scalar-w4a16";
    static final String SCALAR_FP8 = "scalar-fp8";

    private static final Map<String, Path> JARS = new HashMap<>();
    private static Path root;

    private TestPlugins() {
    }

    /** The jar of the plugin built from {@code src/test/plugins/<name>}. */
    static synchronized Path jar(String name) {
        Path jar = JARS.get(name);
        if (jar == null) {
            jar = PluginJarBuilder.plugin(name).buildInto(root().resolve("jars"), name + "-1.0.0.jar");
            JARS.put(name, jar);
        }
        return jar;
    }

    /** A fresh plugins folder holding these plugins. */
    static Path folderWith(String... names) {
        try {
            Path folder = Files.createTempDirectory(root(), "plugins-");
            for (String name : names) {
                Path jar = jar(name);
                Files.copy(jar, folder.resolve(jar.getFileName()));
            }
            return folder;
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The provider of a plugin's jar, loaded on a plain class loader as a vendor's own test would have it. */
    static KernelProvider provider(String name) {
        String providerClass = "dev.qlinear.testplugin." + name.replace("-", "") + ".Provider";
        try {
            URLClassLoader loader = new URLClassLoader(new URL[] {jar(name).toUri().toURL()}, TestPlugins.class.getClassLoader());
            return (KernelProvider) Class.forName(providerClass, true, loader).getConstructor().newInstance();
        }
        catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + providerClass + " from the test plugin " + name, e);
        }
    }

    private static synchronized Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory("qlinear-conformance-selftest-");
                Path created = root;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(created)));
            }
            catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    private static void deleteTree(Path folder) {
        try (Stream<Path> paths = Files.walk(folder)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
        catch (IOException e) {
            // a temporary folder left behind costs disk space only
        }
    }
}
