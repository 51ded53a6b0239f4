package dev.qlinear.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.core.Qlinear;
import dev.qlinear.core.platform.PlatformProbe;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code qlinear platform}: the platform detected on this machine, which {@code explain} uses by default. */
@Command(name = "platform", mixinStandardHelpOptions = true,
        description = "Shows the platform detected on this machine and the probes that looked for it.")
final class PlatformCommand implements Callable<Integer> {

    private static final int WIDTH = 14;

    @ParentCommand
    private QlinearCli cli;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text", converter = Converters.Formats.class,
            description = "text or json (default: ${DEFAULT-VALUE}).")
    private OutputFormat format;

    @Override
    public Integer call() {
        Qlinear qlinear = cli.qlinear();
        Platform platform = qlinear.platform();
        List<ProbeFinding> probes = qlinear.detector().probes().stream().map(ProbeFinding::of).toList();
        switch (format) {
            case TEXT -> printText(cli.out(), platform, probes);
            case JSON -> Json.print(cli.out(), toJson(platform, probes));
        }
        return QlinearCli.OK;
    }

    private static void printText(PrintWriter out, Platform platform, List<ProbeFinding> probes) {
        Text.field(out, "", WIDTH, "platform", platform.spec());
        Text.field(out, "", WIDTH, "vendor", platform.vendor().specPrefix());
        Text.field(out, "", WIDTH, "architecture", platform.architecture().name());
        Optional<DeviceProperties> device = platform.device();
        if (device.isPresent()) {
            DeviceProperties properties = device.get();
            Text.field(out, "", WIDTH, "device", properties.name());
            Text.field(out, "", WIDTH, "compute units", properties.computeUnits());
            Text.field(out, "", WIDTH, "memory", Text.bytes(properties.memoryBytes()));
            Text.field(out, "", WIDTH, "cache", properties.cacheBytes() == 0 ? "unknown" : Text.bytes(properties.cacheBytes()));
            Text.field(out, "", WIDTH, "features", Text.list(properties.features().stream().sorted().toList()));
        }
        else {
            Text.field(out, "", WIDTH, "device", "none detected");
        }
        Text.field(out, "", WIDTH, "probes", Text.list(probes.stream().map(ProbeFinding::name).toList()));
        for (ProbeFinding probe : probes) {
            Text.field(out, "  ", WIDTH - 2, probe.name(), probe.describe());
        }
    }

    private static ObjectNode toJson(Platform platform, List<ProbeFinding> probes) {
        ObjectNode root = Json.object();
        root.put("spec", platform.spec());
        root.put("vendor", platform.vendor().specPrefix());
        root.put("architecture", platform.architecture().name());
        Optional<DeviceProperties> device = platform.device();
        if (device.isPresent()) {
            DeviceProperties properties = device.get();
            ObjectNode node = root.putObject("device");
            node.put("name", properties.name());
            node.put("computeUnits", properties.computeUnits());
            node.put("memoryBytes", properties.memoryBytes());
            node.put("cacheBytes", properties.cacheBytes());
            node.set("features", Json.strings(properties.features().stream().sorted().toList()));
        }
        else {
            root.putNull("device");
        }
        root.set("probes", Json.strings(probes.stream().map(ProbeFinding::name).toList()));
        ObjectNode findings = root.putObject("findings");
        for (ProbeFinding probe : probes) {
            ObjectNode node = findings.putObject(probe.name());
            probe.found().ifPresentOrElse(found -> node.put("platform", found.spec()), () -> node.putNull("platform"));
            probe.reason().ifPresent(reason -> node.put("reason", reason));
        }
        return root;
    }

    /** What one probe found, or why it found nothing. */
    private record ProbeFinding(String name, Optional<Platform> found, Optional<String> reason) {
        static ProbeFinding of(PlatformProbe probe) {
            Optional<Platform> found = probe.probe();
            return new ProbeFinding(probe.name(), found, found.isPresent() ? Optional.empty() : probe.unavailableReason());
        }

        String describe() {
            return found.map(platform -> platform.spec() + platform.device().map(device -> " (" + device.name() + ")").orElse(""))
                    .orElseGet(() -> "none" + reason.map(why -> ": " + why).orElse(""));
        }
    }
}
