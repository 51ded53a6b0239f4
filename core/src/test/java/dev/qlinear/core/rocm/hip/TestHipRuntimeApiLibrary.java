package dev.qlinear.core.rocm.hip;

import dev.qlinear.core.testing.RocmPackages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The binding against Debian's {@code libamdhip64.so}: every bound symbol exists, and how a missing library is explained. */
final class TestHipRuntimeApiLibrary {

    @Test
    @SuppressWarnings("restricted") // the test opens Debian's library itself, not through the binding
    void debiansLibraryExportsEveryBoundSymbol() {
        Path library = RocmPackages.hipLibrary();
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup symbols = SymbolLookup.libraryLookup(library, arena);

            List<String> absent = Arrays.stream(HipRuntimeApi.Symbol.values()).map(Enum::name).filter(name -> symbols.find(name).isEmpty()).toList();

            assertThat(HipRuntimeApi.Symbol.values()).hasSizeGreaterThanOrEqualTo(20);
            assertThat(absent).as("symbols bound but not exported by %s", library).isEmpty();
        }
    }

    @Test
    void theDefaultLookupLoadsTheRuntimeAndItNamesErrors() {
        RocmPackages.requireLoadedHipRuntime();

        assertThat(HipRuntimeApi.LIBRARY_NAMES).containsExactly("libamdhip64.so", "libamdhip64.so.7", "libamdhip64.so.6", "libamdhip64.so.5");
        assertThat(HipRuntimeApi.defaultFolders()).endsWith(Path.of("/opt/rocm/lib"));
        assertThat(HipRuntimeApi.library()).isInstanceOfSatisfying(HipRuntimeApi.Library.Loaded.class,
                loaded -> assertThat(loaded.file()).contains("libamdhip64.so"));
        assertThat(HipException.errorName(HipRuntimeApi.hipErrorNoDevice)).isEqualTo("hipErrorNoDevice");
        assertThat(HipException.errorName(HipRuntimeApi.hipErrorInvalidDevice)).isEqualTo("hipErrorInvalidDevice");
        assertThat(HipException.of("hipMalloc of 64 bytes", HipRuntimeApi.hipErrorOutOfMemory))
                .hasMessageStartingWith("hipMalloc of 64 bytes: hipErrorOutOfMemory (2)")
                .satisfies(exception -> assertThat(exception.code()).isEqualTo(2));
    }

    @Test
    void aMissingLibraryIsReportedForEveryPlaceTried(@TempDir Path folder) {
        HipRuntimeApi.Library library = HipRuntimeApi.find(List.of("libqlinear-absent-hip.so.6", "libqlinear-absent-hip.so.5"), List.of(folder));

        assertThat(library).isInstanceOfSatisfying(HipRuntimeApi.Library.Missing.class, missing -> assertThat(missing.reason())
                .startsWith("libamdhip64 (the HIP runtime) not found: ")
                .contains("libqlinear-absent-hip.so.6 by name: libqlinear-absent-hip.so.6: cannot open shared object file")
                .contains(folder.resolve("libqlinear-absent-hip.so.6") + ": no such file")
                .contains(folder.resolve("libqlinear-absent-hip.so.5") + ": no such file"));
    }

    @Test
    void aLibraryWithoutTheFunctionsIsRefusedNamingThem() {
        // libc loads everywhere and has no HIP functions
        HipRuntimeApi.Library library = HipRuntimeApi.find(List.of("libc.so.6"), List.of());

        assertThat(library).isInstanceOfSatisfying(HipRuntimeApi.Library.Missing.class, missing -> assertThat(missing.reason())
                .startsWith("libc.so.6 loaded but lacks functions qlinear calls: hipInit, hipGetDeviceCount, "));
    }
}
