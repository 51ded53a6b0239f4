package dev.qlinear.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.core.manifest.KernelManifestCodec;
import dev.qlinear.core.plugin.InstalledPlugin;
import dev.qlinear.core.plugin.PluginSource;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelCapabilities;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.type.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code qlinear plugins}: every plugin found, started or refused with its reasons, and the kernels it declares. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = {"Lists the installed kernel plugins, why any were refused, and what their kernels declare.",
                "Exits 0 even when some plugins are refused; use 'plugins verify' to check one jar."},
        subcommands = PluginsVerifyCommand.class)
final class PluginsCommand implements Callable<Integer> {

    private static final int KERNEL_WIDTH = 18;

    @ParentCommand
    private QlinearCli cli;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = Converters.Formats.class,
            description = "text or json (default: ${DEFAULT-VALUE}).")
    private OutputFormat format;

    QlinearCli cli() {
        return cli;
    }

    @Override
    public Integer call() {
        List<InstalledPlugin> plugins = cli.qlinear().plugins();
        Optional<QlinearCli.PluginsFolder> folder = cli.pluginsFolder();
        switch (format) {
            case TEXT -> printText(cli.out(), folder, plugins);
            case JSON -> Json.print(cli.out(), toJson(folder, plugins));
        }
        return QlinearCli.OK;
    }

    private static void printText(PrintWriter out, Optional<QlinearCli.PluginsFolder> folder, List<InstalledPlugin> plugins) {
        out.println("plugins folder: " + folder.map(QlinearCli.PluginsFolder::toString).orElse("none (set --plugins or QLINEAR_PLUGINS_DIR)"));
        if (plugins.isEmpty()) {
            out.println();
            out.println("no plugins installed: " + folder.map(chosen -> "no plugin jars in " + chosen.path()).orElse("no plugins folder is set")
                    + ", and no kernel providers on the class path");
            return;
        }
        for (InstalledPlugin plugin : plugins) {
            out.println();
            out.println(plugin.id() + " " + plugin.version() + "  " + plugin.state().name().toLowerCase(Locale.ROOT));
            Text.field(out, "  ", 8, "source", plugin.source().location());
            if (!plugin.problems().isEmpty()) {
                out.println("  problems:");
                plugin.problems().forEach(problem -> out.println("    - " + problem));
            }
            if (plugin.kernels().isEmpty()) {
                Text.field(out, "  ", 8, "kernels", "none");
            }
            else {
                out.println("  kernels:");
                plugin.kernels().forEach(kernel -> printKernel(out, kernel));
            }
        }
        long started = plugins.stream().filter(InstalledPlugin::isStarted).count();
        long kernels = plugins.stream().filter(InstalledPlugin::isStarted).mapToLong(plugin -> plugin.kernels().size()).sum();
        out.println();
        out.println(plugins.size() + (plugins.size() == 1 ? " plugin: " : " plugins: ") + started + " started, " + (plugins.size() - started)
                + " refused; " + kernels + (kernels == 1 ? " kernel" : " kernels") + " available");
    }

    static void printKernel(PrintWriter out, KernelDescriptor kernel) {
        String indent = "      ";
        out.println("    " + kernel.id() + " " + kernel.version() + " (" + kindName(kernel.capabilities()) + ", family " + kernel.family() + ")");
        Text.field(out, indent, KERNEL_WIDTH, "platforms", String.join(", ", kernel.platforms().stream()
                .map(support -> support.requirement().spec() + " (priority " + support.priority() + ")").toList()));
        switch (kernel.capabilities()) {
            case WeightOnlyCapabilities declared -> {
                Text.field(out, indent, KERNEL_WIDTH, "weight types", types(declared.weightTypes()));
                Text.field(out, indent, KERNEL_WIDTH, "activation types", types(declared.activationTypes()));
                Text.field(out, indent, KERNEL_WIDTH, "output types", types(declared.outputTypes()));
                Text.field(out, indent, KERNEL_WIDTH, "group sizes", String.join(", ", declared.groupSizes().stream().sorted()
                        .map(size -> size == WeightOnlyConfig.CHANNELWISE ? "channelwise" : String.valueOf(size)).toList()));
                Text.field(out, indent, KERNEL_WIDTH, "zero points", Text.yesNo(declared.zeroPoints()));
                Text.field(out, indent, KERNEL_WIDTH, "act-order", Text.yesNo(declared.actOrder()));
                Text.field(out, indent, KERNEL_WIDTH, "partial groups", Text.yesNo(declared.partialLastGroup()));
            }
            case ScaledMmCapabilities declared -> {
                Text.field(out, indent, KERNEL_WIDTH, "weight types", types(declared.weightTypes()));
                Text.field(out, indent, KERNEL_WIDTH, "activation types", types(declared.activationTypes()));
                Text.field(out, indent, KERNEL_WIDTH, "weight scales", shapes(declared.weightScaleShapes()));
                Text.field(out, indent, KERNEL_WIDTH, "activation scales", shapes(declared.activationScaleShapes()));
                List<String> scaleKinds = new ArrayList<>();
                if (declared.staticActivationScales()) {
                    scaleKinds.add("static");
                }
                if (declared.dynamicActivationScales()) {
                    scaleKinds.add("dynamic");
                }
                Text.field(out, indent, KERNEL_WIDTH, "activation scale", String.join(", ", scaleKinds));
                Text.field(out, indent, KERNEL_WIDTH, "input types", types(declared.inputTypes()));
                Text.field(out, indent, KERNEL_WIDTH, "output types", types(declared.outputTypes()));
                Text.field(out, indent, KERNEL_WIDTH, "bias", Text.yesNo(declared.bias()));
            }
        }
        Text.field(out, indent, KERNEL_WIDTH, "alignment", "K multiple of " + kernel.capabilities().kAlignment()
                + ", N multiple of " + kernel.capabilities().nAlignment());
        Text.field(out, indent, KERNEL_WIDTH, "tolerance", kernel.tolerance().name().toLowerCase(Locale.ROOT));
        Text.field(out, indent, KERNEL_WIDTH, "max rows", kernel.maxRows());
    }

    private static String kindName(KernelCapabilities capabilities) {
        return switch (capabilities) {
            case WeightOnlyCapabilities ignored -> "weight-only";
            case ScaledMmCapabilities ignored -> "scaled-mm";
        };
    }

    private static String types(Collection<ScalarType> types) {
        return String.join(", ", types.stream().map(ScalarType::name).sorted().toList());
    }

    private static String shapes(Collection<GroupShape> shapes) {
        return String.join(", ", shapes.stream().map(GroupShape::toString).sorted().toList());
    }

    private static ObjectNode toJson(Optional<QlinearCli.PluginsFolder> folder, List<InstalledPlugin> plugins) {
        ObjectNode root = Json.object();
        if (folder.isPresent()) {
            root.putObject("pluginsFolder").put("path", folder.get().path().toString()).put("source", folder.get().source());
        }
        else {
            root.putNull("pluginsFolder");
        }
        ArrayNode array = root.putArray("plugins");
        for (InstalledPlugin plugin : plugins) {
            ObjectNode node = array.addObject();
            node.put("id", plugin.id());
            node.put("version", plugin.version());
            node.put("source", plugin.source().location());
            node.put("sourceKind", switch (plugin.source()) {
                case PluginSource.Folder ignored -> "folder";
                case PluginSource.ClassPath ignored -> "classpath";
            });
            node.put("state", plugin.state().name().toLowerCase(Locale.ROOT));
            node.set("problems", Json.strings(plugin.problems()));
            ArrayNode kernels = node.putArray("kernels");
            plugin.kernels().forEach(kernel -> kernels.add(KernelManifestCodec.toJson(kernel)));
        }
        return root;
    }
}
