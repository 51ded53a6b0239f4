package dev.qlinear.cli;

import dev.qlinear.core.checkpoint.fixtures.CheckpointFixtures;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code qlinear fixtures DIR}: writes small quantized example checkpoints to try {@code explain --model} on. */
@Command(name = "fixtures", mixinStandardHelpOptions = true,
        description = {"Writes small quantized example checkpoints (Llama-style, awkward widths, sharded safetensors) into DIR.",
                "Try: qlinear explain --model DIR/llama-gptq-w4g64 --platform cuda:sm_90"})
final class FixturesCommand implements Callable<Integer> {

    @ParentCommand
    private QlinearCli cli;

    @Parameters(paramLabel = "DIR", description = "Where to write the checkpoints; created if missing, existing checkpoints of the same name are refused.")
    private Path directory;

    @Option(names = "--seed", paramLabel = "SEED", defaultValue = "1", description = "Seed of the random weights (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Override
    public Integer call() {
        for (String name : CheckpointFixtures.descriptions().keySet()) {
            if (Files.exists(directory.resolve(name))) {
                throw new UsageException(directory.resolve(name) + " already exists; choose an empty directory");
            }
        }
        List<Path> written;
        try {
            written = CheckpointFixtures.writeAll(directory, seed);
        }
        catch (IOException e) {
            throw new UsageException("cannot write fixtures into " + directory + ": " + e.getMessage(), e);
        }
        Map<String, String> descriptions = CheckpointFixtures.descriptions();
        for (Path checkpoint : written) {
            cli.out().println(checkpoint + "  " + descriptions.get(checkpoint.getFileName().toString()));
        }
        return QlinearCli.OK;
    }
}
