package dev.qlinear.spi.device;

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
 * The compiled CUDA kernels a plugin ships as resources of its jar (a fatbin, written by the build with the list of
 * its targets beside it, one per line), and which CUDA platforms they run on. Reading them touches no device; a
 * plugin loads {@link #bytes()} with {@link Device#loadModule}.
 *
 * @param name the fatbin's resource name, which names the module on the device
 * @param image the fatbin, or empty when nvcc was missing at build time
 * @param targets what the fatbin holds
 */
public record KernelImages(String name, Optional<byte[]> image, List<ImageTarget> targets) {

    /** Why a plugin built without nvcc refuses every CUDA platform. */
    public static final String NOT_BUILT = "kernel images were not built (nvcc was missing at build time)";

    public KernelImages {
        requireNonNull(name, "name is null");
        requireNonNull(image, "image is null");
        targets = List.copyOf(requireNonNull(targets, "targets is null"));
        if (image.isPresent() && targets.isEmpty()) {
            throw new IllegalArgumentException("a kernel image needs the list of its targets");
        }
    }

    /** No images, as in a jar built without nvcc. */
    public static KernelImages absent(String name) {
        return new KernelImages(name, Optional.empty(), List.of());
    }

    /**
     * The images on a class path, such as the plugin's own class loader: the fatbin {@code image} and the list of its
     * targets {@code targets}; none when the fatbin is missing.
     *
     * @throws IllegalStateException when the fatbin is there but its list of targets is not
     */
    public static KernelImages load(ClassLoader loader, String image, String targets) {
        requireNonNull(loader, "loader is null");
        requireNonNull(image, "image is null");
        requireNonNull(targets, "targets is null");
        Optional<byte[]> bytes = read(loader, image);
        if (bytes.isEmpty()) {
            return absent(image);
        }
        String listed = new String(read(loader, targets).orElseThrow(() -> new IllegalStateException(
                "the plugin jar holds " + image + " but not " + targets + ", which says what the image holds; rebuild the plugin")), StandardCharsets.UTF_8);
        return new KernelImages(image, bytes, listed.lines().filter(line -> !line.isBlank()).map(ImageTarget::parse).toList());
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
    public Verdict check(Platform platform) {
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

    /**
     * Whether the driver runs the architecture-specific image on a device of this capability: the fatbin holds SASS
     * for exactly it with the {@code a} suffix, which a device prefers over every other image (sm_90a's warpgroup
     * MMA kernels need it).
     */
    public boolean runsArchitectureSpecific(int capability) {
        return image.isPresent() && targets.stream().anyMatch(target -> !target.ptx() && target.architectureSpecific() && target.capability() == capability);
    }

    /** {@code SASS sm_80, SASS sm_90a, PTX compute_80}. */
    public String describe() {
        return String.join(", ", targets.stream().map(ImageTarget::describe).toList());
    }

    /** The fatbin's bytes, for {@code Device.loadModule}. */
    public byte[] bytes() {
        return image.orElseThrow(() -> new IllegalStateException(NOT_BUILT));
    }
}
