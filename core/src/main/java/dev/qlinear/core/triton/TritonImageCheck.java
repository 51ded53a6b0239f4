package dev.qlinear.core.triton;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * Whether a plugin's committed Triton images are fresh: every image its {@code images.list} lists is there with a valid
 * manifest, nothing else is, and every manifest was compiled from the Triton sources as they are now. A plugin's tests
 * call it so that a kernel source changed without recompiling fails the build:
 *
 * <pre>{@code
 * assertThat(TritonImageCheck.problems(Path.of("src/main/resources/dev/qlinear/tritonw4a16/triton"), Path.of("src/main/triton"))).isEmpty();
 * }</pre>
 */
public final class TritonImageCheck {

    /** What a plugin's images may be, beside their manifests. */
    private static final List<String> IMAGE_EXTENSIONS = List.of("cubin", "ptx", "hsaco");
    private static final String LISTING = "images.list";

    private TritonImageCheck() {
    }

    /**
     * The problems of a plugin's images, each a sentence naming the file and what to do; empty when the images are
     * fresh.
     *
     * @param images the folder of the images, their manifests and {@code images.list}, such as
     *        {@code plugins/triton-w4a16/src/main/resources/dev/qlinear/tritonw4a16/triton}
     * @param sources the plugin's Triton sources, such as {@code plugins/triton-w4a16/src/main/triton}
     */
    public static List<String> problems(Path images, Path sources) {
        requireNonNull(images, "images is null");
        requireNonNull(sources, "sources is null");
        String recompile = "recompile with python3 plugins/triton-aot.py plugins/" + pluginName(sources);
        List<String> problems = new ArrayList<>();
        if (!Files.isDirectory(sources)) {
            problems.add("the Triton sources " + sources + " are not a folder");
        }
        if (!Files.isDirectory(images)) {
            problems.add("the Triton images folder " + images + " does not exist: " + recompile);
            return List.copyOf(problems);
        }
        Path listingFile = images.resolve(LISTING);
        if (!Files.isRegularFile(listingFile)) {
            problems.add(LISTING + " is missing from " + images + ": " + recompile);
            return List.copyOf(problems);
        }

        Set<String> accounted = new TreeSet<>(List.of(LISTING));
        Map<String, TritonManifest> manifests = new LinkedHashMap<>();
        Set<String> listed = new TreeSet<>();
        List<String> lines = read(listingFile).lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
        for (String line : lines) {
            String[] fields = line.split("\\s+");
            if (fields.length != 2) {
                problems.add(LISTING + ": '" + line + "' is not 'VARIANT TARGET': " + recompile);
                continue;
            }
            String variant = fields[0];
            String target = fields[1];
            String stem = variant + "." + target;
            if (!listed.add(stem)) {
                problems.add(LISTING + " lists " + variant + " " + target + " more than once: " + recompile);
                continue;
            }
            try {
                // what images.list names, whatever its manifest says
                accounted.add(stem + "." + TritonManifest.imageExtension(target));
            }
            catch (IllegalArgumentException e) {
                problems.add(LISTING + " lists " + variant + " " + target + ": " + e.getMessage());
            }
            String manifestName = stem + ".json";
            Path manifestFile = images.resolve(manifestName);
            if (!Files.isRegularFile(manifestFile)) {
                problems.add(LISTING + " lists " + variant + " " + target + ", but its manifest " + manifestName + " is missing: " + recompile);
                // its image, if there, is not also reported as unlisted
                IMAGE_EXTENSIONS.forEach(extension -> accounted.add(stem + "." + extension));
                continue;
            }
            accounted.add(manifestName);
            TritonManifest manifest;
            try {
                manifest = TritonManifest.parse(manifestName, readBytes(manifestFile));
            }
            catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
                IMAGE_EXTENSIONS.forEach(extension -> accounted.add(stem + "." + extension));
                continue;
            }
            if (!manifest.variant().equals(variant) || !manifest.target().equals(target)) {
                problems.add(manifestName + " describes variant " + manifest.variant() + " for " + manifest.target() + ", not " + variant + " for " + target
                        + ": " + recompile);
            }
            accounted.add(manifest.image());
            if (!Files.isRegularFile(images.resolve(manifest.image()))) {
                problems.add(LISTING + " lists " + variant + " " + target + ", but its image " + manifest.image() + " is missing: " + recompile);
            }
            manifests.put(manifestName, manifest);
        }

