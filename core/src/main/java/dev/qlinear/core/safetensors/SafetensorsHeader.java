package dev.qlinear.core.safetensors;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

import static java.util.Objects.requireNonNull;

/**
 * The validated header of one safetensors file: what {@link SafetensorsFile#readHeader(Path)} gives without mapping
 * any tensor bytes.
 *
 * @param file the file it was read from
 * @param fileSize the file's size in bytes when it was read
 * @param dataOffset where the data section begins: 8 plus the header length
 * @param tensors every tensor by name, in the order the header lists them
 * @param metadata the {@code __metadata__} strings, in header order; empty when absent
 */
public record SafetensorsHeader(Path file, long fileSize, long dataOffset, SequencedMap<String, TensorEntry> tensors, Map<String, String> metadata) {
    public SafetensorsHeader {
        requireNonNull(file, "file is null");
        tensors = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(requireNonNull(tensors, "tensors is null")));
        metadata = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(requireNonNull(metadata, "metadata is null")));
        if (dataOffset < 8 || dataOffset > fileSize) {
            throw new IllegalArgumentException(file + ": data offset " + dataOffset + " is outside [8, " + fileSize + "]");
        }
    }

    /**
     * The entry of one tensor.
     *
     * @throws IllegalArgumentException if the file has no such tensor
     */
    public TensorEntry entry(String name) {
        requireNonNull(name, "name is null");
        TensorEntry entry = tensors.get(name);
        if (entry == null) {
            throw new IllegalArgumentException(file + " has no tensor '" + name + "'");
        }
        return entry;
    }

    /** Bytes of the data section: every tensor's bytes, back to back. */
    public long dataSize() {
        return fileSize - dataOffset;
    }
}
