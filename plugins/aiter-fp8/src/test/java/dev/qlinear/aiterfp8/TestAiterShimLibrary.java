package dev.qlinear.aiterfp8;

import dev.qlinear.core.rocm.HipHostLibrary;
import dev.qlinear.core.rocm.hip.HipException;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.HostFunction;
import dev.qlinear.spi.device.KernelArguments;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shim's own part (entry points, argument checks, our quantize and bias kernels; no CK instances) compiled by
 * Debian's hipcc for gfx90a and called through the host's calling convention with the plugin's own arguments. There is
 * no AMD GPU here, so a call that gets past the argument checks fails at the device: which error comes back shows that
 * the compiled C++ read each argument where the plugin wrote it.
 */
final class TestAiterShimLibrary {

    private static final String REQUIRE_ENV = "QLINEAR_REQUIRE_ROCM_PACKAGES";
    private static final Path SOURCES = Path.of("src/main/hip");
    private static final int HIP_ERROR_INVALID_VALUE = 1;
    private static final int HIP_ERROR_INVALID_DEVICE = 101;
    /** HIP's null stream: the shim only passes it on. */
    private static final ExecutionStream NULL_STREAM = () -> {
    };

    @TempDir
    static Path work;
    private static HipHostLibrary shim;

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        Path hipcc = Stream.of(System.getenv().getOrDefault("PATH", "").split(":")).filter(folder -> !folder.isBlank())
                .map(folder -> Path.of(folder, "hipcc")).filter(Files::isExecutable).findFirst().orElse(null);
        if (hipcc == null) {
            String message = "no hipcc on the PATH (Debian packages hipcc and rocm-device-libs)";
            if ("1".equals(System.getenv(REQUIRE_ENV))) {
                fail(message + ", which " + REQUIRE_ENV + "=1 requires");
            }
            assumeTrue(false, message);
        }
        // the instance table build-shim.sh generates, for two kernelIds without their CK objects
        Files.writeString(work.resolve("qlinear_aiter_fp8_kernels.h"), "#pragma once\n#define QLINEAR_FOR_EACH_KERNEL(X) X(3) X(7)\n");
        Path library = work.resolve("libqlinear_aiter_fp8.so");
        ProcessBuilder build = new ProcessBuilder(hipcc.toString(), "-O2", "-std=c++20", "-fPIC", "-shared", "--offload-arch=gfx90a", "-Wall", "-Wextra",
                "-Werror", "-I" + SOURCES.toAbsolutePath(), "-I" + work, SOURCES.resolve("qlinear_aiter_fp8.cpp").toAbsolutePath().toString(), "-o",
                library.toString()).redirectErrorStream(true);
        build.environment().put("HIP_PLATFORM", "amd");
        Process process = build.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        shim = HipHostLibrary.load(library, stream -> 0L);
    }

    @AfterAll
    static void close() {
        if (shim != null) {
            shim.close();
        }
    }

    @Test
    void exportsTheEntryPointsThePluginCalls() {
        for (AiterShimAbi.Struct struct : AiterShimAbi.ALL) {
            assertThat(shim.function(struct.function()).name()).isEqualTo(struct.function());
        }
    }

    @Test
    void theGemmRefusesAKernelIdItWasNotBuiltWithAndGetsToTheDeviceWithOne() {
        HostFunction gemm = shim.function(AiterShimAbi.GEMM.function());
        KernelArguments arguments = gemm(3, 0, 0, 16, 128);

        gemm.call(arguments, NULL_STREAM); // no rows: nothing to do

        assertThatThrownBy(() -> gemm.call(gemm(999, 0, 64, 16, 128), NULL_STREAM)).isInstanceOfSatisfying(HipException.class,
                e -> assertThat(e.code()).isEqualTo(HIP_ERROR_INVALID_VALUE));
        assertThatThrownBy(() -> gemm.call(gemm(7, 31, 64, 16, 128), NULL_STREAM)).as("a split beyond the shim's largest")
                .isInstanceOfSatisfying(HipException.class, e -> assertThat(e.code()).isEqualTo(HIP_ERROR_INVALID_VALUE));
        // every argument valid: the shim asks for the device's architecture, and there is no device
        assertThatThrownBy(() -> gemm.call(gemm(7, 2, 64, 16, 128), NULL_STREAM)).isInstanceOfSatisfying(HipException.class,
                e -> assertThat(e.code()).isEqualTo(HIP_ERROR_INVALID_DEVICE));
    }

    @Test
    void theQuantizeChecksItsArgumentsBeforeLaunching() {
        HostFunction quantize = shim.function(AiterShimAbi.QUANTIZE.function());

        quantize.call(quantize(0, 64, 64, 1), NULL_STREAM);

        assertThatThrownBy(() -> quantize.call(quantize(4, 64, 64, 2), NULL_STREAM)).as("fnuz is 0 or 1")
                .isInstanceOfSatisfying(HipException.class, e -> assertThat(e.code()).isEqualTo(HIP_ERROR_INVALID_VALUE));
        assertThatThrownBy(() -> quantize.call(quantize(4, 64, 32, 1), NULL_STREAM)).as("rows closer than K")
                .isInstanceOfSatisfying(HipException.class, e -> assertThat(e.code()).isEqualTo(HIP_ERROR_INVALID_VALUE));
        assertThatThrownBy(() -> quantize.call(quantize(4, 64, 64, 1), NULL_STREAM)).as("a valid launch, with no device")
                .isInstanceOfSatisfying(HipException.class, e -> assertThat(e.code()).isNotEqualTo(HIP_ERROR_INVALID_VALUE));
    }

    @Test
    void theBiasAddChecksItsArguments() {
        HostFunction addBias = shim.function(AiterShimAbi.ADD_BIAS.function());
        KernelArguments arguments = AiterShimAbi.ADD_BIAS.newArguments();
        for (String field : List.of("y", "bias")) {
            arguments.setPointer(AiterShimAbi.ADD_BIAS.index(field), 0x7000_0000L);
        }
        arguments.setInt(AiterShimAbi.ADD_BIAS.index("m"), 0).setInt(AiterShimAbi.ADD_BIAS.index("n"), 64);

        addBias.call(arguments, NULL_STREAM);

        arguments.setInt(AiterShimAbi.ADD_BIAS.index("m"), -1);
        assertThatThrownBy(() -> addBias.call(arguments, NULL_STREAM)).isInstanceOfSatisfying(HipException.class,
                e -> assertThat(e.code()).isEqualTo(HIP_ERROR_INVALID_VALUE));
    }

    private static KernelArguments gemm(int kernelId, int splitK, int m, int n, int k) {
        KernelArguments arguments = AiterShimAbi.GEMM.newArguments();
        long address = 0x7000_0000L;
        for (String pointer : List.of("xq", "wq", "x_scale", "w_scale", "y")) {
            arguments.setPointer(AiterShimAbi.GEMM.index(pointer), address);
            address += 0x100_0000L;
        }
        return arguments.setInt(AiterShimAbi.GEMM.index("m"), m).setInt(AiterShimAbi.GEMM.index("n"), n).setInt(AiterShimAbi.GEMM.index("k"), k)
                .setInt(AiterShimAbi.GEMM.index("kernel_id"), kernelId).setInt(AiterShimAbi.GEMM.index("split_k"), splitK);
    }

    private static KernelArguments quantize(int m, int k, long rowStride, int fnuz) {
        KernelArguments arguments = AiterShimAbi.QUANTIZE.newArguments();
        arguments.setPointer(AiterShimAbi.QUANTIZE.index("x"), 0x7000_0000L).setPointer(AiterShimAbi.QUANTIZE.index("xq"), 0x7100_0000L)
                .setPointer(AiterShimAbi.QUANTIZE.index("x_scale"), 0x7200_0000L);
        return arguments.setInt(AiterShimAbi.QUANTIZE.index("m"), m).setInt(AiterShimAbi.QUANTIZE.index("k"), k)
                .setLong(AiterShimAbi.QUANTIZE.index("x_row_stride"), rowStride).setInt(AiterShimAbi.QUANTIZE.index("fnuz"), fnuz);
    }
}
