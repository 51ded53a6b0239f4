package dev.qlinear.cli;

import dev.qlinear.core.Qlinear;
import dev.qlinear.spi.SpiVersion;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;

import static java.util.Objects.requireNonNull;

/**
 * The {@code qlinear} command: what this machine is, which kernel plugins are installed, and which kernel would run
 * a layer and why. Exit codes: 0 success, 1 a negative answer (no kernel, a jar with problems), 2 bad input, 3 a bug
 * or an environment failure.
 */
@Command(name = "qlinear",
        mixinStandardHelpOptions = true,
        versionProvider = QlinearCli.Version.class,
        description = "Lists qlinear kernel plugins, explains which kernel runs a quantized linear layer, and checks plugins' conformance.",
        subcommands = {PlatformCommand.class, PluginsCommand.class, ExplainCommand.class, FixturesCommand.class, ConformanceCommand.class, dev.qlinear.cli.bench.BenchCommand.class, CommandLine.HelpCommand.class},
        footer = {"",
                "Environment:",
                "  QLINEAR_PLUGINS_DIR        plugins folder when --plugins is not given",
                "  QLINEAR_DISABLED_KERNELS   kernel ids never selected (comma-separated)",
                "  QLINEAR_PREFERRED_KERNELS  kernel ids tried first, in order",
                "  QLINEAR_FORCED_KERNELS     the only kernel considered per layer kind",
                "  QLINEAR_DEBUG=1            stack traces for internal errors",
                "",
                "Exit codes: 0 success, 1 no kernel can run the layer, the jar has problems or a conformance case failed, 2 bad input, 3 internal error."})
public final class QlinearCli implements Callable<Integer> {

    static final int OK = 0;
    static final int NEGATIVE = 1;
    static final int BAD_INPUT = 2;
    static final int INTERNAL_ERROR = 3;

    static final String DEBUG_ENV = "QLINEAR_DEBUG";
    static final String HOME_PROPERTY = "qlinear.home";

