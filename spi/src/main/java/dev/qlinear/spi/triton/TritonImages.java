package dev.qlinear.spi.triton;

import dev.qlinear.spi.device.ImageTarget;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.Platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * The Triton images in a plugin jar, as listed by the ahead-of-time pipeline ({@code plugins/triton-aot.py}) in
 * {@code DIRECTORY/images.list}: one line {@code VARIANT TARGET} per image, where a CUDA target is an nvcc-style name
 * ({@code sm_80} and {@code sm_90a} machine code, {@code compute_80} PTX) and a ROCm target a gfx architecture. Beside
 * each image, {@code VARIANT.TARGET.json} is its manifest. Reading the list touches no device.
 */
public final class TritonImages {

    /** How a plugin's images are produced, for refusals that lack them. */
    public static final String PIPELINE = "python3 plugins/triton-aot.py plugins/<plugin> --target <cuda:capability | hip:gfx arch>";

    private final ClassLoader loader;
    private final String directory;
    private final Map<String, List<String>> targetsByVariant;

    public TritonImages(ClassLoader loader, String directory, Map<String, List<String>> targetsByVariant) {
        this.loader = requireNonNull(loader, "loader is null");
        this.directory = requireNonNull(directory, "directory is null");
        Map<String, List<String>> copy = new LinkedHashMap<>();
        requireNonNull(targetsByVariant, "targetsByVariant is null").forEach((variant, targets) -> copy.put(variant, List.copyOf(targets)));
        this.targetsByVariant = Map.copyOf(copy);
    }

    /** The images listed in {@code directory/images.list} on the class path; none when the list is missing. */
    public static TritonImages load(ClassLoader loader, String directory) {
        requireNonNull(loader, "loader is null");
        requireNonNull(directory, "directory is null");
        Map<String, List<String>> targets = new LinkedHashMap<>();
        Optional<byte[]> listing = read(loader, directory + "/images.list");
        if (listing.isPresent()) {
            new String(listing.get(), StandardCharsets.UTF_8).lines().map(String::strip).filter(line -> !line.isEmpty()).forEach(line -> {
                String[] fields = line.split("\\s+");
                if (fields.length != 2) {
                    throw new IllegalStateException(directory + "/images.list: '" + line + "' is not 'VARIANT TARGET'; rebuild the images with " + PIPELINE);
                }
                targets.computeIfAbsent(fields[0], variant -> new ArrayList<>()).add(fields[1]);
            });
        }
        return new TritonImages(loader, directory, targets);
    }

    public String directory() {
        return directory;
    }

    /** Every listed variant with its targets. */
    public Map<String, List<String>> targetsByVariant() {
        return targetsByVariant;
    }

    /**
     * The image of {@code variant} a device of this platform runs best: on CUDA the machine code for exactly its
     * architecture ({@code sm_90a}), else machine code of its major version and no higher minor, else the newest PTX
     * not above it; on ROCm the code object of its gfx architecture. Empty when none runs there.
     */
    public Optional<String> targetFor(String variant, Platform platform) {
        requireNonNull(variant, "variant is null");
        requireNonNull(platform, "platform is null");
        List<String> targets = targetsByVariant.getOrDefault(variant, List.of());
        return switch (platform.architecture()) {
            case Architecture.Cuda cuda -> targets.stream()
                    .filter(target -> target.startsWith("sm_") || target.startsWith("compute_"))
                    .map(ImageTarget::parse)
                    .filter(target -> target.runsOn(cuda.capability()))
                    .max(Comparator.comparing((ImageTarget target) -> !target.ptx()).thenComparing(ImageTarget::architectureSpecific)
                            .thenComparingInt(ImageTarget::capability))
                    .map(ImageTarget::name);
            case Architecture.Rocm rocm -> targets.stream().filter(target -> target.equals(rocm.name())).findFirst();
            case Architecture.Cpu cpu -> Optional.empty();
        };
    }

    /** Whether every one of {@code variants} has an image this platform runs, naming the missing ones and how to build them. */
    public Verdict check(Platform platform, Collection<String> variants) {
        requireNonNull(platform, "platform is null");
        requireNonNull(variants, "variants is null");
        if (platform.architecture() instanceof Architecture.Cpu) {
            return Verdict.checks().require(false, "platform", "a CUDA or ROCm device", platform.spec()).verdict();
        }
        List<String> missing = variants.stream().filter(variant -> targetFor(variant, platform).isEmpty()).sorted().toList();
        if (missing.isEmpty()) {
            return Verdict.accepted();
        }
        String held = targetsByVariant.isEmpty() ? "no Triton images at all" : "images for " + String.join(", ", allTargets());
        String shown = missing.size() <= 3 ? String.join(", ", missing) : missing.get(0) + " and " + (missing.size() - 1) + " more";
        return Verdict.checks()
                .require(false, "Triton images", "images for " + platform.architecture().name() + " of every variant (build them with " + PIPELINE + ")",
                        held + "; none runs " + shown)
                .verdict();
    }

    /** Every target some variant has, sorted. */
    public List<String> allTargets() {
        TreeSet<String> all = new TreeSet<>();
        targetsByVariant.values().forEach(all::addAll);
        return List.copyOf(all);
    }

    /** {@code DIRECTORY/VARIANT.TARGET.json}. */
    public String manifestResource(String variant, String target) {
        return directory + "/" + variant + "." + target + ".json";
    }

    /**
     * The bytes of a resource of these images, such as a manifest or an image file.
     *
     * @throws IllegalStateException naming the resource when the jar lacks it
     */
    public byte[] read(String resource) {
        requireNonNull(resource, "resource is null");
        return read(loader, resource).orElseThrow(() -> new IllegalStateException("the plugin jar lacks " + resource + ", which " + directory
                + "/images.list names; rebuild the images with " + PIPELINE));
    }

    private static Optional<byte[]> read(ClassLoader loader, String resource) {
        try (InputStream stream = loader.getResourceAsStream(resource)) {
            return stream == null ? Optional.empty() : Optional.of(stream.readAllBytes());
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource + " from the plugin jar", e);
        }
    }

    @Override
    public String toString() {
        return "Triton images in " + directory + " (" + targetsByVariant.size() + " variants, targets " + allTargets() + ")";
    }
}
