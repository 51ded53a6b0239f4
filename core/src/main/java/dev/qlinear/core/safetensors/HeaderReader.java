package dev.qlinear.core.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

import static dev.qlinear.core.safetensors.StrictJson.describe;
import static dev.qlinear.core.safetensors.StrictJson.quote;

/**
 * Reads and validates the header of a safetensors file through a channel, the way the reference implementation
 * does: a little-endian u64 length, that many bytes of UTF-8 JSON, and tensors that tile the data section exactly.
 */
final class HeaderReader {

    /** The reference implementation's limit; real headers are a few hundred kilobytes. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Bounds the memory a hostile shape can take; real tensors have a handful of dimensions. */
    static final int MAX_RANK = 64;
    static final String METADATA = "__metadata__";

    private final Path file;
    private final JsonParser parser;

    private record RawEntry(String name, String dtype, long[] shape, long[] offsets) {
    }

    private HeaderReader(Path file, JsonParser parser) {
        this.file = file;
        this.parser = parser;
    }

    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < 8) {
            throw new SafetensorsFormatException(file, "the file has " + fileSize + " bytes, too few for the 8-byte header length");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8);
        StrictJson.readFully(channel, prefix, 0, file, "the header length");
        long headerLength = prefix.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsFormatException(file, "the header length " + Long.toUnsignedString(headerLength)
                    + " is over the limit of " + MAX_HEADER_BYTES + " bytes");
        }
        if (headerLength > fileSize - 8) {
            throw new SafetensorsFormatException(file, "the header length " + headerLength + " runs past the end of the file, which has "
                    + (fileSize - 8) + " bytes after the length");
        }
        byte[] json = new byte[(int) headerLength];
        StrictJson.readFully(channel, ByteBuffer.wrap(json), 8, file, "the header");
        StrictJson.requireUtf8(json, file, "the header", 8);
        long dataOffset = 8 + headerLength;
        try (JsonParser parser = StrictJson.FACTORY.createParser(json)) {
            HeaderReader reader = new HeaderReader(file, parser);
            return reader.parse(fileSize, dataOffset);
        }
        catch (JsonProcessingException e) {
            throw StrictJson.notJson(file, "the header", e);
        }
    }

    private SafetensorsHeader parse(long fileSize, long dataOffset) throws IOException {
        JsonToken first = parser.nextToken();
        if (first != JsonToken.START_OBJECT) {
            throw fail("the header is " + describe(first) + ", not a JSON object");
        }
        SequencedMap<String, RawEntry> raw = new LinkedHashMap<>();
        Map<String, String> metadata = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals(METADATA)) {
                if (metadata != null) {
                    throw fail("'" + METADATA + "' appears twice in the header");
                }
                metadata = metadata(value);
            }
            else {
                if (raw.containsKey(name)) {
                    throw fail("tensor " + quote(name) + " appears twice in the header");
                }
                raw.put(name, entry(name, value));
            }
        }
        JsonToken after = parser.nextToken();
        if (after != null) {
            throw fail("the header has " + describe(after) + " after its JSON object" + StrictJson.where(parser.currentTokenLocation()));
        }
        return validate(raw, metadata == null ? Map.of() : metadata, fileSize, dataOffset);
    }

    private Map<String, String> metadata(JsonToken token) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (token == JsonToken.VALUE_NULL) {
            return metadata;
        }
        if (token != JsonToken.START_OBJECT) {
            throw fail("'" + METADATA + "' is " + describe(token) + ", not an object of strings");
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw fail("metadata " + quote(key) + " is " + describe(value) + ", not a string");
            }
            if (metadata.put(key, parser.getText()) != null) {
                throw fail("metadata key " + quote(key) + " appears twice");
            }
        }
        return metadata;
    }

    private RawEntry entry(String name, JsonToken token) throws IOException {
        if (token != JsonToken.START_OBJECT) {
            throw fail("tensor " + quote(name) + " is " + describe(token) + ", not an object with dtype, shape and data_offsets");
        }
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "dtype" -> {
                    once(name, field, dtype);
                    if (value != JsonToken.VALUE_STRING) {
                        throw fail("tensor " + quote(name) + " has a dtype that is " + describe(value) + ", not a string");
                    }
                    dtype = parser.getText();
                }
                case "shape" -> {
                    once(name, field, shape);
                    shape = naturals(name, field, value, MAX_RANK);
                }
                case "data_offsets" -> {
                    once(name, field, offsets);
                    offsets = naturals(name, field, value, 2);
                    if (offsets.length != 2) {
                        throw fail("tensor " + quote(name) + " has data_offsets " + Arrays.toString(offsets) + ", not [begin, end]");
                    }
                }
                default -> parser.skipChildren();
            }
        }
        String missing = dtype == null ? "dtype" : shape == null ? "shape" : offsets == null ? "data_offsets" : null;
        if (missing != null) {
            throw fail("tensor " + quote(name) + " has no " + missing);
        }
        return new RawEntry(name, dtype, shape, offsets);
    }

    private void once(String name, String field, Object seen) throws SafetensorsFormatException {
        if (seen != null) {
            throw fail("tensor " + quote(name) + " has " + field + " twice");
        }
    }

    /** An array of at most {@code limit} non-negative integers that fit a {@code long}. */
    private long[] naturals(String name, String field, JsonToken token, int limit) throws IOException {
        if (token != JsonToken.START_ARRAY) {
            throw fail("tensor " + quote(name) + " has a " + field + " that is " + describe(token) + ", not an array of integers");
        }
        long[] values = new long[Math.min(limit, 8)];
        int count = 0;
        for (JsonToken item = parser.nextToken(); item != JsonToken.END_ARRAY; item = parser.nextToken()) {
            if (item != JsonToken.VALUE_NUMBER_INT) {
                throw fail("tensor " + quote(name) + " has " + describe(item) + " in its " + field + ", where only integers may be");
            }
            if (parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                throw fail("tensor " + quote(name) + " has " + quote(parser.getText()) + " in its " + field + ", more than a signed 64-bit integer holds");
            }
            long value = parser.getLongValue();
            if (value < 0) {
                throw fail("tensor " + quote(name) + " has the negative value " + value + " in its " + field);
            }
            if (count == limit) {
                throw fail("tensor " + quote(name) + " has more than " + limit + " values in its " + field);
            }
            if (count == values.length) {
                values = Arrays.copyOf(values, Math.min(limit, 2 * count));
            }
            values[count++] = value;
        }
        return Arrays.copyOf(values, count);
    }

    private SafetensorsHeader validate(SequencedMap<String, RawEntry> raw, Map<String, String> metadata, long fileSize, long dataOffset)
            throws SafetensorsFormatException {
        long dataSize = fileSize - dataOffset;
        SequencedMap<String, TensorEntry> tensors = new LinkedHashMap<>();
        for (RawEntry entry : raw.values()) {
            String name = quote(entry.name());
            SafetensorsDtype dtype = SafetensorsDtype.byName(entry.dtype()).orElseThrow(() -> fail("tensor " + name + " has the unknown dtype "
                    + quote(entry.dtype()) + "; known dtypes: " + Arrays.toString(SafetensorsDtype.values())));
            long byteSize;
            try {
                byteSize = Math.multiplyExact(Arrays.stream(entry.shape()).reduce(1, Math::multiplyExact), dtype.elementBytes());
            }
            catch (ArithmeticException e) {
                throw fail("tensor " + name + " has the shape " + Arrays.toString(entry.shape()) + ", whose " + dtype + " bytes overflow a 64-bit count");
            }
            long begin = entry.offsets()[0];
            long end = entry.offsets()[1];
            if (begin > end) {
                throw fail("tensor " + name + " has data_offsets [" + begin + ", " + end + "] that end before they begin");
            }
            if (end > dataSize) {
                throw fail("tensor " + name + " has data_offsets [" + begin + ", " + end + "] past the end of the data section, which has " + dataSize + " bytes");
            }
            if (end - begin != byteSize) {
                throw fail("tensor " + name + " is " + dtype + " " + Arrays.toString(entry.shape()) + ", " + byteSize
                        + " bytes, but its data_offsets [" + begin + ", " + end + "] span " + (end - begin));
            }
            tensors.put(entry.name(), new TensorEntry(entry.name(), dtype, Arrays.stream(entry.shape()).boxed().toList(), dataOffset + begin, byteSize));
        }
        List<TensorEntry> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(TensorEntry::offset).thenComparingLong(TensorEntry::end));
        long covered = dataOffset;
        TensorEntry previous = null;
        for (TensorEntry entry : byOffset) {
            if (entry.offset() < covered) {
                throw fail("tensors " + quote(previous.name()) + " " + relative(previous, dataOffset) + " and " + quote(entry.name()) + " "
                        + relative(entry, dataOffset) + " overlap");
            }
            if (entry.offset() > covered) {
                throw gap(covered - dataOffset, entry.offset() - dataOffset);
            }
            covered = entry.end();
            previous = entry;
        }
        if (covered != fileSize) {
            throw gap(covered - dataOffset, dataSize);
        }
        return new SafetensorsHeader(file, fileSize, dataOffset, tensors, metadata);
    }

    private static String relative(TensorEntry entry, long dataOffset) {
        return "[" + (entry.offset() - dataOffset) + ", " + (entry.end() - dataOffset) + "]";
    }

    private SafetensorsFormatException gap(long from, long to) {
        return fail("bytes [" + from + ", " + to + ") of the data section belong to no tensor");
    }

    private SafetensorsFormatException fail(String problem) {
        return new SafetensorsFormatException(file, problem);
    }
}
