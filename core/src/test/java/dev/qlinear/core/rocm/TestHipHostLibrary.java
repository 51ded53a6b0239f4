package dev.qlinear.core.rocm;

import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.rocm.hip.HipException;
import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.core.testing.NativeBuild;
import dev.qlinear.core.testing.RocmPackages;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.HostFunction;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelArguments.Kind;
import dev.qlinear.spi.platform.Platform;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Host entry points called for real: a C library compiled with gcc reads the struct it is given and says what it read. */
final class TestHipHostLibrary {

    private static final long STREAM_HANDLE = 0x5EED_0000_1234L;

    @TempDir
    static Path work;
    private static Path library;

    private final ExecutionStream stream = new CpuDevice(Platform.parse("cpu")).defaultStream();

    @BeforeAll
    static void compile() throws IOException, InterruptedException {
        library = work.resolve("libqlinear_probe.so");
        NativeBuild.succeed(work, List.of(RocmPackages.compiler("gcc"), "-shared", "-fPIC", "-O1", "-o", library.toString(),
                Path.of("src/test/c/host_call_probe.c").toAbsolutePath().toString()));
    }

    @Test
    void theEntryPointReadsEveryArgumentAtItsStructOffsetAndGetsTheStream() {
        KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.INT32, Kind.INT32, Kind.INT64, Kind.FLOAT32, Kind.POINTER, Kind.INT32);
        try (Arena arena = Arena.ofConfined(); HipHostLibrary loaded = HipHostLibrary.load(library, this::streamHandle)) {
            MemorySegment out = arena.allocate(JAVA_LONG, 14);
            HostFunction record = loaded.function("qlinear_probe_record");

            record.call(arguments.setPointer(0, out.address()).setInt(1, -7).setInt(2, 99).setLong(3, 1L << 40).setFloat(4, 1.5f)
                    .setPointer(5, 0xDEAD_BEEF_F00DL).setInt(6, 42), stream);

            long[] read = out.toArray(JAVA_LONG);
            assertThat(read[0]).isEqualTo(-7);
            assertThat(read[1]).isEqualTo(1L << 40);
            assertThat(Float.intBitsToFloat((int) read[2])).isEqualTo(1.5f);
            assertThat(read[3]).isEqualTo(0xDEAD_BEEF_F00DL);
            assertThat(read[4]).isEqualTo(42);
            assertThat(read[5]).isEqualTo(STREAM_HANDLE);
            assertThat(read[12]).isEqualTo(99);
            assertThat(new long[] {read[6], read[13], read[7], read[8], read[9], read[10]}).as("offsetof in C")
                    .containsExactly(arguments.structOffset(1), arguments.structOffset(2), arguments.structOffset(3), arguments.structOffset(4),
                            arguments.structOffset(5), arguments.structOffset(6));
            assertThat(read[11]).as("sizeof in C").isEqualTo(arguments.structBytes());

            // the same arguments and block again, refilled
            record.call(arguments.setInt(1, Integer.MIN_VALUE).setFloat(4, -0.0f).setInt(6, -1), stream);

            assertThat(out.getAtIndex(JAVA_LONG, 0)).isEqualTo(Integer.MIN_VALUE);
            assertThat(out.getAtIndex(JAVA_LONG, 2)).isEqualTo(Float.floatToRawIntBits(-0.0f) & 0xFFFF_FFFFL);
            assertThat(out.getAtIndex(JAVA_LONG, 4)).isEqualTo(-1);
            assertThat(loaded.function("qlinear_probe_record")).isSameAs(record);
        }
    }

    @Test
    void aNonZeroReturnIsAHipExceptionNamingTheSymbolAndTheError() {
        RocmPackages.requireLoadedHipRuntime();
        try (HipHostLibrary loaded = HipHostLibrary.load(library, this::streamHandle)) {
            HostFunction fail = loaded.function("qlinear_probe_fail");

            assertThatThrownBy(() -> fail.call(KernelArguments.of(Kind.INT32).setInt(0, HipRuntimeApi.hipErrorInvalidValue), stream))
                    .isInstanceOfSatisfying(HipException.class, exception -> {
                        assertThat(exception.code()).isEqualTo(HipRuntimeApi.hipErrorInvalidValue);
                        assertThat(exception.errorName()).isEqualTo("hipErrorInvalidValue");
                    })
                    .hasMessageStartingWith("qlinear_probe_fail of " + library + " on ")
                    .hasMessageEndingWith(": hipErrorInvalidValue (1)");
            assertThatThrownBy(() -> fail.call(KernelArguments.of(Kind.INT32).setInt(0, 98_765), stream))
                    .isInstanceOf(HipException.class).hasMessageContaining("qlinear_probe_fail").hasMessageContaining("(98765)");
            fail.call(KernelArguments.of(Kind.INT32).setInt(0, HipRuntimeApi.hipSuccess), stream);
        }
    }

    @Test
    void aTensorMapArgumentIsRefusedBeforeTheCall() {
        try (HipHostLibrary loaded = HipHostLibrary.load(library, this::streamHandle)) {
            HostFunction fail = loaded.function("qlinear_probe_fail");

            assertThatThrownBy(() -> fail.call(KernelArguments.of(Kind.INT32, Kind.TENSOR_MAP), stream))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("argument 1 of qlinear_probe_fail of " + library + " is a TENSOR_MAP: a tensor map is a CUDA TMA descriptor that kernel launches"
                            + " encode, and host calls take pointers, int32, int64 and float32 arguments only");
        }
    }

    @Test
    void aMissingEntryPointOrLibraryIsNamed() throws IOException {
        try (HipHostLibrary loaded = HipHostLibrary.load(library, this::streamHandle)) {
            assertThat(loaded.name()).isEqualTo(library.toString());
            assertThatThrownBy(() -> loaded.function("qlinear_probe_absent")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the host library " + library + " has no entry point 'qlinear_probe_absent'");
        }
        Path notElf = Files.writeString(work.resolve("libnot_elf.so"), "not an ELF file, but long enough for its header to be read. ".repeat(8));
        assertThatThrownBy(() -> HipHostLibrary.load(notElf, this::streamHandle)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the library " + notElf + " does not load: ").hasMessageContaining("invalid ELF header");
    }

    @Test
    void aClosedLibraryRefusesCallsAndAForeignStreamIsRefused() {
        HipHostLibrary loaded = HipHostLibrary.load(library, this::streamHandle);
        HostFunction fail = loaded.function("qlinear_probe_fail");
        ExecutionStream other = () -> { };

        assertThatThrownBy(() -> fail.call(KernelArguments.of(Kind.INT32), other)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("expected the test's stream");
        loaded.close();
        loaded.close();

        assertThatThrownBy(() -> fail.call(KernelArguments.of(Kind.INT32), stream)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the host library " + library + " was closed");
        assertThatThrownBy(() -> loaded.function("qlinear_probe_record")).isInstanceOf(IllegalStateException.class);
    }

    /** The native handle of the test's stream; HipHostLibrary passes it on as the entry point's {@code stream}. */
    private long streamHandle(ExecutionStream candidate) {
        if (candidate != stream) {
            throw new IllegalArgumentException("expected the test's stream, got " + candidate);
        }
        return STREAM_HANDLE;
    }
}
