package dev.qlinear.core.safetensors;

import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.type.ScalarType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.SequencedMap;

import static java.util.Objects.requireNonNull;

/**
 * A safetensors file mapped read-only into memory. Opening reads and validates the header only; tensor bytes are
 * paged in from the mapping when first touched. Tensors are views of the mapping, valid until {@link #close()}
 * unmaps it; the file may be read from any thread.
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SafetensorsHeader header;
    private final Arena arena;
    private final MemorySegment mapped;

    private SafetensorsFile(SafetensorsHeader header, Arena arena, MemorySegment mapped) {
        this.header = header;
        this.arena = arena;
        this.mapped = mapped;
    }

    /**
     * Validates the header and maps the file.
     *
     * @throws SafetensorsFormatException naming the file and the rule it breaks
     */
    public static SafetensorsFile open(Path file) throws IOException {
        requireNonNull(file, "file is null");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            SafetensorsHeader header = HeaderReader.read(file, channel);
            Arena arena = Arena.ofShared();
            try {
                return new SafetensorsFile(header, arena, channel.map(FileChannel.MapMode.READ_ONLY, 0, header.fileSize(), arena));
            }
            catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        }
    }

    /**
     * Reads and validates the header through a channel, mapping nothing: for tools that need names and shapes only.
     *
     * @throws SafetensorsFormatException naming the file and the rule it breaks
     */
    public static SafetensorsHeader readHeader(Path file) throws IOException {
        requireNonNull(file, "file is null");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return HeaderReader.read(file, channel);
        }
    }

    public Path path() {
        return header.file();
    }

    public SafetensorsHeader header() {
        return header;
    }

    /** Every tensor by name, in header order. */
    public SequencedMap<String, TensorEntry> tensors() {
        return header.tensors();
    }

    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** @throws IllegalArgumentException if the file has no such tensor */
    public TensorEntry entry(String name) {
        return header.entry(name);
    }

    /**
     * The tensor's bytes as stored (little-endian), a read-only slice of the mapping.
     *
     * @throws IllegalArgumentException if the file has no such tensor
     * @throws IllegalStateException if the file is closed
     */
    public MemorySegment bytes(String name) {
        TensorEntry entry = header.entry(name);
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(header.file() + " is closed");
        }
        return mapped.asSlice(entry.offset(), entry.byteSize()).asReadOnly();
    }

    /**
     * The tensor as a row-major host tensor over the mapping.
     *
     * @throws IllegalArgumentException if there is no such tensor or its dtype has no qlinear scalar type (I64, F64,
     *         BOOL, U16, I16, U32, U64: read those with {@link #bytes(String)} or {@link #longs(String)})
     */
    public HostTensor tensor(String name) {
        TensorEntry entry = header.entry(name);
        ScalarType type = entry.dtype().scalarType().orElseThrow(() -> new IllegalArgumentException(header.file() + ": tensor '" + name
                + "' is " + entry.dtype() + ", which has no qlinear scalar type; read it with bytes(name) or longs(name)"));
        return HostTensor.wrap(bytes(name), type, entry.dimensions());
    }

    /**
     * Copies an integer tensor (I64, or any narrower integer type, widened) into {@code long} values, row-major.
     *
     * @throws IllegalArgumentException if there is no such tensor, it is not of an integer type that {@code long}
     *         holds, or it has more elements than a Java array can
     */
    public long[] longs(String name) {
        TensorEntry entry = header.entry(name);
        if (!entry.dtype().fitsInLong()) {
            throw new IllegalArgumentException(header.file() + ": tensor '" + name + "' is " + entry.dtype() + ", not an integer type that long values hold");
        }
        if (entry.elementCount() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(header.file() + ": tensor '" + name + "' has " + entry.elementCount() + " elements, more than a long[] holds");
        }
        MemorySegment bytes = bytes(name);
        long[] values = new long[(int) entry.elementCount()];
        for (int i = 0; i < values.length; i++) {
            values[i] = switch (entry.dtype()) {
                case BOOL, U8 -> Byte.toUnsignedLong(bytes.get(ValueLayout.JAVA_BYTE, i));
                case I8 -> bytes.get(ValueLayout.JAVA_BYTE, i);
                case U16 -> Short.toUnsignedLong(bytes.get(SHORT, 2L * i));
                case I16 -> bytes.get(SHORT, 2L * i);
                case U32 -> Integer.toUnsignedLong(bytes.get(INT, 4L * i));
                case I32 -> bytes.get(INT, 4L * i);
                case I64 -> bytes.get(LONG, 8L * i);
                default -> throw new AssertionError(entry.dtype());
            };
        }
        return values;
    }

    /** Unmaps the file; views handed out before fail from then on. Closing twice does nothing. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + header.file() + ", " + header.tensors().size() + " tensors]";
    }
}
