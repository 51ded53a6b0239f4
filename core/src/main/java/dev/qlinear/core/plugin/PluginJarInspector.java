package dev.qlinear.core.plugin;

import dev.qlinear.core.manifest.KernelManifest;
import dev.qlinear.core.manifest.KernelManifestCodec;
import dev.qlinear.spi.SpiVersion;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The static checks on a plugin jar: it opens as a jar, carries a PF4J descriptor, a kernel manifest and an
 * extension index, does not bundle SPI classes, and needs an SPI this host provides. Reads entries only; never
 * loads a class from the jar.
 */
public final class PluginJarInspector {

    static final String SPI_PACKAGE_PATH = "dev/qlinear/spi/";
    static final String EXTENSION_INDEX = "META-INF/extensions.idx";
    private static final long MAX_TEXT_ENTRY_BYTES = 1 << 20;

    private final String hostSpiVersion;

    public PluginJarInspector() {
        this(SpiVersion.current());
    }

    PluginJarInspector(String hostSpiVersion) {
        this.hostSpiVersion = hostSpiVersion;
    }

    public JarInspection inspect(Path jar) {
        List<String> problems = new ArrayList<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Optional<PluginIdentity> identity = readIdentity(zip, problems);
            Optional<KernelManifest> manifest = readManifest(zip, problems);
            findBundledSpi(zip).ifPresent(entry -> problems.add("bundles qlinear SPI classes (" + entry
                    + "): the SPI must come from the host, so declare qlinear-spi with scope 'provided'"));
            if (zip.getEntry(EXTENSION_INDEX) == null) {
                problems.add("has no " + EXTENSION_INDEX + ": the PF4J annotation processor did not run, so its @Extension kernel provider cannot be found");
            }
            if (identity.isPresent() && manifest.isPresent()) {
                SpiCompatibility.check(identity.get().requires(), manifest.get().spiVersion(), hostSpiVersion).ifPresent(problems::add);
            }
            return new JarInspection(jar, identity, manifest, problems);
        }
        catch (IOException | RuntimeException e) {
            return new JarInspection(jar, Optional.empty(), Optional.empty(), List.of("is not a readable jar: " + describe(e)));
        }
    }

    private static Optional<PluginIdentity> readIdentity(ZipFile zip, List<String> problems) throws IOException {
        ZipEntry propertiesEntry = zip.getEntry("plugin.properties");
        String id;
        String version;
        String requires;
        if (propertiesEntry != null) {
            Properties properties = new Properties();
            try (InputStream in = zip.getInputStream(propertiesEntry)) {
                properties.load(in);
            }
            id = properties.getProperty("plugin.id");
            version = properties.getProperty("plugin.version");
            requires = properties.getProperty("plugin.requires", "");
        }
        else {
            Optional<Attributes> attributes = manifestAttributes(zip);
            if (attributes.isEmpty() || attributes.get().getValue("Plugin-Id") == null) {
                problems.add("has no plugin descriptor: neither plugin.properties nor a MANIFEST.MF with Plugin-Id");
                return Optional.empty();
            }
            id = attributes.get().getValue("Plugin-Id");
            version = attributes.get().getValue("Plugin-Version");
            requires = Optional.ofNullable(attributes.get().getValue("Plugin-Requires")).orElse("");
        }
        if (id == null || id.isBlank()) {
            problems.add("plugin descriptor has no plugin id");
            return Optional.empty();
        }
        if (version == null || !version.trim().matches("\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?")) {
            problems.add("plugin '" + id.trim() + "' has no valid version (major.minor.patch): '" + version + "'");
            return Optional.empty();
        }
        return Optional.of(new PluginIdentity(id.trim(), version.trim(), requires.trim()));
    }

    private static Optional<Attributes> manifestAttributes(ZipFile zip) throws IOException {
        ZipEntry entry = zip.getEntry("META-INF/MANIFEST.MF");
        if (entry == null) {
            return Optional.empty();
        }
        try (InputStream in = zip.getInputStream(entry)) {
            return Optional.of(new Manifest(in).getMainAttributes());
        }
    }

    private static Optional<KernelManifest> readManifest(ZipFile zip, List<String> problems) throws IOException {
        ZipEntry entry = zip.getEntry(KernelManifest.RESOURCE);
        if (entry == null) {
            problems.add("has no kernel manifest " + KernelManifest.RESOURCE + ": generate it at build time with KernelManifestWriter");
            return Optional.empty();
        }
        if (entry.getSize() > MAX_TEXT_ENTRY_BYTES) {
            problems.add("kernel manifest is " + entry.getSize() + " bytes, more than the " + MAX_TEXT_ENTRY_BYTES + " allowed");
            return Optional.empty();
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readNBytes((int) MAX_TEXT_ENTRY_BYTES + 1);
            KernelManifest manifest = KernelManifestCodec.read(new String(bytes, StandardCharsets.UTF_8));
            if (manifest.kernels().isEmpty()) {
                problems.add("kernel manifest declares no kernels");
            }
            return Optional.of(manifest);
        }
        catch (IllegalArgumentException e) {
            problems.add("has an invalid kernel manifest: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static Optional<String> findBundledSpi(ZipFile zip) {
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            String name = entries.nextElement().getName();
            if (name.startsWith(SPI_PACKAGE_PATH) && name.endsWith(".class")) {
                return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
