package dev.qlinear.core.nativelib;

import dev.qlinear.core.testing.NativeBuild;
import dev.qlinear.core.testing.RocmPackages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading real libraries built with gcc: by name and as files, with the loader's errors, and with an executable stack. */
final class TestNativeLibraryLoader {

    @TempDir
    Path work;

    @Test
    void aLibraryIsFoundByNameOrInAFolderAndEveryFailedTryIsNamed() throws Exception {
        Path library = compile("libqlinear_loader_probe.so");

        NativeLibraryLoader.Result result = NativeLibraryLoader.load(List.of("libqlinear-absent.so", "libqlinear_loader_probe.so"), List.of(work));

        assertThat(result.found()).hasValueSatisfying(found -> {
            assertThat(found.file()).isEqualTo(library.toString());
            assertThat(found.symbols().find("qlinear_loader_probe")).isPresent();
        });
        assertThat(result.failures()).containsExactly(
                "libqlinear-absent.so by name: libqlinear-absent.so: cannot open shared object file: No such file or directory",
                work.resolve("libqlinear-absent.so") + ": no such file",
                "libqlinear_loader_probe.so by name: libqlinear_loader_probe.so: cannot open shared object file: No such file or directory");
    }

    @Test
    void aFileThatDoesNotLoadIsNamedWithTheLoadersError() throws IOException {
        Path broken = Files.writeString(work.resolve("libqlinear_broken.so"), "not an ELF file, but long enough for its header to be read. ".repeat(8));

        assertThatThrownBy(() -> NativeLibraryLoader.open(broken, Arena.global())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the library " + broken + " does not load: " + broken + ": invalid ELF header");
    }

    /**
     * {@code dlopen} of a library that asks for an executable stack (Debian's {@code libamdhip64} does) strips the
     * protection of the JVM's stack guard pages; the loader must let the JVM restore them, by name as for a file.
     */
    @Test
    void aLibraryAskingForAnExecutableStackLeavesTheStackGuardsInPlace() throws Exception {
        Path library = compile("libqlinear_execstack.so", "-Wl,-z,execstack");
        assertThat(NativeBuild.succeed(work, List.of("readelf", "-lW", library.toString()))).containsPattern("GNU_STACK.*RWE");

        // elsewhere: the JVM finds a bare name in its working directory, which would hide a lookup by name from the test
        Path elsewhere = Files.createDirectories(work.resolve("elsewhere"));
        for (String how : List.of("name", "file")) {
            String javaCommand = ProcessHandle.current().info().command().orElseThrow();
            List<String> command = List.of(javaCommand, "--enable-native-access=ALL-UNNAMED", "-Xss512k", "-cp", System.getProperty("java.class.path"),
                    StackGuardCheck.class.getName(), how, how.equals("name") ? library.getFileName().toString() : library.toString());
            ProcessBuilder builder = new ProcessBuilder(command).directory(elsewhere.toFile()).redirectErrorStream(true);
            builder.environment().putAll(Map.of("LD_LIBRARY_PATH", work.toString()));
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(process.waitFor()).as("loaded by %s: %s", how, output).isZero();
            assertThat(output).as("loaded by %s", how).contains("StackOverflowError after ");
        }
    }

    private Path compile(String name, String... flags) throws IOException, InterruptedException {
        Path source = Files.writeString(work.resolve("loader_probe.c"), "int qlinear_loader_probe(void) { return 42; }\n");
        Path library = work.resolve(name);
        List<String> command = new ArrayList<>(List.of(RocmPackages.compiler("gcc"), "-shared", "-fPIC", "-o", library.toString(), source.toString()));
        command.addAll(List.of(flags));
        NativeBuild.succeed(work, command);
        return library;
    }
}
