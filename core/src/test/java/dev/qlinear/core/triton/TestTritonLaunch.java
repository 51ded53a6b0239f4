package dev.qlinear.core.triton;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.qlinear.spi.device.KernelArguments.Kind.INT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a Triton launch takes and refuses, from the manifest alone ({@code TestTritonKernelsOnGpu} launches real kernels). */
final class TestTritonLaunch {

    private final TritonLaunch kernel = new TritonLaunch(reduceManifest(""));

    @Test
    void argumentsHaveTheOwnParametersThenTheTwoScratchPointersAtZero() {
        KernelArguments arguments = kernel.newArguments();

        assertThat(arguments.signature()).containsExactly(POINTER, POINTER, POINTER, INT32, INT32, INT32, INT32, INT32, POINTER, POINTER);
        assertThat(arguments.signature()).isSameAs(kernel.signature());
        assertThat(arguments.rawValue(8)).isZero();
        assertThat(arguments.rawValue(9)).isZero();
        assertThat(kernel.info().parameterKinds()).hasSize(8);
    }

    @Test
    void launchesWithTheCompiledBlockAndSharedMemoryAndNullScratch() {
        KernelArguments arguments = kernel.newArguments().setPointer(0, 0x1000).setPointer(1, 0x2000).setPointer(2, 0x3000).setInt(3, 3).setInt(4, 37)
                .setInt(5, 42).setInt(6, 3).setInt(7, 1);
        // a caller that wrote the scratch pointers anyway
        arguments.setPointer(8, 0xdead).setPointer(9, 0xbeef);

        LaunchConfig first = kernel.configure(7, 2, 1, arguments);
        LaunchConfig again = kernel.configure(7, 2, 1, arguments);
        LaunchConfig other = kernel.configure(9, 1, 1, arguments);

        assertThat(List.of(first, again, other)).containsExactly(new LaunchConfig(7, 2, 1, 128, 1, 1, 0), new LaunchConfig(7, 2, 1, 128, 1, 1, 0),
                new LaunchConfig(9, 1, 1, 128, 1, 1, 0));
        assertThat(again).as("the configuration of an unchanged grid is reused").isSameAs(first);
        assertThat(arguments.rawValue(8)).isZero();
        assertThat(arguments.rawValue(9)).isZero();
        assertThat(arguments.rawValue(4)).isEqualTo(37);
    }

    @Test
    void refusesArgumentsOfAnotherSignatureNamingBoth() {
        KernelArguments ownOnly = new KernelArguments(kernel.info().parameterKinds());
        KernelArguments sameKinds = new KernelArguments(new ArrayList<>(kernel.signature()));

        assertThatThrownBy(() -> kernel.configure(1, 1, 1, ownOnly))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the arguments [POINTER, POINTER, POINTER, INT32, INT32, INT32, INT32, INT32] do not fit Triton kernel w4a16_reduce_f16 (sm_90a, "
                        + "entry point w4a16_reduce), whose signature is [POINTER, POINTER, POINTER, INT32, INT32, INT32, INT32, INT32, POINTER, POINTER] (its 8 "
                        + "own parameters [partials_ptr, bias_ptr, out_ptr, M, N, stride_om, splits, has_bias], then the two scratch pointers Triton appends); "
                        + "make them with newArguments()");

        assertThat(kernel.configure(1, 1, 1, sameKinds)).isEqualTo(new LaunchConfig(1, 1, 1, 128, 1, 1, 0));
        assertThatThrownBy(() -> kernel.configure(0, 1, 1, kernel.newArguments())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gridX must be at least 1, got 0");
    }

    @Test
    void refusesArgumentsThatBreakWhatTheImageAssumes() {
        TritonLaunch assuming = new TritonLaunch(reduceManifest(",\n  \"divisibility\": {\"out_ptr\": 16, \"N\": 8, \"stride_om\": 8}"));
        KernelArguments arguments = assuming.newArguments().setPointer(0, 0x1000).setPointer(1, 0).setPointer(2, 0x2010).setInt(3, 3).setInt(4, 64)
                .setInt(5, 72).setInt(6, 2).setInt(7, 0);

        assertThat(assuming.configure(1, 1, 1, arguments)).isEqualTo(new LaunchConfig(1, 1, 1, 128, 1, 1, 0));
        assertThatThrownBy(() -> assuming.configure(1, 1, 1, arguments.setInt(4, 37)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 4 ('N') of Triton kernel w4a16_reduce_f16 (sm_90a, entry point w4a16_reduce) is 37, which is not a multiple of 8: the "
                        + "image was compiled assuming it (divisibility in its manifest); pass such values, or choose a variant compiled without it");
        assertThatThrownBy(() -> assuming.configure(1, 1, 1, arguments.setInt(4, 64).setInt(5, -4)))
                .hasMessageStartingWith("argument 5 ('stride_om') of Triton kernel w4a16_reduce_f16 (sm_90a, entry point w4a16_reduce) is -4, which is not a "
                        + "multiple of 8");
        assertThatThrownBy(() -> assuming.configure(1, 1, 1, arguments.setInt(5, 72).setPointer(2, 0x2008)))
                .hasMessageStartingWith("argument 2 ('out_ptr') of Triton kernel w4a16_reduce_f16 (sm_90a, entry point w4a16_reduce) is the address 0x2008, "
                        + "which is not 16-byte aligned");
    }

    @Test
    void aCpuLoadsNoTritonKernels() {
        CpuDevice cpu = new CpuDevice(Platform.parse("cpu"));
        TritonImages images = TritonImages.load(getClass().getClassLoader(), TritonFixtures.W4A16_IMAGES);

        assertThatThrownBy(() -> cpu.loadTriton(images, TritonFixtures.REDUCE_F16)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> TritonLoader.load(cpu, images, TritonFixtures.REDUCE_F16)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("runs no Triton kernels (asked for w4a16_reduce_f16)");
    }

    /** The real sm_90a manifest of the W4A16 reduce kernel, with {@code extraFields} added at its end. */
    private static TritonManifest reduceManifest(String extraFields) {
        String json = new String(TritonFixtures.bytes(TritonFixtures.W4A16_IMAGES + "/w4a16_reduce_f16.sm_90a.json"), StandardCharsets.UTF_8).strip();
        return TritonManifest.parse("w4a16_reduce_f16.sm_90a.json", (json.substring(0, json.length() - 1) + extraFields + "}").getBytes(StandardCharsets.UTF_8));
    }
}
