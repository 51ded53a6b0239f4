package dev.qlinear.core.testing;

import dev.qlinear.core.manifest.KernelManifest;
import dev.qlinear.core.manifest.KernelManifestCodec;
import dev.qlinear.core.manifest.KernelManifestWriter;
import dev.qlinear.spi.kernel.KernelProvider;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static java.util.Objects.requireNonNull;

/**
 * Builds a real plugin jar in a test: compiles plugin sources from {@code src/test/plugins/<name>} (plus the shared
 * {@code src/test/plugins/common}) against the SPI and PF4J with PF4J's annotation processor, writes the kernel
 * manifest from the compiled provider the way the plugin build does, and packs everything with a
 * {@code plugin.properties}. Knobs let a test produce exactly one defect per jar.
 */
public final class PluginJarBuilder {

    private static final Path PLUGIN_SOURCES = Path.of("src/test/plugins");

    private final String sourceFolder;
    private Path sourcesRoot = PLUGIN_SOURCES;
    private String pluginId;
    private String version = "1.0.0";
    private String requires = ">=1.0.0 & <2.0.0";
    private String providerClass;
    private boolean descriptor = true;
    private boolean annotationProcessing = true;
    private Optional<String> manifestOverride = Optional.empty();
    private final Map<String, byte[]> extraEntries = new LinkedHashMap<>();

    private PluginJarBuilder(String sourceFolder) {
        this.sourceFolder = sourceFolder;
        this.pluginId = sourceFolder;
    }

    /** A plugin from {@code src/test/plugins/<sourceFolder>}, whose provider is {@code dev.qlinear.testplugin.<folder>.Provider}. */
    public static PluginJarBuilder plugin(String sourceFolder) {
        PluginJarBuilder builder = new PluginJarBuilder(sourceFolder);
        builder.providerClass = "dev.qlinear.testplugin." + sourceFolder.replace("-", "") + ".Provider";
        return builder;
    }

    /** Reads the plugin sources from another folder than this module's {@code src/test/plugins}, such as another module's. */
    public PluginJarBuilder sourcesFrom(Path root) {
        this.sourcesRoot = requireNonNull(root, "root is null");
        return this;
    }

    public PluginJarBuilder id(String id) {
        this.pluginId = requireNonNull(id, "id is null");
        return this;
    }

    public PluginJarBuilder version(String version) {
        this.version = requireNonNull(version, "version is null");
        return this;
    }

    public PluginJarBuilder requires(String requires) {
        this.requires = requireNonNull(requires, "requires is null");
        return this;
    }

    /** Leaves out {@code plugin.properties}. */
    public PluginJarBuilder withoutDescriptor() {
        this.descriptor = false;
        return this;
    }

    /** Compiles with {@code -proc:none}, as a build without PF4J's processor would: no extension index. */
    public PluginJarBuilder withoutAnnotationProcessing() {
        this.annotationProcessing = false;
        return this;
    }

    /** Uses this manifest instead of writing it from the provider (for providers that cannot be instantiated). */
    public PluginJarBuilder manifest(KernelManifest manifest) {
        this.manifestOverride = Optional.of(KernelManifestCodec.write(manifest));
        return this;
    }

    /** Adds a raw entry, such as an SPI class the jar should not bundle. */
    public PluginJarBuilder entry(String name, byte[] content) {
        extraEntries.put(name, content.clone());
        return this;
    }

    /** Compiles and packs the jar as {@code <folder>/<file>}. */
    public Path buildInto(Path folder, String file) {
        try {
            Path work = Files.createTempDirectory("qlinear-plugin-" + sourceFolder);
            Path classes = work.resolve("classes");
            Files.createDirectories(classes);
            compile(classes);
            if (descriptor) {
                Files.writeString(classes.resolve("plugin.properties"), String.join("\n",
                        "plugin.id=" + pluginId,
                        "plugin.version=" + version,
                        "plugin.requires=" + requires,
                        "plugin.provider=qlinear tests",
                        ""));
            }
            String manifest = manifestOverride.orElseGet(() -> KernelManifestCodec.write(manifestFromProvider(classes)));
            Path manifestFile = classes.resolve(KernelManifest.RESOURCE);
            Files.createDirectories(manifestFile.getParent());
            Files.writeString(manifestFile, manifest, StandardCharsets.UTF_8);
            Files.createDirectories(folder);
            Path jar = folder.resolve(file);
            pack(classes, jar);
            return jar;
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void compile(Path classes) throws IOException {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        List<Path> sources = new ArrayList<>();
        List<Path> own = javaFiles(sourcesRoot.resolve(sourceFolder));
        if (own.isEmpty()) {
            throw new IllegalStateException("test plugin '" + sourceFolder + "' has no sources under " + sourcesRoot.toAbsolutePath().resolve(sourceFolder));
        }
        sources.addAll(own);
        sources.addAll(javaFiles(sourcesRoot.resolve("common")));
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<String> options = new ArrayList<>(List.of(
                "--release", "25",
                "-d", classes.toString(),
                "-classpath", System.getProperty("java.class.path")));
        if (!annotationProcessing) {
            options.add("-proc:none");
        }
        else {
            // the SPI depends on the JDK only, so KernelProvider does not extend PF4J's ExtensionPoint
            options.addAll(List.of("-processor", "org.pf4j.processor.ExtensionAnnotationProcessor", "-Apf4j.ignoreExtensionPoint"));
        }
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            Iterable<? extends JavaFileObject> units = files.getJavaFileObjectsFromPaths(sources);
            boolean ok = compiler.getTask(null, files, diagnostics, options, null, units).call();
            if (!ok) {
                StringBuilder message = new StringBuilder("test plugin '" + sourceFolder + "' does not compile:");
                for (Diagnostic<? extends JavaFileObject> diagnostic : diagnostics.getDiagnostics()) {
                    message.append('\n').append(diagnostic);
                }
                throw new IllegalStateException(message.toString());
            }
        }
    }

    private KernelManifest manifestFromProvider(Path classes) {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, PluginJarBuilder.class.getClassLoader())) {
            KernelProvider provider = (KernelProvider) Class.forName(providerClass, true, loader).getConstructor().newInstance();
            return KernelManifestWriter.manifestOf(List.of(provider));
        }
        catch (IOException | ReflectiveOperationException e) {
            throw new IllegalStateException("cannot write the manifest of test plugin '" + sourceFolder + "' from " + providerClass, e);
        }
    }

    private void pack(Path classes, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("META-INF/MANIFEST.MF"));
            zip.write("Manifest-Version: 1.0\r\n\r\n".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            List<Path> files;
            try (Stream<Path> walk = Files.walk(classes)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path file : files) {
                zip.putNextEntry(new ZipEntry(classes.relativize(file).toString().replace('\\', '/')));
                zip.write(Files.readAllBytes(file));
                zip.closeEntry();
            }
            for (Map.Entry<String, byte[]> entry : extraEntries.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey()));
                zip.write(entry.getValue());
                zip.closeEntry();
            }
        }
    }

    private static List<Path> javaFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(path -> path.toString().endsWith(".java")).sorted().toList();
        }
    }
}
