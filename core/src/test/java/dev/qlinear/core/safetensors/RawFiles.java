package dev.qlinear.core.safetensors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writes safetensors files byte by byte, to test the reader against exactly what a file holds. */
final class RawFiles {

    private RawFiles() {
    }

    /** A file with this header text, padded to the next multiple of 8 bytes, and {@code dataBytes} of data. */
    static Path safetensors(Path file, String header, byte[] data) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        return write(file, prefix.flip(), data.length, data);
    }

    static Path safetensors(Path file, String header, int dataBytes) throws IOException {
        return safetensors(file, header, new byte[dataBytes]);
    }

    /** A file with this header length field and header bytes, verbatim, then a hole of {@code dataBytes}. */
    static Path raw(Path file, long lengthField, byte[] header, long dataBytes) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(lengthField).put(header);
        return write(file, prefix.flip(), dataBytes, new byte[0]);
    }

    private static Path write(Path file, ByteBuffer prefix, long dataBytes, byte[] data) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long position = prefix.remaining();
            while (prefix.hasRemaining()) {
                channel.write(prefix);
            }
            ByteBuffer bytes = ByteBuffer.wrap(data);
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            if (dataBytes > data.length) {
                channel.write(ByteBuffer.allocate(1), position + dataBytes - 1);
            }
        }
        return file;
    }
}
