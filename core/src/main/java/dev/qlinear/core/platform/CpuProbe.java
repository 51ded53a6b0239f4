package dev.qlinear.core.platform;

import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Describes the host CPU: ISA, cores, memory, last-level cache and the vector features kernels care about. Reads
 * {@code /proc} and {@code /sys} where present and falls back to what the JVM knows.
 */
public final class CpuProbe implements PlatformProbe {

    /** Flags from {@code /proc/cpuinfo} that CPU kernels select on. */
    private static final Set<String> RELEVANT_FEATURES = Set.of(
            "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_fp16", "avx512_vnni", "amx_tile", "amx_bf16",
            "asimd", "asimdhp", "sve", "sve2", "bf16", "i8mm");

    private final Path procRoot;
    private final Path sysRoot;

    public CpuProbe() {
        this(Path.of("/proc"), Path.of("/sys"));
    }

    CpuProbe(Path procRoot, Path sysRoot) {
        this.procRoot = procRoot;
        this.sysRoot = sysRoot;
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Optional<Platform> probe() {
        List<String> cpuInfo = readLines(procRoot.resolve("cpuinfo"));
        String model = field(cpuInfo, "model name").orElse(System.getProperty("os.arch"));
        Set<String> features = field(cpuInfo, "flags").or(() -> field(cpuInfo, "Features"))
                .map(flags -> Arrays.stream(flags.split("\\s+")).filter(RELEVANT_FEATURES::contains).collect(Collectors.toUnmodifiableSet()))
                .orElse(Set.of());
        DeviceProperties properties = new DeviceProperties(model, Runtime.getRuntime().availableProcessors(), totalMemory(), lastLevelCache(), features);
        return Optional.of(new Platform(new Architecture.Cpu(Platform.hostIsa()), Optional.of(properties)));
    }

    private long totalMemory() {
        return field(readLines(procRoot.resolve("meminfo")), "MemTotal")
                .map(CpuProbe::parseSize)
                .orElse(Runtime.getRuntime().maxMemory());
    }

    private long lastLevelCache() {
        for (int index = 3; index >= 2; index--) {
            List<String> size = readLines(sysRoot.resolve("devices/system/cpu/cpu0/cache/index" + index + "/size"));
            if (!size.isEmpty()) {
                return parseSize(size.getFirst());
            }
        }
        return 0;
    }

    /** Parses {@code 32768K}, {@code 64 kB}, {@code 1024 kB}, {@code 32M}; unknown text gives 0. */
    static long parseSize(String text) {
        String value = text.trim().toUpperCase(java.util.Locale.ROOT).replace("B", "").replace(" ", "");
        long multiplier = 1;
        if (value.endsWith("K")) {
            multiplier = 1L << 10;
        }
        else if (value.endsWith("M")) {
            multiplier = 1L << 20;
        }
        else if (value.endsWith("G")) {
            multiplier = 1L << 30;
        }
        String digits = value.replaceAll("[KMG]$", "");
        try {
            return Long.parseLong(digits) * multiplier;
        }
        catch (NumberFormatException e) {
            return 0;
        }
    }

    private static Optional<String> field(List<String> lines, String name) {
        return lines.stream()
                .filter(line -> line.startsWith(name) && line.indexOf(':') > 0 && line.substring(0, line.indexOf(':')).trim().equals(name))
                .map(line -> line.substring(line.indexOf(':') + 1).trim())
                .findFirst();
    }

    private static List<String> readLines(Path path) {
        try {
            return Files.isReadable(path) ? Files.readAllLines(path) : List.of();
        }
        catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
