package dev.qlinear.core.triton;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** The staleness check plugins run on their Triton images, on temporary copies of real images and sources laid out as in a plugin. */
final class TestTritonImageCheck {

    private static final String RECOMPILE = "recompile with python3 plugins/triton-aot.py plugins/triton-w4a16";
    private static final String W4A16_SHA = "8697e7b3bcec66ed3ef6b0403ba9bdf8d550ae51aaf56a2fc8527117317d2498";

    @TempDir
    Path root;
    private Path images;
    private Path sources;

    @BeforeEach
    void copyFixtures() {
        Path plugin = root.resolve("plugins/triton-w4a16/src/main");
        images = TritonFixtures.copyFolder(TritonFixtures.folder(TritonFixtures.W4A16_IMAGES), plugin.resolve("resources/dev/qlinear/tritonw4a16/triton"));
        sources = TritonFixtures.copyFolder(TritonFixtures.folder("triton-fixtures/w4a16/triton"), plugin.resolve("triton"));
    }

    @Test
    void freshImagesHaveNoProblems() {
        assertThat(TritonImageCheck.problems(images, sources)).isEmpty();
        assertThat(TritonImageCheck.problems(TritonFixtures.folder(TritonFixtures.W4A16_IMAGES), TritonFixtures.folder("triton-fixtures/w4a16/triton")))
                .isEmpty();
    }

    @Test
    void aChangedSourceMakesTheImagesStale() throws IOException {
        Path kernel = sources.resolve("w4a16.py");
        Files.writeString(kernel, Files.readString(kernel).replace("acc.to(out_ptr.dtype.element_ty)", "(acc * 2).to(out_ptr.dtype.element_ty)"));

        assertThat(TritonImageCheck.problems(images, sources)).containsExactly("w4a16.py changed since the images were compiled (manifest SHA-256 "
                + W4A16_SHA + ", now " + sha256(kernel) + "; 3 manifests such as w4a16_reduce_f16.compute_80.json): " + RECOMPILE);
    }

    @Test
    void oneStaleManifestIsNamed() throws IOException {
        Path manifest = images.resolve("w4a16_reduce_f16.sm_90a.json");
        String other = "0".repeat(64);
        Files.writeString(manifest, Files.readString(manifest).replace(W4A16_SHA, other));

        assertThat(TritonImageCheck.problems(images, sources)).containsExactly("w4a16.py changed since the images were compiled (manifest SHA-256 " + other
                + ", now " + W4A16_SHA + "; manifest w4a16_reduce_f16.sm_90a.json): " + RECOMPILE);
    }

    @Test
    void manifestsOfOneVariantMayComeFromDifferentTritonVersions() throws IOException {
        Path manifest = images.resolve("w4a16_reduce_f16.compute_80.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"triton_version\": \"3.6.0\"", "\"triton_version\": \"3.5.1\""));

