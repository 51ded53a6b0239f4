package dev.qlinear.marlin;

import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The compiled kernels the build put into the jar ({@value #IMAGE}, written by {@code plugins/build-cuda.sh} with the
 * list of its targets in {@value #TARGETS}), and which CUDA platforms they run on. Reading them touches no device.
 *
 * @param image the fatbin, or empty when nvcc was missing at build time
 * @param targets what the fatbin holds
 */
record KernelImages(Optional<byte[]> image, List<ImageTarget> targets) {

    static final String IMAGE = "dev/qlinear/marlin/kernels/marlin.fatbin";
    static final String TARGETS = "dev/qlinear/marlin/kernels/marlin.targets";
    static final String NOT_BUILT = "kernel images were not built (nvcc was missing at build time)";

    KernelImages {
        requireNonNull(image, "image is null");
        targets = List.copyOf(requireNonNull(targets, "targets is null"));
        if (image.isPresent() && targets.isEmpty()) {
            throw new IllegalArgumentException("a kernel image needs the list of its targets");
        }
    }

    /** No images, as in a jar built without nvcc. */
    static KernelImages absent() {
        return new KernelImages(Optional.empty(), List.of());
    }

    /** The images on a class path, such as the plugin's own class loader. */
    static KernelImages load(ClassLoader loader) {
        requireNonNull(loader, "loader is null");
        Optional<byte[]> image = read(loader, IMAGE);
        if (image.isEmpty()) {
            return absent();
        }
        String listed = new String(read(loader, TARGETS).orElseThrow(() -> new IllegalStateException(
                "the plugin jar holds " + IMAGE + " but not " + TARGETS + ", which says what the image holds; rebuild the plugin")), StandardCharsets.UTF_8);
        List<ImageTarget> targets = listed.lines().filter(line -> !line.isBlank()).map(ImageTarget::parse).toList();
        return new KernelImages(image, targets);
    }

    private static Optional<byte[]> read(ClassLoader loader, String resource) {
        try (InputStream stream = loader.getResourceAsStream(resource)) {
            return stream == null ? Optional.empty() : Optional.of(stream.readAllBytes());
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource + " from the plugin jar", e);
        }
    }

    /** Whether these images can run on the platform: a CUDA device of an architecture one of them runs on. */
    Verdict check(Platform platform) {
        requireNonNull(platform, "platform is null");
        if (!(platform.architecture() instanceof Architecture.Cuda cuda)) {
            return Verdict.checks().require(false, "platform", "a CUDA device", platform.spec()).verdict();
        }
        if (image.isEmpty()) {
            return Verdict.checks().require(false, "kernel images", "CUDA kernel images in the plugin jar", NOT_BUILT).verdict();
        }
        return Verdict.checks()
                .require(targets.stream().anyMatch(target -> target.runsOn(cuda.capability())), "CUDA architecture",
                        "one the kernel images run on (" + describe() + ")", cuda.name())
                .verdict();
    }

    /** {@code SASS sm_80, SASS sm_90a, PTX compute_80}. */
    String describe() {
        return String.join(", ", targets.stream().map(ImageTarget::describe).toList());
    }

    /** The fatbin's bytes, for {@code Device.loadModule}. */
    byte[] bytes() {
        return image.orElseThrow(() -> new IllegalStateException(NOT_BUILT));
    }
}
