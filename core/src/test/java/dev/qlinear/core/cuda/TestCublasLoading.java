package dev.qlinear.core.cuda;

import dev.qlinear.core.cuda.blas.Cublas;
import dev.qlinear.core.cuda.blas.CublasAvailability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** How cuBLAS is found by name and in folders, and how a failure is explained. */
final class TestCublasLoading {

    @Test
    void aMissingLibraryIsReportedForEveryPlaceTried(@TempDir Path folder) {
        CublasAvailability availability = Cublas.load(List.of("libqlinear-absent.so.13", "libqlinear-absent.so.12"), List.of(folder));

        assertThat(availability.library()).isEmpty();
        assertThat(availability).isInstanceOfSatisfying(CublasAvailability.Missing.class, missing -> assertThat(missing.reason())
                .startsWith("cuBLAS not found: ")
                .contains("libqlinear-absent.so.13 by name: libqlinear-absent.so.13: cannot open shared object file")
                .contains(folder.resolve("libqlinear-absent.so.13") + ": no such file")
                .contains("libqlinear-absent.so.12 by name: ")
                .contains(folder.resolve("libqlinear-absent.so.12") + ": no such file"));
    }

    @Test
    void aFileThatDoesNotLoadIsNamedWithTheLoadersError(@TempDir Path folder) throws IOException {
        Path broken = Files.writeString(folder.resolve("libqlinear-broken.so.13"), "not an ELF file, but long enough for its header to be read. ".repeat(8));

        CublasAvailability availability = Cublas.load(List.of("libqlinear-broken.so.13"), List.of(folder));

        assertThat(availability).isInstanceOfSatisfying(CublasAvailability.Missing.class,
                missing -> assertThat(missing.reason()).contains(broken + ": " + broken + ": invalid ELF header"));
    }

    @Test
    void aLibraryWithoutTheFunctionsIsRefusedByName() {
        // libc loads everywhere and has no cuBLAS functions
        CublasAvailability availability = Cublas.load(List.of("libc.so.6"), List.of());

        assertThat(availability).isInstanceOfSatisfying(CublasAvailability.Missing.class,
                missing -> assertThat(missing.reason()).startsWith("libc.so.6 loaded but lacks a function qlinear calls: ").contains("cublasCreate_v2"));
    }

    @Test
    void theDefaultLookupTriesCuda13ThenCuda12() {
        CublasAvailability availability = Cublas.availability();

        assertThat(Cublas.LIBRARY_NAMES).containsExactly("libcublas.so.13", "libcublas.so.12");
        assertThat(Cublas.defaultFolders()).startsWith(Path.of("/usr/local/cuda/lib64"), Path.of("/usr/local/cuda/targets/x86_64-linux/lib"));
        switch (availability) {
            case CublasAvailability.Loaded loaded -> assertThat(loaded.cublas().file()).contains("libcublas.so.1");
            case CublasAvailability.Missing missing -> assertThat(missing.reason()).contains("libcublas.so.13 by name: ").contains("libcublas.so.12 by name: ");
        }
        assertThat(Cublas.statusName(15)).isEqualTo("CUBLAS_STATUS_NOT_SUPPORTED");
        assertThat(Cublas.statusName(42)).isEqualTo("CUBLAS_STATUS_42");
    }
}
