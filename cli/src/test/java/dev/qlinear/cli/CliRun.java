package dev.qlinear.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * One in-process run of the CLI with captured output.
 *
 * @param exitCode what {@code main} would exit with
 * @param out standard output
 * @param err standard error
 */
record CliRun(int exitCode, String out, String err) {

    /** Runs with an empty environment and no system properties, so the host's QLINEAR_* settings cannot leak in. */
    static CliRun of(String... args) {
        return of(Map.of(), new Properties(), args);
    }

    static CliRun of(Map<String, String> environment, String... args) {
        return of(environment, new Properties(), args);
    }

    static CliRun of(Map<String, String> environment, Properties properties, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = QlinearCli.execute(new PrintWriter(out), new PrintWriter(err), environment, properties, args);
        return new CliRun(exitCode, out.toString(), err.toString());
    }

    List<String> errLines() {
        return err.lines().toList();
    }
}
