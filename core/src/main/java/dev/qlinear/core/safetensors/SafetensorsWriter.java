package dev.qlinear.core.safetensors;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Writes safetensors files and sharded checkpoints. Tensors are laid out back to back in the order given; the
 * header is padded with spaces so the data section starts 8-byte aligned. Each file is written beside its target
 * and renamed into place, so a reader never sees half a file.
 */
public final class SafetensorsWriter {

    private static final long DIRECT_WRITE_CHUNK = 1L << 30;
    private static final int STAGING_BYTES = 1 << 20;

    private SafetensorsWriter() {
    }

    /**
     * Writes one safetensors file, replacing any file of that name.
     *
     * @param metadata the {@code __metadata__} strings; none is written when empty
     * @return the header of the file written
     * @throws IllegalArgumentException if two tensors share a name or the header would exceed what readers accept
     */
    public static SafetensorsHeader write(Path file, List<WritableTensor> tensors, Map<String, String> metadata) throws IOException {
        requireNonNull(file, "file is null");
        requireNonNull(tensors, "tensors is null");
        requireNonNull(metadata, "metadata is null");
        byte[] header = header(tensors, metadata);
        SequencedMap<String, TensorEntry> entries = new LinkedHashMap<>();
        long position = header.length;
        for (WritableTensor tensor : tensors) {
            entries.put(tensor.name(), new TensorEntry(tensor.name(), tensor.dtype(), tensor.shape(), position, tensor.byteSize()));
            position += tensor.byteSize();
        }
        long fileSize = position;
        writeAtomically(file, channel -> {
            writeFully(channel, ByteBuffer.wrap(header), 0);
            try (Arena staging = Arena.ofConfined()) {
                for (WritableTensor tensor : tensors) {
                    if (tensor.data().isPresent()) {
                        write(channel, tensor.data().get(), entries.get(tensor.name()).offset(), staging);
                    }
                }
            }
            if (channel.size() < fileSize) {
                // Trailing holes: writing the last byte sets the length and leaves the rest unallocated.
                writeFully(channel, ByteBuffer.allocate(1), fileSize - 1);
            }
        });
        return new SafetensorsHeader(file, fileSize, header.length, entries, metadata);
    }

    /**
     * Writes a checkpoint directory the way Hugging Face does: with one shard, {@code model.safetensors}; with more,
     * {@code model-00001-of-0000N.safetensors} ... and {@code model.safetensors.index.json} mapping every tensor to
     * its shard. Tensors keep their order and are split into contiguous runs of about equal bytes, none empty.
     *
     * @param metadata the {@code __metadata__} of every shard; the index's metadata holds {@code total_size}
     * @return the files written, shards first, the index (written last) at the end
     * @throws IllegalArgumentException if there are fewer tensors than shards, or the directory already holds a checkpoint
     */
    public static List<Path> writeSharded(Path directory, List<WritableTensor> tensors, int shardCount, Map<String, String> metadata) throws IOException {
        requireNonNull(directory, "directory is null");
        requireNonNull(tensors, "tensors is null");
        requireNonNull(metadata, "metadata is null");
        if (shardCount < 1 || (shardCount > 1 && shardCount > tensors.size())) {
            throw new IllegalArgumentException("cannot split " + tensors.size() + " tensors into " + shardCount + " non-empty shards");
        }
        for (String name : List.of(ShardedCheckpoint.SINGLE_FILE, ShardedCheckpoint.INDEX_FILE)) {
            if (Files.exists(directory.resolve(name))) {
                throw new IllegalArgumentException(directory + " already holds " + name + "; write a checkpoint into a directory without one");
            }
        }
        Files.createDirectories(directory);
        if (shardCount == 1) {
            Path file = directory.resolve(ShardedCheckpoint.SINGLE_FILE);
            write(file, tensors, metadata);
            return List.of(file);
        }
        int[] shardOf = split(tensors, shardCount);
        List<Path> written = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long totalSize = 0;
        for (int shard = 0; shard < shardCount; shard++) {
            String fileName = String.format("model-%05d-of-%05d.safetensors", shard + 1, shardCount);
            List<WritableTensor> members = new ArrayList<>();
            for (int i = 0; i < tensors.size(); i++) {
                if (shardOf[i] == shard) {
                    members.add(tensors.get(i));
                    weightMap.put(tensors.get(i).name(), fileName);
                    totalSize += tensors.get(i).byteSize();
                }
            }
            Path file = directory.resolve(fileName);
            write(file, members, metadata);
            written.add(file);
        }
        byte[] index = index(totalSize, weightMap);
        Path indexFile = directory.resolve(ShardedCheckpoint.INDEX_FILE);
        writeAtomically(indexFile, channel -> writeFully(channel, ByteBuffer.wrap(index), 0));
        written.add(indexFile);
        return List.copyOf(written);
    }