    @Option(names = "--plugins", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Plugins folder (default: $QLINEAR_PLUGINS_DIR, else the distribution's plugins folder).")
    private Path pluginsOption;

    @Spec
    private CommandSpec spec;

    private final PrintWriter out;
    private final PrintWriter err;
    private final Map<String, String> environment;
    private final Properties properties;
    private Qlinear qlinear;
    private Optional<PluginsFolder> resolvedFolder;

    private QlinearCli(PrintWriter out, PrintWriter err, Map<String, String> environment, Properties properties) {
        this.out = requireNonNull(out, "out is null");
        this.err = requireNonNull(err, "err is null");
        this.environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        this.properties = requireNonNull(properties, "properties is null");
    }

    /** The plugins folder chosen and the setting that chose it, for messages. */
    record PluginsFolder(Path path, String source) {
        PluginsFolder {
            requireNonNull(path, "path is null");
            requireNonNull(source, "source is null");
        }

        @Override
        public String toString() {
            return path + " (from " + source + ")";
        }
    }

    public static void main(String[] args) {
        Map<String, String> environment = System.getenv();
        configureLogging(environment);
        PrintWriter out = new PrintWriter(System.out, true, System.out.charset());
        PrintWriter err = new PrintWriter(System.err, true, System.err.charset());
        System.exit(execute(out, err, environment, args));
    }

    /** Runs one command line and returns its exit code; never calls {@code System.exit}. */
    static int execute(PrintWriter out, PrintWriter err, Map<String, String> environment, String... args) {
        return execute(out, err, environment, System.getProperties(), args);
    }

    /** Runs one command line with this environment and these system properties, as tests and embedders call it. */
    public static int execute(PrintWriter out, PrintWriter err, Map<String, String> environment, Properties properties, String... args) {
        QlinearCli cli = new QlinearCli(out, err, environment, properties);
        CommandLine commandLine = new CommandLine(cli)
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setAllowSubcommandsAsOptionParameters(true)
                .setParameterExceptionHandler(cli::handleParameterException)
                .setExecutionExceptionHandler(cli::handleExecutionException);
        try {
            return commandLine.execute(args);
        }
        finally {
            out.flush();
            err.flush();
        }
    }

    @Override
    public Integer call() {
        err.println("qlinear: error: missing command; see qlinear --help");
        spec.commandLine().usage(err);
        return BAD_INPUT;
    }

    PrintWriter out() {
        return out;
    }

    PrintWriter err() {
        return err;
    }

    /** The plugins folder: {@code --plugins}, else {@code QLINEAR_PLUGINS_DIR}, else the distribution's {@code plugins}, else none. */
    Optional<PluginsFolder> pluginsFolder() {
        if (resolvedFolder == null) {
            resolvedFolder = resolvePluginsFolder();
        }
        return resolvedFolder;
    }

    private Optional<PluginsFolder> resolvePluginsFolder() {
        if (pluginsOption != null) {
            return Optional.of(new PluginsFolder(pluginsOption, "--plugins"));
        }
        String fromEnvironment = environment.get(Qlinear.PLUGINS_DIR_ENV);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return Optional.of(new PluginsFolder(Path.of(fromEnvironment), Qlinear.PLUGINS_DIR_ENV));
        }
        String home = properties.getProperty(HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            return Optional.of(new PluginsFolder(Path.of(home, "plugins"), "-D" + HOME_PROPERTY));
        }
        return Optional.empty();
    }

    /** The facade, built on first use so that {@code --help} and bad options never scan plugins. */
    public Qlinear qlinear() {
        if (qlinear == null) {
            Optional<PluginsFolder> folder = pluginsFolder();
            folder.ifPresent(QlinearCli::checkFolder);
            Qlinear.Builder builder = Qlinear.builder().environment(environment);
            folder.ifPresent(chosen -> builder.pluginsFolder(chosen.path()));
            try {
                qlinear = builder.build();
            }
            catch (IllegalArgumentException e) {
                // Only the kernel policy read from the environment is validated outside Guice.
                throw new UsageException("invalid kernel settings in the environment or system properties: " + e.getMessage(), e);
            }
        }
        return qlinear;
    }

    private static void checkFolder(PluginsFolder folder) {
        if (!Files.exists(folder.path())) {
            throw new UsageException("plugins folder " + folder + " does not exist");
        }
        if (!Files.isDirectory(folder.path())) {
            throw new UsageException("plugins folder " + folder + " is not a directory");
        }
    }

    private int handleParameterException(ParameterException e, String[] args) {
        String suggestion = "";
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
            List<String> suggestions = unmatched.getSuggestions().stream().limit(3).toList();
            suggestion = " (did you mean " + String.join(" or ", suggestions) + "?)";
        }
        String command = e.getCommandLine().getCommandSpec().qualifiedName();
        err.println("qlinear: error: " + oneLine(e.getMessage()) + suggestion + "; see " + command + " --help");
        err.flush();
        return BAD_INPUT;
    }

    private int handleExecutionException(Exception e, CommandLine commandLine, ParseResult parseResult) {
        if (e instanceof UsageException) {
            err.println("qlinear: error: " + oneLine(e.getMessage()));
            err.flush();
            return BAD_INPUT;
        }
        boolean debug = "1".equals(environment.get(DEBUG_ENV));
        err.println("qlinear: internal error: " + e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                + (debug ? "" : " (set " + DEBUG_ENV + "=1 for the stack trace)"));
        if (debug) {
            e.printStackTrace(err);
        }
        err.flush();
        return INTERNAL_ERROR;
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** Plugin refusals and fallbacks are printed by the commands themselves; the log would repeat them on stderr. */
    private static void configureLogging(Map<String, String> environment) {
        boolean debug = "1".equals(environment.get(DEBUG_ENV));
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "error");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    /** The version from the jar's manifest or Maven descriptor; {@code dev} when run from classes. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                    "qlinear " + version(),
                    "SPI " + SpiVersion.current(),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")"
            };
        }

        static String version() {
            String fromManifest = QlinearCli.class.getPackage().getImplementationVersion();
            if (fromManifest != null && !fromManifest.isBlank()) {
                return fromManifest;
            }
            try (InputStream in = QlinearCli.class.getResourceAsStream("/META-INF/maven/dev.qlinear/qlinear-cli/pom.properties")) {
                if (in != null) {
                    Properties pom = new Properties();
                    pom.load(in);
                    String version = pom.getProperty("version");
                    if (version != null && !version.isBlank()) {
                        return version;
                    }
                }
            }
            catch (IOException e) {
                // An unreadable descriptor only costs the version string.
            }
            return "dev";
        }
    }
}
