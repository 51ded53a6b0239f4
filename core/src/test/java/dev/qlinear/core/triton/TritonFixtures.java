package dev.qlinear.core.triton;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * The Triton fixtures in the test resources ({@code triton-fixtures/}): real manifests of the W4A16 and FP8 plugins
 * ({@code manifests/}), and the W4A16 reduce images with their manifests and listing ({@code w4a16/images/}) beside
 * the Triton sources they were compiled from ({@code w4a16/triton/}), all copied as {@code plugins/triton-aot.py}
 * wrote them.
 */
final class TritonFixtures {

    /** The images folder on the class path, as {@code TritonImages.load} takes it. */
    static final String W4A16_IMAGES = "triton-fixtures/w4a16/images";
    static final String REDUCE_F16 = "w4a16_reduce_f16";

    private TritonFixtures() {
    }

    static byte[] bytes(String resource) {
        try (InputStream in = TritonFixtures.class.getClassLoader().getResourceAsStream(resource)) {
            return requireNonNull(in, () -> "the test resource " + resource + " is missing").readAllBytes();
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] manifest(String name) {
        return bytes("triton-fixtures/manifests/" + name);
    }

    /** A folder of the fixtures on disk. */
    static Path folder(String resource) {
        URL url = requireNonNull(TritonFixtures.class.getClassLoader().getResource(resource), () -> "the test resource " + resource + " is missing");
        try {
            return Path.of(url.toURI());
        }
        catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Copies the files of a folder (not recursively) into another, creating it. */
    static Path copyFolder(Path from, Path to) {
        try (Stream<Path> files = Files.list(from)) {
            Files.createDirectories(to);
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName().toString()));
            }
            return to;
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