    /** The shard of each tensor: non-decreasing, starting at 0, ending at {@code shards - 1}, never skipping one. */
    private static int[] split(List<WritableTensor> tensors, int shards) {
        long total = tensors.stream().mapToLong(WritableTensor::byteSize).sum();
        int[] shardOf = new int[tensors.size()];
        long before = 0;
        int previous = 0;
        for (int i = 0; i < tensors.size(); i++) {
            long middle = before + tensors.get(i).byteSize() / 2;
            int wanted = total == 0 ? 0 : (int) Math.min(shards - 1, (double) middle * shards / total);
            int lowest = Math.max(previous, shards - (tensors.size() - i));
            shardOf[i] = Math.clamp(wanted, lowest, i == 0 ? 0 : previous + 1);
            previous = shardOf[i];
            before += tensors.get(i).byteSize();
        }
        return shardOf;
    }

    private static byte[] header(List<WritableTensor> tensors, Map<String, String> metadata) throws IOException {
        Set<String> names = new HashSet<>();
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        json.write(new byte[8]);
        try (JsonGenerator generator = StrictJson.FACTORY.createGenerator(json)) {
            generator.writeStartObject();
            if (!metadata.isEmpty()) {
                generator.writeObjectFieldStart(HeaderReader.METADATA);
                for (Map.Entry<String, String> entry : metadata.entrySet()) {
                    generator.writeStringField(requireNonNull(entry.getKey(), "metadata key is null"),
                            requireNonNull(entry.getValue(), "metadata value of '" + entry.getKey() + "' is null"));
                }
                generator.writeEndObject();
            }
            long offset = 0;
            for (WritableTensor tensor : tensors) {
                if (!names.add(tensor.name())) {
                    throw new IllegalArgumentException("tensor '" + tensor.name() + "' is given twice");
                }
                generator.writeObjectFieldStart(tensor.name());
                generator.writeStringField("dtype", tensor.dtype().name());
                generator.writeArrayFieldStart("shape");
                for (long extent : tensor.shape()) {
                    generator.writeNumber(extent);
                }
                generator.writeEndArray();
                generator.writeArrayFieldStart("data_offsets");
                generator.writeNumber(offset);
                offset = Math.addExact(offset, tensor.byteSize());
                generator.writeNumber(offset);
                generator.writeEndArray();
                generator.writeEndObject();
            }
            generator.writeEndObject();
        }
        int unpadded = json.size() - 8;
        int headerLength = (unpadded + 7) & ~7;
        if (headerLength > HeaderReader.MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("the header would have " + headerLength + " bytes, over the limit of " + HeaderReader.MAX_HEADER_BYTES + " that readers accept");
        }
        byte[] padding = new byte[headerLength - unpadded];
        Arrays.fill(padding, (byte) ' ');
        json.write(padding);
        byte[] bytes = json.toByteArray();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, headerLength);
        return bytes;
    }

    private static byte[] index(long totalSize, Map<String, String> weightMap) throws IOException {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try (JsonGenerator generator = StrictJson.FACTORY.createGenerator(json)) {
            generator.setPrettyPrinter(new DefaultPrettyPrinter());
            generator.writeStartObject();
            generator.writeObjectFieldStart("metadata");
            generator.writeNumberField("total_size", totalSize);
            generator.writeEndObject();
            generator.writeObjectFieldStart("weight_map");
            for (Map.Entry<String, String> entry : weightMap.entrySet()) {
                generator.writeStringField(entry.getKey(), entry.getValue());
            }
            generator.writeEndObject();
            generator.writeEndObject();
        }
        json.write('\n');
        return json.toByteArray();
    }

    /** Writes a segment at a position: native and byte[] segments straight from memory, others through a staging buffer. */
    private static void write(FileChannel channel, MemorySegment data, long position, Arena staging) throws IOException {
        boolean direct = data.isNative() || data.heapBase().filter(base -> base instanceof byte[]).isPresent();
        long chunk = direct ? DIRECT_WRITE_CHUNK : STAGING_BYTES;
        MemorySegment buffer = direct ? null : staging.allocate(STAGING_BYTES);
        for (long done = 0; done < data.byteSize(); done += chunk) {
            long length = Math.min(chunk, data.byteSize() - done);
            ByteBuffer bytes;
            if (direct) {
                bytes = data.asSlice(done, length).asByteBuffer();
            }
            else {
                MemorySegment.copy(data, done, buffer, 0, length);
                bytes = buffer.asSlice(0, length).asByteBuffer();
            }
            writeFully(channel, bytes, position + done);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            at += channel.write(buffer, at);
        }
    }

    private interface ChannelWriter {
        void writeTo(FileChannel channel) throws IOException;
    }

    private static void writeAtomically(Path file, ChannelWriter body) throws IOException {
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        try {
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                body.writeTo(channel);
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        finally {
            Files.deleteIfExists(partial);
        }
    }
}
