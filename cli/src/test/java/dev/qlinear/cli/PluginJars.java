package dev.qlinear.cli;

import dev.qlinear.core.manifest.KernelManifest;
import dev.qlinear.core.manifest.KernelManifestCodec;
import dev.qlinear.spi.SpiVersion;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/** Writes plugin jars for the tests, shaped as the plugin build shapes them. */
final class PluginJars {

    private PluginJars() {
    }

    /** A jar that passes the static checks and starts: descriptor, kernel manifest, extension index and {@link FakeKernels}. */
    static Path fakeKernels(Path folder) throws IOException {
        Path jar = folder.resolve("fake-1.0.0.jar");
        String manifest = KernelManifestCodec.write(new KernelManifest(SpiVersion.current(), List.of(FakeKernels.FAST, FakeKernels.SLOW)));
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, "plugin.properties", "plugin.id=fake\nplugin.version=1.0.0\nplugin.requires=" + SpiVersion.current() + "\n");
            put(out, KernelManifest.RESOURCE, manifest);
            put(out, "META-INF/extensions.idx", FakeKernels.class.getName() + "\n");
            for (Path classFile : classFiles(FakeKernels.class)) {
                out.putNextEntry(new JarEntry(FakeKernels.class.getPackageName().replace('.', '/') + "/" + classFile.getFileName()));
                Files.copy(classFile, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /** A well-formed jar with nothing a plugin needs. */
    static Path empty(Path folder, String name) throws IOException {
        Path jar = folder.resolve(name);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, "README.txt", "not a plugin\n");
        }
        return jar;
    }

    private static void put(JarOutputStream out, String name, String text) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
    }

    /** The class file of a type and of its nested types, from the test classes folder. */
    private static List<Path> classFiles(Class<?> type) throws IOException {
        Path root;
        try {
            root = Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        }
        catch (URISyntaxException e) {
            throw new IOException("cannot locate the classes of " + type.getName(), e);
        }
        Path packageFolder = root.resolve(type.getPackageName().replace('.', '/'));
        String simpleName = type.getSimpleName();
        try (Stream<Path> files = Files.list(packageFolder)) {
            return files.filter(file -> {
                String name = file.getFileName().toString();
                return name.equals(simpleName + ".class") || (name.startsWith(simpleName + "$") && name.endsWith(".class"));
            }).sorted().toList();
        }
    }
}
