package dev.qlinear.core.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reading untrusted JSON files: bounded sizes, strict UTF-8, and messages that quote little of the input. */
final class StrictJson {

    /** Names are neither interned nor canonicalized: a hostile header would fill the JVM's string table. */
    static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .build();
    static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

    private static final int QUOTED_CHARS = 80;

    private StrictJson() {
    }

    /** Reads {@code buffer.remaining()} bytes at {@code position}, failing if the file ends first. */
    static void readFully(FileChannel channel, ByteBuffer buffer, long position, Path file, String what) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, at);
            if (read < 0) {
                throw new SafetensorsFormatException(file, "the file ended at byte " + at + " while reading " + what);
            }
            at += read;
        }
    }

    /** The whole of a small file, refused before any allocation if it is larger than {@code limit}. */
    static byte[] readSmallFile(Path file, long limit, String what) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > limit) {
                throw new SafetensorsFormatException(file, what + " has " + size + " bytes, over the limit of " + limit);
            }
            byte[] bytes = new byte[(int) size];
            readFully(channel, ByteBuffer.wrap(bytes), 0, file, what);
            return bytes;
        }
    }

    /**
     * Checks that the bytes are UTF-8 without NUL bytes. JSON has no place for a raw NUL, and refusing it keeps
     * Jackson from guessing UTF-16 or UTF-32 from the first bytes.
     *
     * @param base the file offset of {@code bytes[0]}, for the message
     */
    static void requireUtf8(byte[] bytes, Path file, String what, long base) throws SafetensorsFormatException {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new SafetensorsFormatException(file, what + " has a NUL byte at byte " + (base + i) + ", which JSON does not allow");
            }
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                int at = in.position();
                throw new SafetensorsFormatException(file, String.format("%s is not valid UTF-8: byte 0x%02X at byte %d starts no valid sequence",
                        what, bytes[at] & 0xFF, base + at));
            }
            if (result.isUnderflow()) {
                return;
            }
            out.clear();
        }
    }

    static SafetensorsFormatException notJson(Path file, String what, JsonProcessingException e) {
        return new SafetensorsFormatException(file, what + " is not valid JSON" + where(e.getLocation()) + ": " + e.getOriginalMessage(), e);
    }

    /** " at line L, column C" (columns count bytes), or nothing when Jackson does not know. */
    static String where(JsonLocation location) {
        if (location == null || location.getLineNr() < 1 || location.getColumnNr() < 1) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    /** A JSON token in words, for messages. */
    static String describe(JsonToken token) {
        if (token == null) {
            return "empty";
        }
        return switch (token) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a fractional number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.asString() == null ? token.name() : token.asString();
        };
    }

    /** A name or value from the file in quotes, cut short: a hostile file may hold a string of megabytes. */
    static String quote(String text) {
        if (text.length() <= QUOTED_CHARS) {
            return "'" + text + "'";
        }
        return "'" + text.substring(0, QUOTED_CHARS) + "...' (" + text.length() + " characters)";
    }
}
