package dev.qlinear.core.triton;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.qlinear.core.triton.TritonManifest.Parameter;
import dev.qlinear.spi.triton.TritonKernelInfo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.qlinear.spi.device.KernelArguments.Kind.FLOAT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.INT32;
import static dev.qlinear.spi.device.KernelArguments.Kind.INT64;
import static dev.qlinear.spi.device.KernelArguments.Kind.POINTER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Parsing and validating the manifests {@code plugins/triton-aot.py} writes, on real ones and on real ones broken one rule at a time. */
final class TestTritonManifest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String FILE = "broken.sm_80.json";
    private static final String W4A16_SM90A = "w4a16_f16_zp_m16n64k64.sm_90a.json";
    private static final String SHA_VARIANTS = "95ff4d159d13e308e62d261b9707f11c72e491574cafae311755676f898e2d13";
    private static final String SHA_W4A16 = "8697e7b3bcec66ed3ef6b0403ba9bdf8d550ae51aaf56a2fc8527117317d2498";

    @Test
    void parsesARealW4a16GemmManifest() {
        TritonManifest manifest = TritonManifest.parse(W4A16_SM90A, TritonFixtures.manifest(W4A16_SM90A));

        assertThat(manifest.variant()).isEqualTo("w4a16_f16_zp_m16n64k64");
        assertThat(manifest.kernel()).isEqualTo("w4a16_gemm");
        assertThat(manifest.function()).isEqualTo("w4a16_gemm");
        assertThat(manifest.target()).isEqualTo("sm_90a");
        assertThat(manifest.image()).isEqualTo("w4a16_f16_zp_m16n64k64.sm_90a.cubin");
        assertThat(manifest.fileName()).isEqualTo(W4A16_SM90A);
        assertThat(manifest.parameters()).hasSize(17).startsWith(new Parameter("x_ptr", "*fp16", false), new Parameter("codes_ptr", "*i32", false))
                .endsWith(new Parameter("has_bias", "i32", false), new Parameter("global_scratch", "*i8", true), new Parameter("profile_scratch", "*i8", true));
        assertThat(manifest.constexprs()).containsExactly(Map.entry("BLOCK_K", "64"), Map.entry("BLOCK_M", "16"), Map.entry("BLOCK_N", "64"),
                Map.entry("HAS_ZP", "true"));
        assertThat(manifest.divisibility()).as("written before the field existed").isEmpty();
        assertThat(manifest.numWarps()).isEqualTo(4);
        assertThat(manifest.numStages()).isEqualTo(5);
        assertThat(manifest.sharedBytes()).isEqualTo(18432);
        assertThat(manifest.globalScratchBytes()).isZero();
        assertThat(manifest.profileScratchBytes()).isZero();
        assertThat(manifest.tritonVersion()).isEqualTo("3.6.0");
        assertThat(manifest.sources()).containsExactly(Map.entry("variants.py", SHA_VARIANTS), Map.entry("w4a16.py", SHA_W4A16));
        assertThat(manifest.signature()).containsExactly(POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, INT32, INT32, INT32, INT32, INT32,
                INT32, INT32, INT32, POINTER, POINTER);
    }

    @Test
    void parsesARealPtxManifest() {
        String name = "w4a16_bf16_sym_m128n128k64.compute_80.json";
        TritonManifest manifest = TritonManifest.parse(name, TritonFixtures.manifest(name));

        assertThat(manifest.target()).isEqualTo("compute_80");
        assertThat(manifest.image()).isEqualTo("w4a16_bf16_sym_m128n128k64.compute_80.ptx");
        assertThat(manifest.numWarps()).isEqualTo(8);
        assertThat(manifest.sharedBytes()).isEqualTo(40960);
        assertThat(manifest.constexprs()).containsEntry("HAS_ZP", "false");
    }

    @Test
    void launchesAGfx942CodeObjectWith64ThreadWavefronts() {
        String name = "fp8_gemm_fnuz_bf16_m128n128k128.gfx942.json";
        TritonManifest manifest = TritonManifest.parse(name, TritonFixtures.manifest(name));

        assertThat(manifest.image()).isEqualTo("fp8_gemm_fnuz_bf16_m128n128k128.gfx942.hsaco");
        assertThat(manifest.ownParameters()).extracting(Parameter::type).startsWith("*fp8e4b8", "*fp8e4b8", "*fp32");
        assertThat(manifest.numWarps()).isEqualTo(8);
        assertThat(manifest.kernelInfo().warpSize()).isEqualTo(64);
        assertThat(manifest.kernelInfo().threads()).isEqualTo(512);
        assertThat(TritonKernelInfo.warpSize("gfx90a")).isEqualTo(64);
        assertThat(TritonKernelInfo.warpSize("gfx1151")).isEqualTo(32);
        assertThat(TritonKernelInfo.warpSize("sm_90a")).isEqualTo(32);
    }

    @Test
    void parsesRealFp8ManifestsWithFp8PointersAndFloatConstants() {
        String gemmName = "fp8_gemm_f16_m16n64k128.sm_89.json";
        TritonManifest gemm = TritonManifest.parse(gemmName, TritonFixtures.manifest(gemmName));
        assertThat(gemm.ownParameters()).extracting(Parameter::type).startsWith("*fp8e4nv", "*fp8e4nv", "*fp32");
        assertThat(gemm.kernelInfo().parameterKinds()).containsExactly(POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, INT32, INT32, INT32,
                INT32, INT32, INT32, INT32);

        String quantizeName = "fp8_quantize_bf16.compute_89.json";
        TritonManifest quantize = TritonManifest.parse(quantizeName, TritonFixtures.manifest(quantizeName));
        assertThat(quantize.function()).isEqualTo("fp8_quantize_rows");
        assertThat(quantize.constexprs()).containsExactly(Map.entry("BLOCK_K", "1024"), Map.entry("FP8_MAX", "448.0"),
                Map.entry("MIN_SCALE", "4.359654017857143E-6"));
        assertThat(Double.parseDouble(quantize.constexprs().get("MIN_SCALE"))).isEqualTo(4.359654017857143e-06);
    }

    @Test
    void theKernelInfoHasTheOwnParametersOnly() {
        TritonKernelInfo info = TritonManifest.parse(W4A16_SM90A, TritonFixtures.manifest(W4A16_SM90A)).kernelInfo();

        assertThat(info.variant()).isEqualTo("w4a16_f16_zp_m16n64k64");
        assertThat(info.function()).isEqualTo("w4a16_gemm");
        assertThat(info.target()).isEqualTo("sm_90a");
        assertThat(info.parameterNames()).containsExactly("x_ptr", "codes_ptr", "scales_ptr", "zeros_ptr", "bias_ptr", "out_ptr", "partials_ptr", "M", "N",
                "K", "stride_xm", "stride_om", "group_size", "k_per_split", "has_bias");
        assertThat(info.parameterKinds()).hasSize(15).containsExactly(POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, POINTER, INT32, INT32, INT32,
                INT32, INT32, INT32, INT32, INT32);
        assertThat(info.constexprs()).containsOnly(Map.entry("BLOCK_K", "64"), Map.entry("BLOCK_M", "16"), Map.entry("BLOCK_N", "64"),
                Map.entry("HAS_ZP", "true"));
        assertThat(info.warps()).isEqualTo(4);
        assertThat(info.threads()).isEqualTo(128);
        assertThat(info.stages()).isEqualTo(5);
        assertThat(info.sharedBytes()).isEqualTo(18432);
        assertThat(info.tritonVersion()).isEqualTo("3.6.0");
    }

    @Test
    void mapsTritonTypesToArgumentKinds() {
        for (String pointer : List.of("*fp16", "*bf16", "*fp32", "*i32", "*u8", "*i8", "*fp8e4nv", "*fp8e5", "*i64", "*fp64")) {
            assertThat(TritonManifest.kindOf(pointer)).as(pointer).isEqualTo(POINTER);
        }
        assertThat(TritonManifest.kindOf("i32")).isEqualTo(INT32);
        assertThat(TritonManifest.kindOf("i64")).isEqualTo(INT64);
        assertThat(TritonManifest.kindOf("fp32")).isEqualTo(FLOAT32);
        assertThat(new Parameter("M", "i32", false).kind()).isEqualTo(INT32);
    }

    @Test
    void refusesTypesQlinearCannotPassWithTheReason() {
        for (String scalar : List.of("fp16", "bf16", "i1", "i8", "u32", "u64", "fp64", "fp8e4nv")) {
            assertThatThrownBy(() -> TritonManifest.kindOf(scalar)).as(scalar).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("Triton scalar type '" + scalar + "' cannot be passed by qlinear: scalar parameters must be i32, i64 or fp32");
        }
        assertThatThrownBy(() -> TritonManifest.kindOf("constexpr")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'constexpr' is compiled into the image, not passed at launch");
        assertThatThrownBy(() -> TritonManifest.kindOf("*half")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Triton type '*half' points to 'half', which is not a Triton element type (one of bf16, fp16, fp32,");
        assertThatThrownBy(() -> TritonManifest.kindOf("float")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'float' is not a Triton type: expected a pointer such as *fp16 or a scalar i32, i64 or fp32");
        assertThatThrownBy(() -> TritonManifest.kindOf("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'' is not a Triton type");
        assertThatThrownBy(() -> new Parameter("scale", "fp16", false).kind()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("parameter 'scale': Triton scalar type 'fp16' cannot be passed");
    }

    @Test
    void refusesAnUnknownParameterType() {
        assertRefused(root -> parameter(root, 3).put("type", "fp16"),
                "field 'parameters[3]' ('M'): Triton scalar type 'fp16' cannot be passed by qlinear: scalar parameters must be i32, i64 or fp32");
        assertRefused(root -> parameter(root, 0).put("type", "*f16"), "field 'parameters[0]' ('partials_ptr'): Triton type '*f16' points to 'f16'");
        assertRefused(root -> parameter(root, 0).put("type", "constexpr"), "field 'parameters[0]' ('partials_ptr'): Triton type 'constexpr' is compiled");
    }

    @Test
    void refusesKernelsThatNeedScratchMemory() {
        assertRefused(root -> root.put("global_scratch_bytes", 256),
                "field 'global_scratch_bytes': the kernel needs 256 bytes of global scratch memory, which qlinear does not provide");
        assertRefused(root -> root.put("profile_scratch_bytes", 64),
                "field 'profile_scratch_bytes': the kernel needs 64 bytes of profile scratch memory, which qlinear does not provide");
        assertRefused(root -> root.put("global_scratch_bytes", -1), "field 'global_scratch_bytes': -1 must not be negative");
    }

    @Test
    void refusesParametersWithoutTheAppendedScratchPointersLast() {
        assertRefused(root -> {
            ArrayNode parameters = (ArrayNode) root.get("parameters");
            parameters.remove(parameters.size() - 1);
            parameters.remove(parameters.size() - 1);
        }, "field 'parameters': the last two must be the global and profile scratch pointers Triton 3.6 appends (\"appended\": true, a pointer type such as "
                + "*i8), got ['splits' (i32, not appended), 'has_bias' (i32, not appended)]");
        assertRefused(root -> parameter(root, 9).remove("appended"), "got ['global_scratch' (*i8, appended), 'profile_scratch' (*i8, not appended)]");
        assertRefused(root -> parameter(root, 8).put("type", "i32"), "got ['global_scratch' (i32, appended), 'profile_scratch' (*i8, appended)]");
        assertRefused(root -> root.putArray("parameters"), "field 'parameters': the last two must be the global and profile scratch pointers");
    }

    @Test
    void refusesAnAppendedParameterBeforeTheLastTwo() {
        assertRefused(root -> parameter(root, 2).put("appended", true),
                "field 'parameters[2]' ('out_ptr'): only the last two parameters may be appended by Triton, this is parameter 2 of 10");
    }

    @Test
    void refusesDuplicateAndEmptyParameterNames() {
        assertRefused(root -> parameter(root, 4).put("name", "M"), "field 'parameters[4]' ('M'): the name is used by an earlier parameter too");
        assertRefused(root -> parameter(root, 4).put("name", ""), "field 'parameters[4]' (unnamed): the name must not be empty");
    }

    @Test
    void readsWhatTheImageAssumesDivisible() {
        TritonManifest manifest = TritonManifest.parse(FILE, broken(root -> root.putObject("divisibility").put("partials_ptr", 16).put("N", 8)
                .put("stride_om", 8)));

        assertThat(manifest.divisibility()).containsExactly(Map.entry("partials_ptr", 16), Map.entry("N", 8), Map.entry("stride_om", 8));
    }

    @Test
    void refusesDivisibilityOfParametersItCannotApplyTo() {
        assertRefused(root -> root.putObject("divisibility").put("K", 8),
                "field 'divisibility': 'K' is not one of the kernel's own parameters [partials_ptr, bias_ptr, out_ptr, M, N, stride_om, splits, has_bias]");
        assertRefused(root -> root.putObject("divisibility").put("global_scratch", 16), "field 'divisibility': 'global_scratch' is not one of the kernel's own");
        assertRefused(root -> root.putObject("divisibility").put("N", 0), "field 'divisibility': 'N': 0 must be at least 1");
        assertRefused(root -> root.putObject("divisibility").put("N", "8"), "field 'divisibility': 'N' must be an integer that fits 32 bits, got \"8\"");
        assertRefused(root -> {
            parameter(root, 5).put("type", "fp32");
            root.putObject("divisibility").put("stride_om", 8);
        }, "field 'divisibility': 'stride_om' is a fp32: only pointers and i32 or i64 integers can be assumed divisible");
    }

    @Test
    void refusesWarpCountsABlockCannotHave() {
        for (int warps : new int[] {0, 3, 64, -4}) {
            assertRefused(root -> root.put("num_warps", warps),
                    "field 'num_warps': " + warps + " must be a power of two from 1 to 32 (a block has 32 threads a warp on sm_80, at most 1024)");
        }
    }

    @Test
    void refusesNegativeSharedMemoryAndStages() {
        assertRefused(root -> root.put("shared_bytes", -16), "field 'shared_bytes': -16 must not be negative");
        assertRefused(root -> root.put("num_stages", -1), "field 'num_stages': -1 must not be negative");
    }

    @Test
    void refusesAnImageThatIsNotThisVariantsAndTargets() {
        assertRefused(root -> root.put("image", "w4a16_reduce_f16.sm_80.ptx"),
                "field 'image': 'w4a16_reduce_f16.sm_80.ptx' must be 'w4a16_reduce_f16.sm_80.cubin', the cubin of this variant and target");
        assertRefused(root -> root.put("image", "w4a16_reduce_bf16.sm_80.cubin"), "must be 'w4a16_reduce_f16.sm_80.cubin'");
        assertRefused(root -> root.put("target", "compute_80"), "field 'image': 'w4a16_reduce_f16.sm_80.cubin' must be 'w4a16_reduce_f16.compute_80.ptx'");
        assertRefused(root -> root.put("target", "sm80"), "field 'target': 'sm80' is not a Triton image target: expected sm_XY or sm_XYa");
        assertRefused(root -> root.put("variant", "w4a16 reduce"), "field 'variant': 'w4a16 reduce' must be letters, digits, '_' and '-'");
    }

    @Test
    void refusesSourcesThatCannotCatchStaleImages() {
        assertRefused(root -> root.putObject("sources"), "field 'sources': must name at least one source file, or stale images cannot be detected");
        assertRefused(root -> ((ObjectNode) root.get("sources")).put("w4a16.py", "abc123"),
                "field 'sources': the SHA-256 of w4a16.py, 'abc123', must be 64 lower-case hex digits");
        assertRefused(root -> ((ObjectNode) root.get("sources")).put("../other/x.py", SHA_W4A16),
                "field 'sources': '../other/x.py' must be a file name relative to the plugin's src/main/triton");
    }

    @Test
    void refusesMissingAndMistypedFields() {
        assertRefused(root -> root.remove("function"), "field 'function' is missing");
        assertRefused(root -> root.put("num_warps", "four"), "field 'num_warps' must be an integer that fits 32 bits, got \"four\"");
        assertRefused(root -> root.put("shared_bytes", 1.5), "field 'shared_bytes' must be an integer that fits 32 bits, got 1.5");
        assertRefused(root -> root.put("shared_bytes", 1L << 40), "field 'shared_bytes' must be an integer that fits 32 bits, got 1099511627776");
        assertRefused(root -> root.put("variant", 7), "field 'variant' must be a string, got 7");
        assertRefused(root -> root.put("parameters", "x"), "field 'parameters' must be an array, got \"x\"");
        assertRefused(root -> parameter(root, 1).put("appended", "yes"), "field 'parameters[1]': 'appended' must be true or false, got \"yes\"");
        assertRefused(root -> parameter(root, 1).remove("type"), "field 'parameters[1]': 'type' must be a Triton type string, got null");
        assertRefused(root -> root.putObject("constexprs").putArray("BLOCK"), "field 'constexprs': 'BLOCK' must be a number, a boolean or a string, got []");
        assertRefused(root -> ((ObjectNode) root.get("sources")).put("w4a16.py", 5), "field 'sources': 'w4a16.py' must be a SHA-256 as a string, got 5");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> TritonManifest.parse(FILE, broken(root -> root.put("num_warps", 3).put("global_scratch_bytes", 128))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(FILE + " is not a valid Triton manifest: ")
                .hasMessageContaining("field 'num_warps': 3 must be a power of two")
                .hasMessageContaining("field 'global_scratch_bytes': the kernel needs 128 bytes");
        assertThatThrownBy(() -> TritonManifest.parse(FILE, broken(root -> root.remove(List.of("function", "target")))))
                .hasMessageContaining("field 'function' is missing")
                .hasMessageContaining("field 'target' is missing");
    }

    @Test
    void refusesWhatIsNotAJsonObject() {
        assertThatThrownBy(() -> TritonManifest.parse(FILE, "{\"variant\": ".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(FILE + " is not a valid Triton manifest: not JSON (");
        assertThatThrownBy(() -> TritonManifest.parse(FILE, "[1, 2]".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(FILE + " is not a valid Triton manifest: a JSON object is expected");
    }

    @Test
    void theRecordChecksTheSameRules() {
        TritonManifest real = TritonManifest.parse(FILE, reduceManifest());
        assertThat(new TritonManifest(real.variant(), real.kernel(), real.function(), real.target(), real.image(), real.parameters(), real.constexprs(),
                real.divisibility(), real.numWarps(), real.numStages(), real.sharedBytes(), 0, 0, real.tritonVersion(), real.sources())).isEqualTo(real);

        assertThatThrownBy(() -> new TritonManifest(real.variant(), real.kernel(), real.function(), real.target(), real.image(), real.parameters(),
                real.constexprs(), real.divisibility(), 48, real.numStages(), real.sharedBytes(), 0, 0, real.tritonVersion(), real.sources()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Triton manifest of w4a16_reduce_f16 for sm_80: field 'num_warps': 48 must be a power of two from 1 to 32 (a block has 32 threads"
                        + " a warp on sm_80, at most 1024)");
        assertThatThrownBy(() -> real.parameters().add(real.parameters().get(0))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> real.sources().put("x.py", SHA_W4A16)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(real.ownParameters()).extracting(Parameter::name).containsExactly("partials_ptr", "bias_ptr", "out_ptr", "M", "N", "stride_om", "splits",
                "has_bias");
    }

    private static void assertRefused(Consumer<ObjectNode> breakIt, String message) {
        assertThatThrownBy(() -> TritonManifest.parse(FILE, broken(breakIt)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(FILE + " is not a valid Triton manifest: ")
                .hasMessageContaining(message);
    }

    private static ObjectNode parameter(ObjectNode root, int index) {
        return (ObjectNode) root.get("parameters").get(index);
    }

    /** The real sm_80 manifest of the W4A16 reduce kernel, with one change. */
    private static byte[] broken(Consumer<ObjectNode> breakIt) {
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(reduceManifest());
            breakIt.accept(root);
            return MAPPER.writeValueAsBytes(root);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] reduceManifest() {
        return TritonFixtures.bytes(TritonFixtures.W4A16_IMAGES + "/w4a16_reduce_f16.sm_80.json");
    }
}
