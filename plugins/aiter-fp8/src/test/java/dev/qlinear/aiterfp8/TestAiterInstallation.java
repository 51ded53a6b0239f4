package dev.qlinear.aiterfp8;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Finding aiter and the shim in folders laid out as build-shim.sh lays them out; the shim is a file, never run. */
final class TestAiterInstallation {

    @TempDir
    Path temp;

    @Test
    void aCompleteInstallationNamedByTheEnvironmentIsFoundWhole() {
        Path home = Installations.complete(temp.resolve("aiter"));

        AiterInstallation installation = AiterInstallation.locate(Installations.settings(home)).orElseThrow();

        assertThat(installation.home()).isEqualTo(home);
        assertThat(installation.tunedGemmCsv()).isEqualTo(home.resolve("aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv"));
        assertThat(installation.shimLibrary()).isEqualTo(home.resolve("qlinear/libqlinear_aiter_fp8.so"));
        assertThat(installation.kernelList()).isEqualTo(home.resolve("qlinear/kernels.list"));
        assertThat(installation.check().isAccepted()).isTrue();
    }

    @Test
    void aMissingShimIsRefusedWithItsPathAndTheCommandThatBuildsIt() {
        Path home = Installations.lay(temp.resolve("aiter"), Installations.TUNED, Installations.KERNELS, false);

        AiterInstallation installation = AiterInstallation.locate(Installations.settings(home)).orElseThrow();

        assertThat(installation.checkTunedGemm().isAccepted()).isTrue();
        assertThat(installation.check().reasons()).singleElement().satisfies(reason -> assertThat(reason.message()).isEqualTo(
                "aiter shim: needs " + home + "/qlinear/libqlinear_aiter_fp8.so (build it with plugins/aiter-fp8/src/main/hip/build-shim.sh " + home
                        + " (aiter-shim/build-shim.sh in a GPU bundle)), got no such file"));
    }

    @Test
    void everyMissingPieceIsNamed() {
        Path home = Installations.lay(temp.resolve("aiter"), null, null, false);

        assertThat(AiterInstallation.locate(Installations.settings(home)).orElseThrow().check().reasons()).extracting(reason -> reason.message()).containsExactly(
                "aiter tuned-GEMM CSV: needs " + home + "/aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv (aiter's pre-shuffled a8w8 tuned-GEMM table in the "
                        + "source tree " + home + "), got no such file",
                "aiter shim kernel list: needs " + home + "/qlinear/kernels.list (written with the shim by plugins/aiter-fp8/src/main/hip/build-shim.sh "
                        + home + " (aiter-shim/build-shim.sh in a GPU bundle)), got no such file",
                "aiter shim: needs " + home + "/qlinear/libqlinear_aiter_fp8.so (build it with plugins/aiter-fp8/src/main/hip/build-shim.sh " + home
                        + " (aiter-shim/build-shim.sh in a GPU bundle)), got no such file");
    }

    @Test
    void aHomeNamedByTheEnvironmentIsTakenEvenWhenEmptySoThatItsGapsAreNamed() {
        Path empty = temp.resolve("nothing-here");

        AiterInstallation installation = AiterInstallation.locate(Installations.settings(empty)).orElseThrow();

        assertThat(installation.home()).isEqualTo(empty);
        assertThat(installation.check().reasons()).hasSize(3);
    }

    @Test
    void aiterOwnCsvOverrideIsReadInsteadOfTheTreesAndNamedWhenMissing() throws IOException {
        Path home = Installations.complete(temp.resolve("aiter"));
        Path override = temp.resolve("tuned.csv");
        AiterSettings settings = AiterSettings.fromEnvironment(Map.of(AiterSettings.AITER_HOME, home.toString(), AiterSettings.TUNED_GEMM_FILE, override.toString()));

        AiterInstallation installation = AiterInstallation.locate(settings).orElseThrow();

        assertThat(installation.tunedGemmCsv()).isEqualTo(override);
        assertThat(installation.check().reasons()).extracting(reason -> reason.message()).containsExactly(
                "aiter tuned-GEMM CSV: needs " + override + " (named by AITER_CONFIG_GEMM_A8W8_BPRESHUFFLE_FILE), got no such file");
        Files.write(override, Installations.TUNED);
        assertThat(installation.check().isAccepted()).isTrue();
    }

    @Test
    void withoutTheVariableTheUsualPlacesAreSearchedInOrder() {
        assumeFalse(Files.isDirectory(Path.of("/opt/aiter/aiter")) || Files.isDirectory(Path.of("/usr/local/aiter/aiter")),
                "this machine has aiter in /opt/aiter or /usr/local/aiter, which come before $HOME/aiter");
        Path user = temp.resolve("user");
        AiterSettings settings = AiterSettings.fromEnvironment(Map.of("HOME", user.toString()));

        assertThat(AiterInstallation.usualHomes(settings)).containsExactly(Path.of("/opt/aiter"), Path.of("/usr/local/aiter"), user.resolve("aiter"),
                Path.of("/app/aiter"));
        assertThat(AiterInstallation.locate(settings)).isEmpty();
        assertThat(AiterInstallation.notFound(settings).message()).isEqualTo("aiter installation: needs an aiter source tree (a folder holding aiter/, with "
                + "aiter/configs/a8w8_bpreshuffle_tuned_gemm.csv) named by QLINEAR_AITER_HOME or in one of [/opt/aiter, /usr/local/aiter, " + user.resolve("aiter")
                + ", /app/aiter], got none found");

        Path home = Installations.complete(user.resolve("aiter"));
        assertThat(AiterInstallation.locate(settings)).map(AiterInstallation::home).contains(home);
    }

    @Test
    void withoutHomeTheUsualPlacesLeaveOutTheUserOne() {
        assertThat(AiterInstallation.usualHomes(AiterSettings.fromEnvironment(Map.of())))
                .containsExactly(Path.of("/opt/aiter"), Path.of("/usr/local/aiter"), Path.of("/app/aiter"));
        assertThat(AiterInstallation.USUAL_HOMES).isEqualTo(List.of("/opt/aiter", "/usr/local/aiter", "$HOME/aiter", "/app/aiter"));
    }
}
