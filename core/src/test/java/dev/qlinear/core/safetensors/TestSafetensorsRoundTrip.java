package dev.qlinear.core.safetensors;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestSafetensorsRoundTrip {

    @TempDir
    Path directory;

    @Test
    void roundTripsEveryDtypeWithRandomData() throws IOException {
        long seed = ThreadLocalRandom.current().nextLong();
        Random random = new Random(seed);
        List<WritableTensor> tensors = new ArrayList<>();
        Map<String, byte[]> written = new LinkedHashMap<>();
        for (SafetensorsDtype dtype : SafetensorsDtype.values()) {
            long[] shape = new long[random.nextInt(4)];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = 1 + random.nextInt(7);
            }
            byte[] bytes = new byte[(int) (Arrays.stream(shape).reduce(1, Math::multiplyExact) * dtype.elementBytes())];
            random.nextBytes(bytes);
            String name = "model.layers." + dtype.ordinal() + "." + dtype.name().toLowerCase() + ".weight";
            tensors.add(WritableTensor.of(name, dtype, MemorySegment.ofArray(bytes), shape));
            written.put(name, bytes);
        }
        Map<String, String> metadata = Map.of("format", "pt", "note", "grüße, 重み");
        Path file = directory.resolve("all.safetensors");

        SafetensorsHeader header = SafetensorsWriter.write(file, tensors, metadata);

        assertThat(SafetensorsFile.readHeader(file)).as("seed %d", seed).isEqualTo(header);
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertThat(opened.header()).as("seed %d", seed).isEqualTo(header);
            assertThat(opened.metadata()).isEqualTo(metadata);
            assertThat(opened.tensors().sequencedKeySet()).as("seed %d", seed).containsExactlyElementsOf(written.keySet());
            for (WritableTensor tensor : tensors) {
                TensorEntry entry = opened.entry(tensor.name());
                byte[] expected = written.get(tensor.name());
                assertThat(entry.dtype()).isEqualTo(tensor.dtype());
                assertThat(entry.shape()).as("seed %d", seed).isEqualTo(tensor.shape());
                assertThat(entry.byteSize()).isEqualTo(expected.length);
                assertThat(opened.bytes(tensor.name()).toArray(ValueLayout.JAVA_BYTE)).as("seed %d, %s", seed, tensor.name()).isEqualTo(expected);
                if (tensor.dtype().scalarType().isPresent()) {
                    HostTensor host = opened.tensor(tensor.name());
                    assertThat(host.dtype()).isEqualTo(tensor.dtype().scalarType().get());
                    assertThat(host.shape()).isEqualTo(entry.dimensions());
                    assertThat(host.contentEquals(HostTensor.wrap(MemorySegment.ofArray(expected), host.dtype(), entry.dimensions())))
                            .as("seed %d, %s", seed, tensor.name()).isTrue();
                }
                else {
                    assertThatThrownBy(() -> opened.tensor(tensor.name()))
                            .isInstanceOf(IllegalArgumentException.class)
                            .hasMessage(file + ": tensor '" + tensor.name() + "' is " + tensor.dtype()
                                    + ", which has no qlinear scalar type; read it with bytes(name) or longs(name)");
                }
                if (tensor.dtype().fitsInLong()) {
                    assertThat(opened.longs(tensor.name())).as("seed %d, %s", seed, tensor.name()).isEqualTo(longs(expected, tensor.dtype()));
                }
            }
        }
    }

    @Test
    void readsAFileLaidOutByteByByteLikeTheReference() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(16 + 16).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(1).putInt(-2).putInt(3).putInt(Integer.MAX_VALUE).putLong(Long.MIN_VALUE).putLong(42);
        Path file = RawFiles.safetensors(directory.resolve("reference.safetensors"),
                "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                        + "\"positions\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]},\"__metadata__\":{\"foo\":\"bar\"}}",
                data.array());

        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertThat(opened.metadata()).containsExactly(Map.entry("foo", "bar"));
            assertThat(opened.entry("test")).isEqualTo(new TensorEntry("test", SafetensorsDtype.I32, List.of(2L, 2L), opened.header().dataOffset(), 16));
            assertThat(opened.longs("test")).containsExactly(1, -2, 3, Integer.MAX_VALUE);
            assertThat(opened.tensor("test").contentEquals(HostTensor.ofInts(new int[] {1, -2, 3, Integer.MAX_VALUE}, 2, 2))).isTrue();
            assertThat(opened.longs("positions")).containsExactly(Long.MIN_VALUE, 42);
            assertThat(opened.tensor("positions").dtype()).isEqualTo(ScalarType.INT64);
        }
    }

    @Test
    void padsTheHeaderWithSpacesSoTheDataIsAligned() throws IOException {
        Path file = directory.resolve("padded.safetensors");
        SafetensorsHeader header = SafetensorsWriter.write(file, List.of(WritableTensor.of("a", SafetensorsDtype.U8, MemorySegment.ofArray(new byte[] {7}), 1)), Map.of());

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String json = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);

        assertThat(header.dataOffset()).isEqualTo(8 + headerLength).isEqualTo(bytes.length - 1);
        assertThat(headerLength % 8).isZero();
        assertThat(json).startsWith("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}").endsWith(" ");
        assertThat(json.strip()).doesNotContain("__metadata__");
        assertThat(bytes[bytes.length - 1]).isEqualTo((byte) 7);
    }

    @Test
    void writesHeapArraysOfAnyTypeNativeMemoryScalarsAndEmptyTensors() throws IOException {
        long seed = ThreadLocalRandom.current().nextLong();
        Random random = new Random(seed);
        float[] large = new float[(3 << 20) / 4 + 5];
        for (int i = 0; i < large.length; i++) {
            large[i] = random.nextFloat();
        }
        HostTensor ints = HostTensor.ofInts(random.ints(12).toArray(), 3, 4);
        Path file = directory.resolve("mixed.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeBytes = arena.allocate(4096);
            for (long i = 0; i < nativeBytes.byteSize(); i++) {
                nativeBytes.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
            }
            SafetensorsWriter.write(file, List.of(
                    WritableTensor.of("large", SafetensorsDtype.F32, MemorySegment.ofArray(large), large.length),
                    WritableTensor.of("ints", ints),
                    WritableTensor.of("native", SafetensorsDtype.BF16, nativeBytes, 32, 64),
                    WritableTensor.of("scalar", SafetensorsDtype.F64, MemorySegment.ofArray(new double[] {Math.PI})),
                    WritableTensor.of("empty", SafetensorsDtype.F16, MemorySegment.NULL, 0, 16)), Map.of());

            try (SafetensorsFile opened = SafetensorsFile.open(file)) {
                assertThat(opened.bytes("large").toArray(ValueLayout.JAVA_FLOAT)).as("seed %d", seed).isEqualTo(large);
                assertThat(opened.tensor("ints").contentEquals(ints)).as("seed %d", seed).isTrue();
                assertThat(opened.bytes("native").mismatch(nativeBytes)).as("seed %d", seed).isEqualTo(-1);
                assertThat(opened.entry("scalar").shape()).isEmpty();
                assertThat(opened.bytes("scalar").get(ValueLayout.JAVA_DOUBLE_UNALIGNED, 0)).isEqualTo(Math.PI);
                assertThat(opened.tensor("empty").shape()).containsExactly(0, 16);
                assertThat(opened.bytes("empty").byteSize()).isZero();
            }
        }
    }

    @Test
    void leavesHolesThatReadAsZerosAndSetTheFileLength() throws IOException {
        Path file = directory.resolve("sparse.safetensors");
        SafetensorsHeader header = SafetensorsWriter.write(file, List.of(
                WritableTensor.hole("first", SafetensorsDtype.BF16, 1024, 1024),
                WritableTensor.of("middle", SafetensorsDtype.U8, MemorySegment.ofArray(new byte[] {1, 2, 3}), 3),
                WritableTensor.hole("last", SafetensorsDtype.F32, 4096, 256)), Map.of("format", "pt"));

        assertThat(Files.size(file)).isEqualTo(header.fileSize()).isEqualTo(header.dataOffset() + 2 * 1024 * 1024 + 3 + 4 * 4096 * 256);
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertThat(opened.bytes("middle").toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3);
            assertThat(opened.bytes("first").mismatch(MemorySegment.ofArray(new byte[2 * 1024 * 1024]))).isEqualTo(-1);
            assertThat(opened.bytes("last").get(ValueLayout.JAVA_BYTE, 4L * 4096 * 256 - 1)).isZero();
        }
    }

    @Test
    void viewsFailOnceTheFileIsClosed() throws IOException {
        Path file = SafetensorsWriter.write(directory.resolve("closing.safetensors"),
                List.of(WritableTensor.of("x", SafetensorsDtype.I32, MemorySegment.ofArray(new int[] {5}), 1)), Map.of()).file();
        SafetensorsFile opened = SafetensorsFile.open(file);
        MemorySegment view = opened.bytes("x");
        assertThat(view.isReadOnly()).isTrue();

        opened.close();
        opened.close();

        assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> opened.bytes("x")).isInstanceOf(IllegalStateException.class).hasMessage(file + " is closed");
        assertThat(opened.entry("x").byteSize()).isEqualTo(4);
    }

    @Test
    void refusesTensorsItCannotWriteOrFind() throws IOException {
        MemorySegment four = MemorySegment.ofArray(new byte[4]);
        Path file = directory.resolve("refused.safetensors");

        assertThatThrownBy(() -> SafetensorsWriter.write(file, List.of(WritableTensor.of("a", SafetensorsDtype.U8, four, 4),
                WritableTensor.of("a", SafetensorsDtype.I8, four, 4)), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tensor 'a' is given twice");
        assertThatThrownBy(() -> WritableTensor.of("b", SafetensorsDtype.F16, four, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tensor 'b' is F16 [3], 6 bytes, but its data has 4");
        assertThatThrownBy(() -> WritableTensor.of("__metadata__", SafetensorsDtype.U8, four, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
        assertThatThrownBy(() -> WritableTensor.of("c", HostTensor.wrap(four, ScalarType.FLOAT8_E4M3FNUZ, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("tensor 'c' is float8_e4m3fnuz, which safetensors has no dtype for");
        assertThat(Files.exists(file)).isFalse();
        try (Stream<Path> left = Files.list(directory)) {
            assertThat(left).isEmpty();
        }

        SafetensorsWriter.write(file, List.of(WritableTensor.of("a", SafetensorsDtype.F32, four, 1)), Map.of());
        try (SafetensorsFile opened = SafetensorsFile.open(file)) {
            assertThatThrownBy(() -> opened.bytes("missing")).isInstanceOf(IllegalArgumentException.class).hasMessage(file + " has no tensor 'missing'");
            assertThatThrownBy(() -> opened.longs("a")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(file + ": tensor 'a' is F32, not an integer type that long values hold");
        }
    }

    @Test
    void mapsDtypesToScalarTypes() {
        assertThat(SafetensorsDtype.F8_E4M3.scalarType()).contains(ScalarType.FLOAT8_E4M3FN);
        assertThat(SafetensorsDtype.BF16.scalarType()).contains(ScalarType.BFLOAT16);
        assertThat(SafetensorsDtype.I64.scalarType()).contains(ScalarType.INT64);
        assertThat(SafetensorsDtype.F64.scalarType()).isEmpty();
        assertThat(SafetensorsDtype.I64.elementBytes()).isEqualTo(8);
        assertThat(SafetensorsDtype.byName("F8_E5M2")).contains(SafetensorsDtype.F8_E5M2);
        assertThat(SafetensorsDtype.byName("f16")).isEmpty();
        for (SafetensorsDtype dtype : SafetensorsDtype.values()) {
            dtype.scalarType().ifPresent(type -> {
                assertThat(SafetensorsDtype.of(type)).contains(dtype);
                assertThat(type.storageBytes()).isEqualTo(dtype.elementBytes());
            });
        }
    }

    private static long[] longs(byte[] bytes, SafetensorsDtype dtype) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long[] values = new long[bytes.length / dtype.elementBytes()];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (dtype) {
                case BOOL, U8 -> buffer.get() & 0xFFL;
                case I8 -> buffer.get();
                case U16 -> buffer.getShort() & 0xFFFFL;
                case I16 -> buffer.getShort();
                case U32 -> buffer.getInt() & 0xFFFFFFFFL;
                case I32 -> buffer.getInt();
                case I64 -> buffer.getLong();
                default -> throw new AssertionError(dtype);
            };
        }
        return values;
    }
}