        assertThat(TritonManifest.read(manifest).tritonVersion()).isEqualTo("3.5.1");
        assertThat(TritonImageCheck.problems(images, sources)).isEmpty();
    }

    @Test
    void aMissingImageIsNamed() throws IOException {
        Files.delete(images.resolve("w4a16_reduce_f16.sm_80.cubin"));

        assertThat(TritonImageCheck.problems(images, sources))
                .containsExactly("images.list lists w4a16_reduce_f16 sm_80, but its image w4a16_reduce_f16.sm_80.cubin is missing: " + RECOMPILE);
    }

    @Test
    void aMissingManifestIsNamedAndItsImageNotCalledUnlisted() throws IOException {
        Files.delete(images.resolve("w4a16_reduce_f16.compute_80.json"));

        assertThat(TritonImageCheck.problems(images, sources))
                .containsExactly("images.list lists w4a16_reduce_f16 compute_80, but its manifest w4a16_reduce_f16.compute_80.json is missing: " + RECOMPILE);
    }

    @Test
    void filesTheListingDoesNotNameAreUnlisted() throws IOException {
        Files.writeString(images.resolve("images.list"), "w4a16_reduce_f16 compute_80\nw4a16_reduce_f16 sm_90a\n");
        Files.write(images.resolve("w4a16_old.sm_80.cubin"), new byte[] {0x7F, 'E', 'L', 'F'});

        assertThat(TritonImageCheck.problems(images, sources)).containsExactly(
                "w4a16_old.sm_80.cubin in " + images + " is not listed in images.list: delete it, or " + RECOMPILE,
                "w4a16_reduce_f16.sm_80.cubin in " + images + " is not listed in images.list: delete it, or " + RECOMPILE,
                "w4a16_reduce_f16.sm_80.json in " + images + " is not listed in images.list: delete it, or " + RECOMPILE);
    }

    @Test
    void aSourceTheManifestsRecordMustExist() throws IOException {
        Files.delete(sources.resolve("variants.py"));

        assertThat(TritonImageCheck.problems(images, sources)).containsExactly("variants.py is not in " + sources
                + ", but 3 manifests such as w4a16_reduce_f16.compute_80.json record it as a source: " + RECOMPILE);
    }

    @Test
    void everyPythonSourceMustBeRecordedBySomeManifest() throws IOException {
        Files.writeString(sources.resolve("helpers.py"), "def helper():\n    pass\n");
        Files.createDirectories(sources.resolve("util"));
        Files.writeString(sources.resolve("util/tiles.py"), "TILES = []\n");
        Files.createDirectories(sources.resolve("__pycache__"));
        Files.writeString(sources.resolve("__pycache__/w4a16.py"), "compiled\n");
        Files.write(sources.resolve("__pycache__/w4a16.cpython-312.pyc"), new byte[] {1, 2, 3});
        Files.writeString(sources.resolve("README.md"), "not Python\n");

        assertThat(TritonImageCheck.problems(images, sources)).containsExactly(
                "helpers.py in " + sources + " is not among the sources any manifest records: list it in SOURCES of variants.py (or delete it), then "
                        + RECOMPILE,
                "util/tiles.py in " + sources + " is not among the sources any manifest records: list it in SOURCES of variants.py (or delete it), then "
                        + RECOMPILE);
    }

    @Test
    void anInvalidManifestIsReportedWithItsRule() throws IOException {
        Path manifest = images.resolve("w4a16_reduce_f16.sm_80.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"global_scratch_bytes\": 0", "\"global_scratch_bytes\": 512"));

        assertThat(TritonImageCheck.problems(images, sources)).singleElement().asString()
                .startsWith("w4a16_reduce_f16.sm_80.json is not a valid Triton manifest: field 'global_scratch_bytes': the kernel needs 512 bytes of global "
                        + "scratch memory, which qlinear does not provide");
    }

    @Test
    void aManifestFiledUnderAnotherNameIsReported() throws IOException {
        Files.copy(images.resolve("w4a16_reduce_f16.sm_80.json"), images.resolve("w4a16_reduce_f16.sm_90a.json"), StandardCopyOption.REPLACE_EXISTING);

        assertThat(TritonImageCheck.problems(images, sources)).containsExactly(
                "w4a16_reduce_f16.sm_90a.json describes variant w4a16_reduce_f16 for sm_80, not w4a16_reduce_f16 for sm_90a: " + RECOMPILE);
    }

    @Test
    void aBrokenOrMissingListingIsReported() throws IOException {
        Files.writeString(images.resolve("images.list"), "w4a16_reduce_f16 compute_80\nw4a16_reduce_f16\nw4a16_reduce_f16 sm_80\nw4a16_reduce_f16 sm_80\n"
                + "w4a16_reduce_f16 sm_90a\n");
        assertThat(TritonImageCheck.problems(images, sources)).containsExactly(
                "images.list: 'w4a16_reduce_f16' is not 'VARIANT TARGET': " + RECOMPILE,
                "images.list lists w4a16_reduce_f16 sm_80 more than once: " + RECOMPILE);

        Files.delete(images.resolve("images.list"));
        assertThat(TritonImageCheck.problems(images, sources)).containsExactly("images.list is missing from " + images + ": " + RECOMPILE);

        Path elsewhere = root.resolve("elsewhere");
        assertThat(TritonImageCheck.problems(elsewhere.resolve("images"), elsewhere.resolve("triton"))).containsExactly(
                "the Triton sources " + elsewhere.resolve("triton") + " are not a folder",
                "the Triton images folder " + elsewhere.resolve("images") + " does not exist: recompile with python3 plugins/triton-aot.py plugins/<plugin>");
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
