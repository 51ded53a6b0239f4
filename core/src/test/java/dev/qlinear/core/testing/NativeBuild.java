package dev.qlinear.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** Runs a compiler or a compiled program in a test's folder. */
public final class NativeBuild {

    private NativeBuild() {
    }

    /**
     * The command's exit code and its output, stdout and stderr together.
     *
     * @param exitCode the process's exit status
     * @param output what it printed
     */
    public record Run(int exitCode, String output) {
    }

    public static Run run(Path folder, List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(process.waitFor(), output);
    }

    /** Runs the command and returns its output; throws naming the command and its output when it fails. */
    public static String succeed(Path folder, List<String> command) throws IOException, InterruptedException {
        Run run = run(folder, command);
        if (run.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited with " + run.exitCode() + ":\n" + run.output());
        }
        return run.output();
    }
}
