package dev.qlinear.core.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.qlinear.core.weights.HostTensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.SequencedSet;

import static dev.qlinear.core.safetensors.StrictJson.describe;
import static dev.qlinear.core.safetensors.StrictJson.quote;
import static java.util.Objects.requireNonNull;

/**
 * A checkpoint directory: {@code model.safetensors} alone, or {@code model.safetensors.index.json} and the shards its
 * {@code weight_map} names. Opening reads every shard's header and checks that the index and the shards agree: each
 * tensor is in exactly one shard, the one the index names, and no shard lies outside the directory. As in Hugging Face
 * transformers, {@code model.safetensors} wins when both files are present.
 *
 * <p>{@link #open(Path)} also maps every shard, so tensors can be read; {@link #openHeadersOnly(Path)} maps nothing
 * and reads nothing but the index and the headers, for tools that need names and shapes.
 */
public final class ShardedCheckpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    static final long MAX_INDEX_BYTES = 100_000_000L;

    private final Path directory;
    private final boolean headersOnly;
    private final SequencedMap<Path, SafetensorsHeader> headers;
    private final SequencedMap<String, Path> shardOf;
    private final Map<String, String> indexMetadata;
    private final Map<Path, SafetensorsFile> files;

    private record Index(Map<String, String> metadata, SequencedMap<String, String> weightMap) {
    }

    private ShardedCheckpoint(Path directory, boolean headersOnly, SequencedMap<Path, SafetensorsHeader> headers, SequencedMap<String, Path> shardOf,
            Map<String, String> indexMetadata, Map<Path, SafetensorsFile> files) {
        this.directory = directory;
        this.headersOnly = headersOnly;
        this.headers = Collections.unmodifiableSequencedMap(headers);
        this.shardOf = Collections.unmodifiableSequencedMap(shardOf);
        this.indexMetadata = Collections.unmodifiableMap(indexMetadata);
        this.files = Map.copyOf(files);
    }

    /**
     * Validates the checkpoint and maps every shard.
     *
     * @throws SafetensorsFormatException naming the index or shard at fault and the rule it breaks
     * @throws NoSuchFileException if the directory holds neither {@code model.safetensors} nor an index
     */
    public static ShardedCheckpoint open(Path directory) throws IOException {
        return open(directory, false);
    }

    /** Validates the checkpoint reading only the index and each shard's header; {@link #tensor} and {@link #bytes} are refused. */
    public static ShardedCheckpoint openHeadersOnly(Path directory) throws IOException {
        return open(directory, true);
    }

    private static ShardedCheckpoint open(Path directory, boolean headersOnly) throws IOException {
        requireNonNull(directory, "directory is null");
        Path single = directory.resolve(SINGLE_FILE);
        Path indexFile = directory.resolve(INDEX_FILE);
        Optional<Index> index;
        List<Path> shards = new ArrayList<>();
        if (Files.isRegularFile(single)) {
            index = Optional.empty();
            shards.add(single);
        }
        else if (Files.isRegularFile(indexFile)) {
            index = Optional.of(readIndex(indexFile));
            for (String shard : index.get().weightMap().values()) {
                Path path = shardPath(directory, indexFile, shard);
                if (!shards.contains(path)) {
                    shards.add(path);
                }
            }
        }
        else {
            throw new NoSuchFileException(directory.toString(), null, "holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
        }
        Map<Path, SafetensorsFile> files = new LinkedHashMap<>();
        try {
            SequencedMap<Path, SafetensorsHeader> headers = new LinkedHashMap<>();
            for (Path shard : shards) {
                if (headersOnly) {
                    headers.put(shard, SafetensorsFile.readHeader(shard));
                }
                else {
                    SafetensorsFile file = SafetensorsFile.open(shard);
                    files.put(shard, file);
                    headers.put(shard, file.header());
                }
            }
            SequencedMap<String, Path> shardOf = new LinkedHashMap<>();
            for (SafetensorsHeader header : headers.values()) {
                for (String name : header.tensors().keySet()) {
                    Path earlier = shardOf.putIfAbsent(name, header.file());
                    if (earlier != null) {
                        throw new SafetensorsFormatException(indexFile, "tensor " + quote(name) + " is in two shards, "
                                + quote(directory.relativize(earlier).toString()) + " and " + quote(directory.relativize(header.file()).toString()));
                    }
                }
            }
            if (index.isPresent()) {
                checkWeightMap(directory, indexFile, index.get().weightMap(), shardOf);
            }
            return new ShardedCheckpoint(directory, headersOnly, headers, shardOf, index.map(Index::metadata).orElse(Map.of()), files);
        }
        catch (IOException | RuntimeException e) {
            files.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static void checkWeightMap(Path directory, Path indexFile, SequencedMap<String, String> weightMap, SequencedMap<String, Path> shardOf)
            throws SafetensorsFormatException {
        for (Map.Entry<String, String> mapped : weightMap.entrySet()) {
            Path found = shardOf.get(mapped.getKey());
            if (found == null) {
                throw new SafetensorsFormatException(indexFile, "the weight_map puts tensor " + quote(mapped.getKey()) + " in shard "
                        + quote(mapped.getValue()) + ", which does not hold it");
            }
            if (!found.equals(directory.resolve(mapped.getValue()).normalize())) {
                throw new SafetensorsFormatException(indexFile, "the weight_map puts tensor " + quote(mapped.getKey()) + " in shard "
                        + quote(mapped.getValue()) + ", but it is in " + quote(directory.relativize(found).toString()));
            }
        }
        for (Map.Entry<String, Path> found : shardOf.entrySet()) {
            if (!weightMap.containsKey(found.getKey())) {
                throw new SafetensorsFormatException(indexFile, "tensor " + quote(found.getKey()) + " of shard "
                        + quote(directory.relativize(found.getValue()).toString()) + " is missing from the weight_map");
            }
        }
    }

    /** The shard a weight_map names, which must be a relative path that stays inside the directory. */
    private static Path shardPath(Path directory, Path indexFile, String name) throws SafetensorsFormatException {
        Path relative;
        try {
            relative = Path.of(name);
        }
        catch (InvalidPathException e) {
            throw new SafetensorsFormatException(indexFile, "shard " + quote(name) + " is not a valid file name: " + e.getReason());
        }
        if (name.isEmpty() || relative.isAbsolute() || relative.getRoot() != null) {
            throw new SafetensorsFormatException(indexFile, "shard " + quote(name) + " is not a relative file name; shards must lie inside the checkpoint directory");
        }
        Path resolved = directory.resolve(relative).normalize();
        boolean climbs = false;
        for (Path element : relative) {
            climbs |= element.toString().equals("..");
        }
        if (climbs || !resolved.startsWith(directory.normalize())) {
            throw new SafetensorsFormatException(indexFile, "shard " + quote(name) + " leaves the checkpoint directory; shards must lie inside it");
        }
        if (!Files.isRegularFile(resolved)) {
            throw new SafetensorsFormatException(indexFile, "shard " + quote(name) + " named in the weight_map is not a file in " + directory);
        }
        return resolved;
    }

    private static Index readIndex(Path file) throws IOException {
        byte[] json = StrictJson.readSmallFile(file, MAX_INDEX_BYTES, "the index");
        StrictJson.requireUtf8(json, file, "the index", 0);
        try (JsonParser parser = StrictJson.MAPPER.createParser(json)) {
            JsonToken first = parser.nextToken();
            if (first != JsonToken.START_OBJECT) {
                throw new SafetensorsFormatException(file, "the index is " + describe(first) + ", not a JSON object");
            }
            Map<String, String> metadata = null;
            SequencedMap<String, String> weightMap = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "metadata" -> {
                        if (metadata != null) {
                            throw new SafetensorsFormatException(file, "the index has 'metadata' twice");
                        }
                        metadata = indexMetadata(parser, value, file);
                    }
                    case "weight_map" -> {
                        if (weightMap != null) {
                            throw new SafetensorsFormatException(file, "the index has 'weight_map' twice");
                        }
                        weightMap = weightMap(parser, value, file);
                    }
                    default -> parser.skipChildren();
                }
            }
            JsonToken after = parser.nextToken();
            if (after != null) {
                throw new SafetensorsFormatException(file, "the index has " + describe(after) + " after its JSON object" + StrictJson.where(parser.currentTokenLocation()));
            }
            if (weightMap == null) {
                throw new SafetensorsFormatException(file, "the index has no weight_map");
            }
            return new Index(metadata == null ? Map.of() : metadata, weightMap);
        }
        catch (JsonProcessingException e) {
            throw StrictJson.notJson(file, "the index", e);
        }
    }

    /** Index metadata holds numbers as well as strings ({@code total_size}); values are kept as text, objects as JSON. */
    private static Map<String, String> indexMetadata(JsonParser parser, JsonToken token, Path file) throws IOException {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (token == JsonToken.VALUE_NULL) {
            return metadata;
        }
        if (token != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(file, "the index's metadata is " + describe(token) + ", not an object");
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            parser.nextToken();
            JsonNode value = parser.readValueAsTree();
            if (metadata.put(key, value.isValueNode() ? value.asText() : value.toString()) != null) {
                throw new SafetensorsFormatException(file, "the index's metadata has " + quote(key) + " twice");
            }
        }
        return metadata;
    }

    private static SequencedMap<String, String> weightMap(JsonParser parser, JsonToken token, Path file) throws IOException {
        if (token != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(file, "the weight_map is " + describe(token) + ", not an object of tensor names to shard files");
        }
        SequencedMap<String, String> weightMap = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String tensor = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw new SafetensorsFormatException(file, "the weight_map maps tensor " + quote(tensor) + " to " + describe(value) + ", not a shard file name");
            }
            if (weightMap.put(tensor, parser.getText()) != null) {
                throw new SafetensorsFormatException(file, "the weight_map lists tensor " + quote(tensor) + " twice");
            }
        }
        return weightMap;
    }

    public Path directory() {
        return directory;
    }

    public boolean headersOnly() {
        return headersOnly;
    }

    /** The shard files, in the order the index first names them. */
    public List<Path> shards() {
        return List.copyOf(headers.keySet());
    }

    /** Each shard's header, in shard order. */
    public SequencedMap<Path, SafetensorsHeader> headers() {
        return headers;
    }

    /** Every tensor name, shard by shard in header order. */
    public SequencedSet<String> tensorNames() {
        return shardOf.sequencedKeySet();
    }

    /** The index's metadata ({@code total_size} and the like); empty for a single file. */
    public Map<String, String> indexMetadata() {
        return indexMetadata;
    }

    /** Bytes of all tensors together. */
    public long totalBytes() {
        return headers.values().stream().mapToLong(SafetensorsHeader::dataSize).sum();
    }

    /** @throws IllegalArgumentException if the checkpoint has no such tensor */
    public TensorEntry entry(String name) {
        return headers.get(shardOf(name)).entry(name);
    }

    /** @throws IllegalArgumentException if the checkpoint has no such tensor */
    public Path shardOf(String name) {
        requireNonNull(name, "name is null");
        Path shard = shardOf.get(name);
        if (shard == null) {
            throw new IllegalArgumentException("checkpoint " + directory + " has no tensor '" + name + "'");
        }
        return shard;
    }

    /**
     * The tensor as a host tensor over its shard's mapping; see {@link SafetensorsFile#tensor(String)}.
     *
     * @throws IllegalStateException if the checkpoint was opened for headers only, or is closed
     */
    public HostTensor tensor(String name) {
        return file(name).tensor(name);
    }

    /** The tensor's bytes; see {@link SafetensorsFile#bytes(String)}. */
    public MemorySegment bytes(String name) {
        return file(name).bytes(name);
    }

    private SafetensorsFile file(String name) {
        Path shard = shardOf(name);
        if (headersOnly) {
            throw new IllegalStateException("checkpoint " + directory + " was opened for headers only; open it with open(directory) to read tensors");
        }
        return files.get(shard);
    }

    /** Unmaps every shard. */
    @Override
    public void close() {
        files.values().forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return "ShardedCheckpoint[" + directory + ", " + headers.size() + " shards, " + shardOf.size() + " tensors]";
    }
}
