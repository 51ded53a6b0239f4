package dev.qlinear.aiterfp8;

import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.Verdict;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * An aiter installation as the kernel uses it: an aiter source tree (ROCm/aiter) whose
 * {@value #TUNED_GEMM_CSV} says which CK instance runs each shape, and the shim that {@value #BUILD_SCRIPT} compiles
 * against it into {@code <home>/}{@value #SHIM_FOLDER}: {@value #SHIM_LIBRARY}, the C ABI of
 * {@code qlinear_aiter_fp8.h}, and {@value #KERNEL_LIST}, one CK kernelId per line, the instances compiled into it.
 * Nothing here is loaded; {@link #check} says which pieces are missing.
 *
 * @param home the aiter source tree
 * @param tunedGemmCsv the tuned-GEMM CSV: {@value #TUNED_GEMM_CSV} in the tree, or the file
 *        {@value AiterSettings#TUNED_GEMM_FILE} names
 * @param tunedGemmCsvOverridden whether {@value AiterSettings#TUNED_GEMM_FILE} named it
 */
record AiterInstallation(Path home, Path tunedGemmCsv, boolean tunedGemmCsvOverridden) {

    static final String TUNED_GEMM_CSV = "aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv";
    static final String SHIM_FOLDER = "qlinear";
    static final String SHIM_LIBRARY = "libqlinear_aiter_fp8.so";
    static final String KERNEL_LIST = "kernels.list";
    static final String BUILD_SCRIPT = "plugins/aiter-fp8/src/main/hip/build-shim.sh";
    /** Where {@code gpu-bundle.sh} puts the shim's sources and build script in a GPU bundle. */
    static final String BUNDLED_BUILD_SCRIPT = "aiter-shim/build-shim.sh";
    /**
     * Where aiter is looked for when {@value AiterSettings#AITER_HOME} is unset, in order: the usual places of a source
     * checkout on ROCm hosts and in ROCm's containers; {@code $HOME} is the user's home.
     */
    static final List<String> USUAL_HOMES = List.of("/opt/aiter", "/usr/local/aiter", "$HOME/aiter", "/app/aiter");

    AiterInstallation {
        requireNonNull(home, "home is null");
        requireNonNull(tunedGemmCsv, "tunedGemmCsv is null");
    }

    /**
     * The installation the settings point at: {@value AiterSettings#AITER_HOME} when set, whatever it holds (so that
     * {@link #check} names what is missing there), else the first of {@link #USUAL_HOMES} that holds an aiter source
     * tree; empty when none does.
     */
    static Optional<AiterInstallation> locate(AiterSettings settings) {
        requireNonNull(settings, "settings is null");
        Optional<Path> home = settings.home().or(() -> usualHomes(settings).stream().filter(AiterInstallation::holdsAiter).findFirst());
        return home.map(path -> new AiterInstallation(path, settings.tunedGemmFile().orElse(path.resolve(TUNED_GEMM_CSV)), settings.tunedGemmFile().isPresent()));
    }

    /** The refusal when {@link #locate} finds nothing: the places searched. */
    static Reason notFound(AiterSettings settings) {
        return new Reason("aiter installation", "an aiter source tree (a folder holding aiter/, with " + TUNED_GEMM_CSV + ") named by " + AiterSettings.AITER_HOME
                + " or in one of " + usualHomes(settings), "none found");
    }

    /** {@link #USUAL_HOMES} on this machine, {@code $HOME/aiter} left out when {@code HOME} is unset. */
    static List<Path> usualHomes(AiterSettings settings) {
        List<Path> homes = new ArrayList<>();
        for (String usual : USUAL_HOMES) {
            if (usual.startsWith("$HOME/")) {
                settings.userHome().ifPresent(user -> homes.add(user.resolve(usual.substring("$HOME/".length()))));
            }
            else {
                homes.add(Path.of(usual));
            }
        }
        return List.copyOf(homes);
    }

    Path shimLibrary() {
        return home.resolve(SHIM_FOLDER).resolve(SHIM_LIBRARY);
    }

    Path kernelList() {
        return home.resolve(SHIM_FOLDER).resolve(KERNEL_LIST);
    }

    /** The command that builds the shim into this installation. */
    String buildCommand() {
        return BUILD_SCRIPT + " " + home + " (" + BUNDLED_BUILD_SCRIPT + " in a GPU bundle)";
    }

    /** What the tuned-GEMM lookup needs: the CSV and the shim's kernel list. */
    Verdict checkTunedGemm() {
        return Verdict.checks()
                .require(Files.isRegularFile(tunedGemmCsv), "aiter tuned-GEMM CSV", tunedGemmCsv + (tunedGemmCsvOverridden
                        ? " (named by " + AiterSettings.TUNED_GEMM_FILE + ")"
                        : " (aiter's pre-shuffled a8w8 tuned-GEMM table in the source tree " + home + ")"), "no such file")
                .require(Files.isRegularFile(kernelList()), "aiter shim kernel list", kernelList() + " (written with the shim by " + buildCommand() + ")",
                        "no such file")
                .verdict();
    }

    /** Every missing piece: the tuned-GEMM CSV, the kernel list and the shim library. */
    Verdict check() {
        return Verdict.checks()
                .add(checkTunedGemm())
                .require(Files.isRegularFile(shimLibrary()), "aiter shim", shimLibrary() + " (build it with " + buildCommand() + ")", "no such file")
                .verdict();
    }

    private static boolean holdsAiter(Path home) {
        return Files.isDirectory(home.resolve("aiter"));
    }
}
