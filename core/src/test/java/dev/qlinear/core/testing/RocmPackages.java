package dev.qlinear.core.testing;

import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What the tests of the HIP bindings need from the machine: Debian's HIP packages and a C compiler. Where one is
 * missing the test is skipped with a message naming the package, or fails with that message when
 * {@value #REQUIRE_ENV}=1 (CI installs the packages and sets it, so a missing package cannot skip silently there).
 */
public final class RocmPackages {

    public static final String REQUIRE_ENV = "QLINEAR_REQUIRE_ROCM_PACKAGES";
    public static final String PACKAGE = "libamdhip64-dev";

    private RocmPackages() {
    }

    /** The folder holding {@code hip/hip_runtime_api.h}. */
    public static Path hipIncludeFolder() {
        Path include = Path.of("/usr/include");
        if (!Files.isRegularFile(include.resolve("hip/hip_runtime_api.h"))) {
            missing("no " + include.resolve("hip/hip_runtime_api.h"), PACKAGE);
        }
        return include;
    }

    /** Debian's {@code libamdhip64.so}, in the multiarch folder of this machine. */
    public static Path hipLibrary() {
        return Stream.of(Path.of("/usr/lib", Platform.hostIsa() + "-linux-gnu", "libamdhip64.so"), Path.of("/usr/lib64/libamdhip64.so"))
                .filter(Files::exists)
                .findFirst()
                .orElseGet(() -> missing("no libamdhip64.so in /usr/lib/" + Platform.hostIsa() + "-linux-gnu", PACKAGE));
    }

    /** The HIP runtime {@link HipRuntimeApi} calls, loaded. */
    public static void requireLoadedHipRuntime() {
        if (HipRuntimeApi.library() instanceof HipRuntimeApi.Library.Missing missingLibrary) {
            missing("the HIP runtime did not load: " + missingLibrary.reason(), PACKAGE);
        }
    }

    /** A compiler on the {@code PATH}, such as {@code gcc} or {@code g++}. */
    public static String compiler(String name) {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .filter(folder -> !folder.isBlank())
                .anyMatch(folder -> Files.isExecutable(Path.of(folder, name)));
        if (!found) {
            missing("no " + name + " on the PATH", name);
        }
        return name;
    }

    private static <T> T missing(String what, String debianPackage) {
        String message = what + ": install the Debian package " + debianPackage + " (apt-get install -y --no-install-recommends " + debianPackage + ")";
        if ("1".equals(System.getenv(REQUIRE_ENV))) {
            return Assertions.fail(message + "; " + REQUIRE_ENV + "=1 requires it");
        }
        return Assumptions.abort(message);
    }
}