        try (Stream<Path> files = Files.list(images)) {
            files.filter(Files::isRegularFile).map(file -> file.getFileName().toString()).filter(name -> !accounted.contains(name)).sorted()
                    .forEach(name -> problems.add(name + " in " + images + " is not listed in " + LISTING + ": delete it, or " + recompile));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot list " + images, e);
        }

        if (Files.isDirectory(sources)) {
            problems.addAll(staleSources(manifests, sources, recompile));
        }
        return List.copyOf(problems);
    }

    /** Sources whose hash differs from what manifests recorded, sources manifests name but that are gone, and sources no manifest names. */
    private static List<String> staleSources(Map<String, TritonManifest> manifests, Path sources, String recompile) {
        List<String> problems = new ArrayList<>();
        Map<String, String> current = new HashMap<>();
        // (source, recorded SHA-256) -> the manifests that recorded it
        Map<String, Map<String, List<String>>> stale = new TreeMap<>();
        Map<String, List<String>> missing = new TreeMap<>();
        manifests.forEach((manifestName, manifest) -> manifest.sources().forEach((source, recorded) -> {
            Path file = sources.resolve(source);
            if (!Files.isRegularFile(file)) {
                missing.computeIfAbsent(source, key -> new ArrayList<>()).add(manifestName);
                return;
            }
            String now = current.computeIfAbsent(source, key -> sha256(file));
            if (!now.equals(recorded)) {
                stale.computeIfAbsent(source, key -> new TreeMap<>()).computeIfAbsent(recorded, key -> new ArrayList<>()).add(manifestName);
            }
        }));
        stale.forEach((source, byRecorded) -> byRecorded.forEach((recorded, names) -> problems.add(source + " changed since the images were compiled "
                + "(manifest SHA-256 " + recorded + ", now " + current.get(source) + "; " + manifestsNamed(names) + "): " + recompile)));
        missing.forEach((source, names) -> problems.add(source + " is not in " + sources + ", but " + manifestsNamed(names)
                + (names.size() == 1 ? " records" : " record") + " it as a source: " + recompile));
        if (!manifests.isEmpty()) {
            Set<String> recorded = new TreeSet<>();
            manifests.values().forEach(manifest -> recorded.addAll(manifest.sources().keySet()));
            pythonFiles(sources).stream().filter(source -> !recorded.contains(source)).forEach(source -> problems.add(source + " in " + sources
                    + " is not among the sources any manifest records: list it in SOURCES of variants.py (or delete it), then " + recompile));
        }
        return problems;
    }

    private static String manifestsNamed(List<String> names) {
        return names.size() == 1 ? "manifest " + names.get(0) : names.size() + " manifests such as " + names.get(0);
    }

    /** The {@code .py} files under the sources, as paths relative to them with {@code /}; {@code __pycache__} skipped. */
    private static List<String> pythonFiles(Path sources) {
        try (Stream<Path> files = Files.walk(sources)) {
            return files.filter(Files::isRegularFile)
                    .map(sources::relativize)
                    .filter(relative -> relative.getFileName().toString().endsWith(".py"))
                    .filter(relative -> Stream.iterate(relative, path -> path != null, Path::getParent)
                            .noneMatch(part -> part.getFileName().toString().equals("__pycache__")))
                    .map(relative -> relative.toString().replace(relative.getFileSystem().getSeparator(), "/"))
                    .sorted()
                    .toList();
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot list " + sources, e);
        }
    }

    /** The plugin's folder name, from its sources at {@code plugins/NAME/src/main/triton}; {@code <plugin>} otherwise. */
    private static String pluginName(Path sources) {
        Path absolute = sources.toAbsolutePath().normalize();
        int count = absolute.getNameCount();
        if (count >= 4 && absolute.getName(count - 1).toString().equals("triton") && absolute.getName(count - 2).toString().equals("main")
                && absolute.getName(count - 3).toString().equals("src")) {
            return absolute.getName(count - 4).toString();
        }
        return "<plugin>";
    }

    private static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(readBytes(file)));
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static String read(Path file) {
        return new String(readBytes(file), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
