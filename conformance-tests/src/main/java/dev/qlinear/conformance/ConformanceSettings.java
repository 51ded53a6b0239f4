package dev.qlinear.conformance;

import dev.qlinear.spi.platform.Platform;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The knobs of a conformance run, read from JUnit configuration parameters, which fall back to system properties
 * ({@code -Dqlinear.conformance.seed=...}).
 *
 * @param pluginsFolder the plugins folder to test (the launcher's runner; a vendor's base test names its own kernels)
 * @param pluginId only this plugin's kernels
 * @param platform the platform to test for; empty for the detected one
 * @param maxMacs the largest {@code M * N * K} of a computed case; larger ones are dropped and counted
 * @param maxCases how many computed cases to run per kernel; the cases that cover every swept value once are always run, even beyond it
 * @param seed the seed of the sample and of every case's data
 * @param caseFilter run only this case, {@code kernel/case} or {@code case}, with the same data (no cap, no sampling)
 * @param quiet whether to keep the plan and summary off standard output (the CLI prints its own)
 */
public record ConformanceSettings(
        Optional<Path> pluginsFolder,
        Optional<String> pluginId,
        Optional<Platform> platform,
        long maxMacs,
        int maxCases,
        long seed,
        Optional<String> caseFilter,
        boolean quiet) {

    public static final String PREFIX = "qlinear.conformance.";
    public static final String PLUGINS = PREFIX + "plugins";
    public static final String PLUGIN = PREFIX + "plugin";
    public static final String PLATFORM = PREFIX + "platform";
    public static final String MAX_MACS = PREFIX + "maxMacs";
    public static final String MAX_CASES = PREFIX + "maxCases";
    public static final String SEED = PREFIX + "seed";
    public static final String CASE = PREFIX + "case";
    public static final String QUIET = PREFIX + "quiet";

    /**
     * 2^24 multiply-adds: the scalar reference and a scalar kernel take a few tens of milliseconds on such a case,
     * so a kernel's sample of about a hundred cases runs in seconds on two cores, while M=1024 still runs on the
     * small shapes and the large shapes still run at small M.
     */
    public static final long DEFAULT_MAX_MACS = 1L << 24;
    /** Computed cases per kernel: the covering ones (about 30 for a full W4A16 declaration), the rest sampled. */
    public static final int DEFAULT_MAX_CASES = 64;

    public ConformanceSettings {
        requireNonNull(pluginsFolder, "pluginsFolder is null");
        requireNonNull(pluginId, "pluginId is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(caseFilter, "caseFilter is null");
        if (maxMacs < 1) {
            throw new IllegalArgumentException(MAX_MACS + " must be at least 1, got " + maxMacs);
        }
        if (maxCases < 0) {
            throw new IllegalArgumentException(MAX_CASES + " must not be negative, got " + maxCases);
        }
    }

    /** Defaults with a fresh random seed. */
    public static ConformanceSettings defaults() {
        return new ConformanceSettings(Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_MAX_MACS, DEFAULT_MAX_CASES, randomSeed(),
                Optional.empty(), false);
    }

    /**
     * Reads the settings from configuration parameters by key; blank values count as absent.
     *
     * @throws IllegalArgumentException naming the key, the value and the rule
     */
    public static ConformanceSettings from(Function<String, Optional<String>> parameters) {
        requireNonNull(parameters, "parameters is null");
        Function<String, Optional<String>> value = key -> parameters.apply(key).map(String::trim).filter(text -> !text.isEmpty());
        Optional<Platform> platform = value.apply(PLATFORM).map(spec -> {
            try {
                return Platform.parse(spec);
            }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PLATFORM + ": " + e.getMessage(), e);
            }
        });
        long maxMacs = value.apply(MAX_MACS).map(text -> parseLong(MAX_MACS, text)).orElse(DEFAULT_MAX_MACS);
        long maxCases = value.apply(MAX_CASES).map(text -> parseLong(MAX_CASES, text)).orElse((long) DEFAULT_MAX_CASES);
        if (maxCases > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(MAX_CASES + " must be at most " + Integer.MAX_VALUE + ", got " + maxCases);
        }
        long seed = value.apply(SEED).map(text -> parseLong(SEED, text)).orElseGet(ConformanceSettings::randomSeed);
        boolean quiet = value.apply(QUIET).map(Boolean::parseBoolean).orElse(false);
        return new ConformanceSettings(value.apply(PLUGINS).map(Path::of), value.apply(PLUGIN), platform, maxMacs, (int) maxCases, seed,
                value.apply(CASE), quiet);
    }

    /** The settings as configuration parameters, for a launcher request. */
    public Map<String, String> toParameters() {
        Map<String, String> parameters = new LinkedHashMap<>();
        pluginsFolder.ifPresent(folder -> parameters.put(PLUGINS, folder.toString()));
        pluginId.ifPresent(id -> parameters.put(PLUGIN, id));
        platform.ifPresent(chosen -> parameters.put(PLATFORM, chosen.spec()));
        parameters.put(MAX_MACS, Long.toString(maxMacs));
        parameters.put(MAX_CASES, Integer.toString(maxCases));
        parameters.put(SEED, Long.toString(seed));
        caseFilter.ifPresent(filter -> parameters.put(CASE, filter));
        parameters.put(QUIET, Boolean.toString(quiet));
        return Map.copyOf(parameters);
    }

    public ConformanceSettings withPluginsFolder(Path folder) {
        return new ConformanceSettings(Optional.of(folder), pluginId, platform, maxMacs, maxCases, seed, caseFilter, quiet);
    }

    public ConformanceSettings withPluginId(String id) {
        return new ConformanceSettings(pluginsFolder, Optional.of(id), platform, maxMacs, maxCases, seed, caseFilter, quiet);
    }

    public ConformanceSettings withPlatform(Platform chosen) {
        return new ConformanceSettings(pluginsFolder, pluginId, Optional.of(chosen), maxMacs, maxCases, seed, caseFilter, quiet);
    }

    public ConformanceSettings withMaxMacs(long macs) {
        return new ConformanceSettings(pluginsFolder, pluginId, platform, macs, maxCases, seed, caseFilter, quiet);
    }

    public ConformanceSettings withMaxCases(int cases) {
        return new ConformanceSettings(pluginsFolder, pluginId, platform, maxMacs, cases, seed, caseFilter, quiet);
    }

    public ConformanceSettings withSeed(long chosen) {
        return new ConformanceSettings(pluginsFolder, pluginId, platform, maxMacs, maxCases, chosen, caseFilter, quiet);
    }

    public ConformanceSettings withCase(String filter) {
        return new ConformanceSettings(pluginsFolder, pluginId, platform, maxMacs, maxCases, seed, Optional.of(filter), quiet);
    }

    public ConformanceSettings quietly() {
        return new ConformanceSettings(pluginsFolder, pluginId, platform, maxMacs, maxCases, seed, caseFilter, true);
    }

    /** Whether the case filter selects this case of this kernel. */
    public boolean selects(String kernelId, String caseId) {
        return caseFilter.map(filter -> filter.equals(kernelId + "/" + caseId) || filter.equals(caseId)).orElse(true);
    }

    /** The system properties that rerun one case with the same data. */
    public String reproduction(String kernelId, String caseId) {
        return "-D" + SEED + "=" + seed + " -D" + CASE + "=" + kernelId + "/" + caseId
                + platform.map(chosen -> " -D" + PLATFORM + "=" + chosen.spec()).orElse("");
    }

    private static long parseLong(String key, String text) {
        try {
            return Long.parseLong(text);
        }
        catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got '" + text + "'", e);
        }
    }

    private static long randomSeed() {
        return ThreadLocalRandom.current().nextLong(1, 1L << 40);
    }
}
