package dev.qlinear.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.core.manifest.KernelManifest;
import dev.qlinear.core.manifest.KernelManifestCodec;
import dev.qlinear.core.plugin.JarInspection;
import dev.qlinear.core.plugin.PluginIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code qlinear plugins verify JAR}: the static checks a jar must pass to be installed, without installing it. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks a plugin jar without installing it or loading its classes.",
                "Exits 0 when it passes, 1 when it has problems, 2 when the file does not exist."})
final class PluginsVerifyCommand implements Callable<Integer> {

    private static final int WIDTH = 10;

    @ParentCommand
    private PluginsCommand plugins;

    @Parameters(paramLabel = "JAR", description = "The plugin jar to check.")
    private Path jar;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = Converters.Formats.class,
            description = "text or json (default: ${DEFAULT-VALUE}).")
    private OutputFormat format;

    @Override
    public Integer call() {
        QlinearCli cli = plugins.cli();
        if (!Files.exists(jar)) {
            throw new UsageException("plugin jar " + jar + " does not exist");
        }
        if (Files.isDirectory(jar)) {
            throw new UsageException("plugin jar " + jar + " is a directory, not a jar file");
        }
        JarInspection inspection = cli.qlinear().verify(jar);
        switch (format) {
            case TEXT -> printText(cli.out(), inspection);
            case JSON -> Json.print(cli.out(), toJson(inspection));
        }
        return inspection.passed() ? QlinearCli.OK : QlinearCli.NEGATIVE;
    }

    private static void printText(PrintWriter out, JarInspection inspection) {
        out.println((inspection.passed() ? "PASS" : "FAIL") + "  " + inspection.jar());
        Text.field(out, "  ", WIDTH, "plugin", inspection.identity().map(identity -> identity.id() + " " + identity.version()).orElse("unknown"));
        inspection.identity().map(PluginIdentity::requires).filter(requires -> !requires.isBlank())
                .ifPresent(requires -> Text.field(out, "  ", WIDTH, "requires", "SPI " + requires));
        inspection.manifest().ifPresent(manifest -> Text.field(out, "  ", WIDTH, "built for", "SPI " + manifest.spiVersion()));
        Optional<KernelManifest> manifest = inspection.manifest();
        if (manifest.isEmpty()) {
            Text.field(out, "  ", WIDTH, "kernels", "unknown (no readable kernel manifest)");
        }
        else if (manifest.get().kernels().isEmpty()) {
            Text.field(out, "  ", WIDTH, "kernels", "none");
        }
        else {
            out.println("  kernels:");
            manifest.get().kernels().forEach(kernel -> PluginsCommand.printKernel(out, kernel));
        }
        if (!inspection.passed()) {
            out.println("  problems:");
            inspection.problems().forEach(problem -> out.println("    - " + problem));
        }
    }

    private static ObjectNode toJson(JarInspection inspection) {
        ObjectNode root = Json.object();
        root.put("jar", inspection.jar().toString());
        root.put("passed", inspection.passed());
        Optional<PluginIdentity> identity = inspection.identity();
        root.put("id", identity.map(PluginIdentity::id).orElse(null));
        root.put("version", identity.map(PluginIdentity::version).orElse(null));
        root.put("requires", identity.map(PluginIdentity::requires).orElse(null));
        root.put("spiVersion", inspection.manifest().map(KernelManifest::spiVersion).orElse(null));
        if (inspection.manifest().isPresent()) {
            ArrayNode kernels = root.putArray("kernels");
            inspection.manifest().get().kernels().forEach(kernel -> kernels.add(KernelManifestCodec.toJson(kernel)));
        }
        else {
            root.putNull("kernels");
        }
        root.set("problems", Json.strings(inspection.problems()));
        return root;
    }
}
