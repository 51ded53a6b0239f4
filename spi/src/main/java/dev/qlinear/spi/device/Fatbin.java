package dev.qlinear.spi.device;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The entries of an nvcc fatbin, read from its headers, for checking a plugin's {@link KernelImages} against what the
 * build compiled: a 16-byte file header (magic {@code 0xBA55ED50}, version, header size, payload size), then entries
 * each with a header giving its kind (1 PTX, 2 ELF), header size, payload size and, at byte 28, the architecture number
 * (80 for sm_80 and compute_80, 90 for sm_90a).
 */
public record Fatbin(List<Entry> entries) {

    public static final int MAGIC = 0xBA55ED50;

    public record Entry(String kind, int architecture) {
    }

    public static Fatbin parse(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (buffer.getInt(0) != MAGIC) {
            throw new IllegalArgumentException("not a fatbin: magic 0x" + Integer.toHexString(buffer.getInt(0)) + ", expected 0x" + Integer.toHexString(MAGIC));
        }
        int headerSize = Short.toUnsignedInt(buffer.getShort(6));
        long end = headerSize + buffer.getLong(8);
        List<Entry> entries = new ArrayList<>();
        for (long offset = headerSize; offset < end; ) {
            int at = Math.toIntExact(offset);
            int kind = Short.toUnsignedInt(buffer.getShort(at));
            int entryHeader = buffer.getInt(at + 4);
            long payload = buffer.getLong(at + 8);
            entries.add(new Entry(kind == 1 ? "PTX" : kind == 2 ? "ELF" : "kind " + kind, buffer.getInt(at + 28)));
            offset += entryHeader + payload;
        }
        return new Fatbin(List.copyOf(entries));
    }
}
