package dev.qlinear.core.platform;

import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

final class TestCpuProbe {

    @Test
    void readsModelFeaturesMemoryAndCacheFromProcAndSys(@TempDir Path root) throws Exception {
        Path proc = Files.createDirectories(root.resolve("proc"));
        Path sys = root.resolve("sys");
        Files.writeString(proc.resolve("cpuinfo"), """
                processor\t: 0
                model name\t: Example CPU 9000
                flags\t\t: fpu sse2 avx avx2 fma f16c avx512f avx512_bf16 amx_tile
                """);
        Files.writeString(proc.resolve("meminfo"), "MemTotal:       32768 kB\nMemFree: 1 kB\n");
        Path l3 = Files.createDirectories(sys.resolve("devices/system/cpu/cpu0/cache/index3"));
        Files.writeString(l3.resolve("size"), "32768K\n");

        Platform platform = new CpuProbe(proc, sys).probe().orElseThrow();

        DeviceProperties device = platform.device().orElseThrow();
        assertThat(device.name()).isEqualTo("Example CPU 9000");
        assertThat(device.features()).containsExactlyInAnyOrder("avx", "avx2", "fma", "f16c", "avx512f", "avx512_bf16", "amx_tile");
        assertThat(device.memoryBytes()).isEqualTo(32768L * 1024);
        assertThat(device.cacheBytes()).isEqualTo(32L * 1024 * 1024);
    }

    @Test
    void fallsBackToWhatTheJvmKnowsWithoutProc(@TempDir Path empty) {
        Platform platform = new CpuProbe(empty.resolve("proc"), empty.resolve("sys")).probe().orElseThrow();

        assertThat(platform.device().orElseThrow().memoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory());
        assertThat(platform.device().orElseThrow().cacheBytes()).isZero();
    }

    @Test
    void parsesCacheAndMemorySizes() {
        assertThat(CpuProbe.parseSize("64 kB")).isEqualTo(65536);
        assertThat(CpuProbe.parseSize("2M")).isEqualTo(2L << 20);
        assertThat(CpuProbe.parseSize("junk")).isZero();
    }
}
