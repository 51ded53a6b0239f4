package dev.qlinear.core.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Compiles a C program against cuda.h and reads the "name value" lines it prints: what the header says. */
final class HeaderProbe {

    private HeaderProbe() {
    }

    /** The directory holding cuda.h: under $CUDA_HOME, else /usr/local/cuda. */
    static Optional<Path> cudaInclude() {
        return Stream.of(System.getenv("CUDA_HOME"), "/usr/local/cuda")
                .filter(home -> home != null && !home.isBlank())
                .map(home -> Path.of(home, "include"))
                .filter(include -> Files.isRegularFile(include.resolve("cuda.h")))
                .findFirst();
    }

    static Map<String, Long> run(String program, Path include, Path work) throws IOException, InterruptedException {
        Path source = Files.writeString(work.resolve("probe.c"), program);
        Path binary = work.resolve("probe");
        execute(work, "cc", "-I" + include, "-o", binary.toString(), source.toString());
        String output = execute(work, binary.toString());
        return output.lines()
                .map(line -> line.split(" "))
                .collect(Collectors.toUnmodifiableMap(parts -> parts[0], parts -> Long.parseLong(parts[1])));
    }

    private static String execute(Path work, String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as("%s: %s", String.join(" ", command), output).isZero();
        return output;
    }
}
