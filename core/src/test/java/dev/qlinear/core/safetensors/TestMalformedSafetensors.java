package dev.qlinear.core.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

final class TestMalformedSafetensors {

    private static final String GOOD = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]}}";

    @TempDir
    Path directory;

    static Stream<Arguments> malformedHeaders() {
        return Stream.of(
                Arguments.of("empty header", "", 0, "the header is empty, not a JSON object"),
                Arguments.of("array", "[1,2]", 0, "the header is an array, not a JSON object"),
                Arguments.of("string", "\"model\"", 0, "the header is a string, not a JSON object"),
                Arguments.of("not JSON", "{\"a\": nope}", 0, "the header is not valid JSON at line 1, column 11: Unrecognized token 'nope'"),
                Arguments.of("unterminated", "{\"a\":{\"dtype\":\"F16\"", 0, "the header is not valid JSON"),
                Arguments.of("trailing content", "{} {}", 0, "the header has an object after its JSON object at line 1, column 4"),
                Arguments.of("entry not an object", "{\"a\":[1]}", 0, "tensor 'a' is an array, not an object with dtype, shape and data_offsets"),
                Arguments.of("no dtype", "{\"a\":{\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "tensor 'a' has no dtype"),
                Arguments.of("no shape", "{\"a\":{\"dtype\":\"F16\",\"data_offsets\":[0,4]}}", 4, "tensor 'a' has no shape"),
                Arguments.of("no data_offsets", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2]}}", 4, "tensor 'a' has no data_offsets"),
                Arguments.of("dtype a number", "{\"a\":{\"dtype\":16,\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has a dtype that is an integer, not a string"),
                Arguments.of("shape a string", "{\"a\":{\"dtype\":\"F16\",\"shape\":\"2\",\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has a shape that is a string, not an array of integers"),
                Arguments.of("fractional extent", "{\"a\":{\"dtype\":\"F16\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has a fractional number in its shape, where only integers may be"),
                Arguments.of("three offsets", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8,
                        "tensor 'a' has more than 2 values in its data_offsets"),
                Arguments.of("one offset", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4]}}", 4,
                        "tensor 'a' has data_offsets [4], not [begin, end]"),
                Arguments.of("field twice", "{\"a\":{\"dtype\":\"F16\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has dtype twice"),
                Arguments.of("unknown dtype", "{\"a\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has the unknown dtype 'F17'; known dtypes: [BOOL, U8, I8, F8_E5M2, F8_E4M3, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64]"),
                Arguments.of("dtype in lower case", "{\"a\":{\"dtype\":\"f16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has the unknown dtype 'f16'"),
                Arguments.of("negative extent", "{\"a\":{\"dtype\":\"F16\",\"shape\":[-2],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has the negative value -2 in its shape"),
                Arguments.of("extent beyond a long", "{\"a\":{\"dtype\":\"F16\",\"shape\":[99999999999999999999],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has '99999999999999999999' in its shape, more than a signed 64-bit integer holds"),
                Arguments.of("overflowing shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has the shape [4294967296, 4294967296], whose F32 bytes overflow a 64-bit count"),
                Arguments.of("overflowing bytes", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,4]}}", 4,
                        "tensor 'a' has the shape [2305843009213693952], whose F64 bytes overflow a 64-bit count"),
                Arguments.of("too many dimensions", "{\"a\":{\"dtype\":\"U8\",\"shape\":[" + "1,".repeat(64) + "1],\"data_offsets\":[0,1]}}", 1,
                        "tensor 'a' has more than 64 values in its shape"),
                Arguments.of("negative offset", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[-4,0]}}", 4,
                        "tensor 'a' has the negative value -4 in its data_offsets"),
                Arguments.of("begin after end", "{\"a\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
                        "tensor 'a' has data_offsets [4, 0] that end before they begin"),
                Arguments.of("past the data section", "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 4,
                        "tensor 'a' has data_offsets [0, 8] past the end of the data section, which has 4 bytes"),
                Arguments.of("size mismatch", "{\"a\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,10]}}", 10,
                        "tensor 'a' is F16 [2, 3], 12 bytes, but its data_offsets [0, 10] span 10"),
                Arguments.of("overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                        "tensors 'a' [0, 8] and 'b' [4, 12] overlap"),
                Arguments.of("same bytes twice", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
                        "tensors 'a' [0, 8] and 'b' [0, 8] overlap"),
                Arguments.of("gap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
                        "bytes [4, 8) of the data section belong to no tensor"),
                Arguments.of("gap at the start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                        "bytes [0, 4) of the data section belong to no tensor"),
                Arguments.of("trailing bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6,
                        "bytes [4, 6) of the data section belong to no tensor"),
                Arguments.of("data but no tensors", "{}", 8, "bytes [0, 8) of the data section belong to no tensor"),
                Arguments.of("duplicate tensor", GOOD.replace("}}", "},\"a\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[12,12]}}"), 12,
                        "tensor 'a' appears twice in the header"),
                Arguments.of("duplicate metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "'__metadata__' appears twice in the header"),
                Arguments.of("metadata not strings", "{\"__metadata__\":{\"total_size\":12}}", 0, "metadata 'total_size' is an integer, not a string"),
                Arguments.of("metadata an array", "{\"__metadata__\":[]}", 0, "'__metadata__' is an array, not an object of strings"),
                Arguments.of("metadata key twice", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, "metadata key 'k' appears twice"),
                Arguments.of("long name", "{\"" + "w".repeat(10_000) + "\":1}", 0,
                        "tensor '" + "w".repeat(80) + "...' (10000 characters) is an integer, not an object with dtype, shape and data_offsets"),
                Arguments.of("deep nesting", "{\"a\":{\"x\":" + "[".repeat(100_000) + "]}}", 0, "the header is not valid JSON"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedHeaders")
    void refusesAMalformedHeaderNamingTheFileAndTheProblem(String description, String header, int dataBytes, String problem) throws IOException {
        Path file = RawFiles.safetensors(directory.resolve("bad.safetensors"), header, dataBytes);

        assertRefused(file, problem);
    }

    @Test
    void refusesFilesTooShortForTheHeaderLength() throws IOException {
        Path empty = Files.write(directory.resolve("empty.safetensors"), new byte[0]);
        Path seven = Files.write(directory.resolve("seven.safetensors"), new byte[7]);

        assertRefused(empty, "the file has 0 bytes, too few for the 8-byte header length");
        assertRefused(seven, "the file has 7 bytes, too few for the 8-byte header length");
    }

    @Test
    void refusesAHeaderLengthPastTheEndOfTheFile() throws IOException {
        Path file = RawFiles.raw(directory.resolve("short.safetensors"), 64, "{}".getBytes(StandardCharsets.UTF_8), 0);

        assertRefused(file, "the header length 64 runs past the end of the file, which has 2 bytes after the length");
    }

    @Test
    void refusesAHeaderLengthBombFastWithoutAllocatingIt() throws IOException {
        Path bomb = RawFiles.raw(directory.resolve("bomb.safetensors"), 1L << 62, "{}".getBytes(StandardCharsets.UTF_8), 0);
        Path unsigned = RawFiles.raw(directory.resolve("unsigned.safetensors"), -1, new byte[0], 0);

        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertRefused(bomb, "the header length 4611686018427387904 is over the limit of 100000000 bytes");
            assertRefused(unsigned, "the header length 18446744073709551615 is over the limit of 100000000 bytes");
        });
    }

    @Test
    void refusesAHeaderLengthOverTheLimitEvenWhenTheFileIsLargeEnough() throws IOException {
        Path file = RawFiles.raw(directory.resolve("huge.safetensors"), 150_000_000L, "{}".getBytes(StandardCharsets.UTF_8), 200_000_000L);

        assertRefused(file, "the header length 150000000 is over the limit of 100000000 bytes");
    }

    @Test
    void refusesAHeaderThatIsNotUtf8() throws IOException {
        byte[] header = {'{', '"', (byte) 0xFF, (byte) 0xFE, '"', ':', '{', '}', '}'};
        Path file = RawFiles.raw(directory.resolve("latin.safetensors"), header.length, header, 0);
        byte[] truncated = {'{', '"', (byte) 0xE2, (byte) 0x82};
        Path cut = RawFiles.raw(directory.resolve("cut.safetensors"), truncated.length, truncated, 0);

        assertRefused(file, "the header is not valid UTF-8: byte 0xFF at byte 10 starts no valid sequence");
        assertRefused(cut, "the header is not valid UTF-8: byte 0xE2 at byte 10 starts no valid sequence");
    }

    @Test
    void refusesNulBytesSoNoOtherEncodingIsGuessed() throws IOException {
        byte[] header = "\0{\0}".getBytes(StandardCharsets.UTF_8);
        Path file = RawFiles.raw(directory.resolve("nul.safetensors"), header.length, header, 0);

        assertRefused(file, "the header has a NUL byte at byte 8, which JSON does not allow");
    }

    @Test
    void acceptsTheEdgeCasesTheFormatAllows() throws IOException {
        Path empty = RawFiles.safetensors(directory.resolve("no-tensors.safetensors"), "{}", 0);
        Path zeroSized = RawFiles.safetensors(directory.resolve("zero-sized.safetensors"),
                "{\"z\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                        + "\"end\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[2,2]},\"__metadata__\":null,"
                        + "\"extra\":{\"dtype\":\"BOOL\",\"shape\":[],\"data_offsets\":[2,3],\"comment\":{\"ignored\":[1,2]}}}", 3);

        assertThat(SafetensorsFile.readHeader(empty).tensors()).isEmpty();
        try (SafetensorsFile opened = SafetensorsFile.open(zeroSized)) {
            assertThat(opened.tensors().sequencedKeySet()).containsExactly("z", "a", "end", "extra");
            assertThat(opened.metadata()).isEmpty();
            assertThat(opened.longs("extra")).containsExactly(0);
        }
    }

    /** Both ways in refuse the file with the same message, and a good file beside it still opens. */
    private void assertRefused(Path file, String problem) throws IOException {
        assertThatThrownBy(() -> SafetensorsFile.readHeader(file))
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageStartingWith(file + ": " + problem)
                .satisfies(e -> assertThat(((SafetensorsFormatException) e).file()).isEqualTo(file));
        assertThatThrownBy(() -> SafetensorsFile.open(file).close())
                .isInstanceOf(SafetensorsFormatException.class)
                .hasMessageStartingWith(file + ": " + problem);

        Path good = RawFiles.safetensors(file.resolveSibling("good.safetensors"), GOOD, 12);
        try (SafetensorsFile opened = SafetensorsFile.open(good)) {
            assertThat(opened.tensor("a").shape()).containsExactly(2, 3);
        }
        assertThat(SafetensorsWriter.write(file.resolveSibling("written.safetensors"),
                List.of(WritableTensor.of("b", SafetensorsDtype.U8, MemorySegment.ofArray(new byte[] {1}), 1)), Map.of()).tensors()).containsKey("b");
    }
}
