package dev.qlinear.core.manifest;

import dev.qlinear.spi.SpiVersion;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a plugin's kernel manifest from its providers' own descriptors, at build time, so the manifest can never
 * drift from the code. Run after compilation with the plugin's classes and the SPI on the class path:
 * {@code KernelManifestWriter <classes-dir> <provider-class>...}; it writes {@code <classes-dir>/META-INF/qlinear/kernels.json}.
 */
public final class KernelManifestWriter {

    private KernelManifestWriter() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: KernelManifestWriter <classes-dir> <provider-class>...");
            System.exit(2);
        }
        Path classes = Path.of(args[0]);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {toUrl(classes)}, KernelManifestWriter.class.getClassLoader())) {
            List<KernelProvider> providers = new ArrayList<>();
            for (int i = 1; i < args.length; i++) {
                providers.add(instantiate(loader, args[i]));
            }
            Path written = write(classes, manifestOf(providers));
            System.out.println("wrote " + written);
        }
    }

    /** The manifest of the given providers' kernels, against the SPI on the class path. */
    public static KernelManifest manifestOf(List<KernelProvider> providers) {
        List<KernelDescriptor> descriptors = new ArrayList<>();
        for (KernelProvider provider : providers) {
            for (LinearKernel<?> kernel : provider.kernels()) {
                descriptors.add(kernel.descriptor());
            }
        }
        return new KernelManifest(SpiVersion.current(), descriptors);
    }

    /** Writes the manifest under a classes (or jar staging) directory and returns its path. */
    public static Path write(Path root, KernelManifest manifest) {
        Path target = root.resolve(KernelManifest.RESOURCE);
        try {
            Files.createDirectories(target.getParent());
            Files.writeString(target, KernelManifestCodec.write(manifest), StandardCharsets.UTF_8);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target, e);
        }
        return target;
    }

    private static KernelProvider instantiate(ClassLoader loader, String className) {
        try {
            Class<?> type = Class.forName(className, true, loader);
            if (!KernelProvider.class.isAssignableFrom(type)) {
                throw new IllegalArgumentException(className + " does not implement " + KernelProvider.class.getName());
            }
            return (KernelProvider) type.getConstructor().newInstance();
        }
        catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot instantiate provider " + className + ": " + e, e);
        }
    }

    private static URL toUrl(Path path) {
        try {
            return path.toUri().toURL();
        }
        catch (MalformedURLException e) {
            throw new IllegalArgumentException("invalid path " + path, e);
        }
    }
}
