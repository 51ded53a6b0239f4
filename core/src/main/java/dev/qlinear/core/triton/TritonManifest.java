package dev.qlinear.core.triton;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.triton.TritonKernelInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The manifest {@code plugins/triton-aot.py} writes beside each compiled Triton image ({@code VARIANT.TARGET.json}).
 * Field names follow the JSON ({@code num_warps} is {@link #numWarps}). The parameters are every launch parameter in
 * order, including the global and profile scratch pointers Triton 3.6 appends; {@link #kernelInfo()} gives the
 * kernel's own ones.
 *
 * @param variant the variant's name, such as {@code w4a16_f16_zp_m16n64k64}
 * @param kernel the {@code @triton.jit} function compiled
 * @param function the entry point in the image
 * @param target {@code sm_80}, {@code sm_90a} (machine code), {@code compute_80} (PTX) or a gfx architecture
 * @param image the image file beside the manifest: {@code VARIANT.TARGET.cubin}, {@code .ptx} or {@code .hsaco}
 * @param parameters every launch parameter in order, the two appended scratch pointers last
 * @param constexprs the compile-time constants, each value as JSON text ({@code 64}, {@code true}, {@code 448.0})
 * @param divisibility what the image was compiled to assume of its own parameters ({@code tt.divisibility}): a pointer
 *        aligned to that many bytes, an integer a multiple of it; a launch that breaks it would compute garbage, so
 *        the host checks it. Empty in manifests written before the field existed
 * @param numWarps warps a program
 * @param numStages software pipeline stages
 * @param sharedBytes dynamic shared memory a program needs
 * @param globalScratchBytes global scratch memory the kernel needs: must be 0, qlinear provides none
 * @param profileScratchBytes profile scratch memory the kernel needs: must be 0, qlinear provides none
 * @param tritonVersion the Triton version that compiled the image
 * @param sources the SHA-256 (lower-case hex) of every source file the image was built from, by file name relative to
 *        the plugin's {@code src/main/triton}
 */
public record TritonManifest(
        String variant,
        String kernel,
        String function,
        String target,
        String image,
        List<Parameter> parameters,
        Map<String, String> constexprs,
        Map<String, Integer> divisibility,
        int numWarps,
        int numStages,
        int sharedBytes,
        long globalScratchBytes,
        long profileScratchBytes,
        String tritonVersion,
        Map<String, String> sources) {

    /** The scratch pointers Triton 3.6 appends to every kernel's parameters. */
    public static final int APPENDED_PARAMETERS = 2;

    /** Element types a Triton pointer type ({@code *fp16}) may point to. */
    private static final Set<String> ELEMENT_TYPES = Set.of("i1", "i8", "i16", "i32", "i64", "u1", "u8", "u16", "u32", "u64", "fp8e4nv", "fp8e4b8",
            "fp8e4b15", "fp8e5", "fp8e5b16", "fp16", "bf16", "fp32", "fp64");
    private static final Pattern VARIANT_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern CUDA_MACHINE_CODE = Pattern.compile("sm_\\d{2,3}a?");
    private static final Pattern CUDA_PTX = Pattern.compile("compute_\\d{2,3}a?");
    private static final Pattern ROCM_TARGET = Pattern.compile("gfx[0-9]{1,2}[0-9a-f]{2}");
    private static final Pattern SHA_256 = Pattern.compile("[0-9a-f]{64}");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * One launch parameter.
     *
     * @param name its name in the kernel's signature
     * @param type its Triton type string, such as {@code *fp16} or {@code i32}
     * @param appended whether Triton appended it (the scratch pointers) rather than the kernel declaring it
     */
    public record Parameter(String name, String type, boolean appended) {
        public Parameter {
            requireNonNull(name, "name is null");
            requireNonNull(type, "type is null");
        }

        /**
         * The C type a launch passes.
         *
         * @throws IllegalArgumentException naming the parameter and its type when qlinear cannot pass it
         */
        public KernelArguments.Kind kind() {
            try {
                return kindOf(type);
            }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("parameter '" + name + "': " + e.getMessage(), e);
            }
        }
    }

    public TritonManifest {
        requireNonNull(variant, "variant is null");
        requireNonNull(kernel, "kernel is null");
        requireNonNull(function, "function is null");
        requireNonNull(target, "target is null");
        requireNonNull(image, "image is null");
        parameters = List.copyOf(requireNonNull(parameters, "parameters is null"));
        constexprs = orderedCopy(requireNonNull(constexprs, "constexprs is null"));
        divisibility = orderedCopy(requireNonNull(divisibility, "divisibility is null"));
        requireNonNull(tritonVersion, "tritonVersion is null");
        sources = orderedCopy(requireNonNull(sources, "sources is null"));
        List<String> problems = check(variant, kernel, function, target, image, parameters, constexprs, divisibility, numWarps, numStages, sharedBytes,
                globalScratchBytes, profileScratchBytes, tritonVersion, sources);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Triton manifest of " + variant + " for " + target + ": " + String.join("; ", problems));
        }
    }

    /**
     * The launch argument kind of a Triton type: a pointer ({@code *fp16}, {@code *fp8e4nv}, ...) is
     * {@link KernelArguments.Kind#POINTER}, {@code i32} {@code INT32}, {@code i64} {@code INT64}, {@code fp32}
     * {@code FLOAT32}.
     *
     * @throws IllegalArgumentException naming the type and why for any other type
     */
    public static KernelArguments.Kind kindOf(String tritonType) {
        requireNonNull(tritonType, "tritonType is null");
        if (tritonType.startsWith("*")) {
            String element = tritonType.substring(1);
            if (ELEMENT_TYPES.contains(element)) {
                return KernelArguments.Kind.POINTER;
            }
            throw new IllegalArgumentException("Triton type '" + tritonType + "' points to '" + element + "', which is not a Triton element type (one of "
                    + String.join(", ", ELEMENT_TYPES.stream().sorted().toList()) + ")");
        }
        return switch (tritonType) {
            case "i32" -> KernelArguments.Kind.INT32;
            case "i64" -> KernelArguments.Kind.INT64;
            case "fp32" -> KernelArguments.Kind.FLOAT32;
            case "constexpr" -> throw new IllegalArgumentException("Triton type 'constexpr' is compiled into the image, not passed at launch: "
                    + "a constexpr belongs in the manifest's constexprs, not in its parameters");
            default -> throw new IllegalArgumentException(ELEMENT_TYPES.contains(tritonType)
                    ? "Triton scalar type '" + tritonType + "' cannot be passed by qlinear: scalar parameters must be i32, i64 or fp32"
                    : "'" + tritonType + "' is not a Triton type: expected a pointer such as *fp16 or a scalar i32, i64 or fp32");
        };
    }

    /** Reads a manifest file. */
    public static TritonManifest read(Path file) {
        requireNonNull(file, "file is null");
        try {
            return parse(file.toString(), Files.readAllBytes(file));
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot read the Triton manifest " + file, e);
        }
    }

    /**
     * Parses and validates a manifest.
     *
     * @param file where the bytes come from, for errors
     * @throws IllegalArgumentException naming the file, and for every field that breaks a rule the field and the rule
     */
    public static TritonManifest parse(String file, byte[] json) {
        requireNonNull(file, "file is null");
        requireNonNull(json, "json is null");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        }
        catch (JacksonException e) {
            throw new IllegalArgumentException(file + " is not a valid Triton manifest: not JSON (" + e.getOriginalMessage() + ")", e);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + " is not a valid Triton manifest: a JSON object is expected");
        }
        Fields fields = new Fields(root);
        String variant = fields.text("variant");
        String kernel = fields.text("kernel");
        String function = fields.text("function");
        String target = fields.text("target");
        String image = fields.text("image");
        List<Parameter> parameters = fields.parameters();
        Map<String, String> constexprs = fields.map("constexprs", value -> value.isValueNode() && !value.isNull(), "a number, a boolean or a string",
                value -> value.isTextual() ? value.asText() : value.toString());
        Map<String, Integer> divisibility = fields.optionalMap("divisibility", value -> value.isIntegralNumber() && value.canConvertToInt(),
                "an integer that fits 32 bits", JsonNode::asInt);
        int numWarps = (int) fields.integer("num_warps", Integer.MIN_VALUE, Integer.MAX_VALUE);
        int numStages = (int) fields.integer("num_stages", Integer.MIN_VALUE, Integer.MAX_VALUE);
        int sharedBytes = (int) fields.integer("shared_bytes", Integer.MIN_VALUE, Integer.MAX_VALUE);
        long globalScratchBytes = fields.integer("global_scratch_bytes", Long.MIN_VALUE, Long.MAX_VALUE);
        long profileScratchBytes = fields.integer("profile_scratch_bytes", Long.MIN_VALUE, Long.MAX_VALUE);
        String tritonVersion = fields.text("triton_version");
        Map<String, String> sources = fields.map("sources", JsonNode::isTextual, "a SHA-256 as a string", JsonNode::asText);
        List<String> problems = fields.problems;
        if (problems.isEmpty()) {
            problems = check(variant, kernel, function, target, image, parameters, constexprs, divisibility, numWarps, numStages, sharedBytes,
                    globalScratchBytes, profileScratchBytes, tritonVersion, sources);
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + " is not a valid Triton manifest: " + String.join("; ", problems));
        }
        return new TritonManifest(variant, kernel, function, target, image, parameters, constexprs, divisibility, numWarps, numStages, sharedBytes,
                globalScratchBytes, profileScratchBytes, tritonVersion, sources);
    }

    /** The kernel's own parameters, without the scratch pointers Triton appends. */
    public List<Parameter> ownParameters() {
        return parameters.subList(0, parameters.size() - APPENDED_PARAMETERS);
    }

    /** The kinds of every launch parameter, the two appended scratch pointers included. */
    public List<KernelArguments.Kind> signature() {
        return parameters.stream().map(Parameter::kind).toList();
    }

    /** What the SPI tells a plugin about the variant: its own parameters only. */
    public TritonKernelInfo kernelInfo() {
        List<Parameter> own = ownParameters();
        return new TritonKernelInfo(variant, function, target, own.stream().map(Parameter::name).toList(), own.stream().map(Parameter::kind).toList(),
                constexprs, numWarps, numStages, sharedBytes, tritonVersion);
    }

    /** The file name of this manifest: {@code VARIANT.TARGET.json}. */
    public String fileName() {
        return variant + "." + target + ".json";
    }

    /** The image file extension a target has: {@code cubin} for machine code, {@code ptx}, {@code hsaco} for ROCm. */
    static String imageExtension(String target) {
        if (CUDA_MACHINE_CODE.matcher(target).matches()) {
            return "cubin";
        }
        if (CUDA_PTX.matcher(target).matches()) {
            return "ptx";
        }
        if (ROCM_TARGET.matcher(target).matches()) {
            return "hsaco";
        }
        throw new IllegalArgumentException("'" + target + "' is not a Triton image target: expected sm_XY or sm_XYa (CUDA machine code), compute_XY "
                + "(PTX) or a gfx architecture such as gfx942");
    }

    private static List<String> check(String variant, String kernel, String function, String target, String image, List<Parameter> parameters,
            Map<String, String> constexprs, Map<String, Integer> divisibility, int numWarps, int numStages, int sharedBytes, long globalScratchBytes,
            long profileScratchBytes, String tritonVersion, Map<String, String> sources) {
        List<String> problems = new ArrayList<>();
        if (!VARIANT_NAME.matcher(variant).matches()) {
            problems.add("field 'variant': '" + variant + "' must be letters, digits, '_' and '-' (it names files)");
        }
        requireNotBlank(problems, "kernel", kernel);
        requireNotBlank(problems, "function", function);
        String extension = null;
        try {
            extension = imageExtension(target);
        }
        catch (IllegalArgumentException e) {
            problems.add("field 'target': " + e.getMessage());
        }
        if (extension != null && !image.equals(variant + "." + target + "." + extension)) {
            problems.add("field 'image': '" + image + "' must be '" + variant + "." + target + "." + extension + "', the " + extension
                    + " of this variant and target");
        }
        checkParameters(problems, parameters);
        constexprs.keySet().stream().filter(String::isBlank).findAny().ifPresent(name -> problems.add("field 'constexprs': a constant has an empty name"));
        checkDivisibility(problems, parameters, divisibility);
        int warpSize = TritonKernelInfo.warpSize(target);
        if (numWarps < 1 || numWarps > 1024 / warpSize || Integer.bitCount(numWarps) != 1) {
            problems.add("field 'num_warps': " + numWarps + " must be a power of two from 1 to " + 1024 / warpSize + " (a block has " + warpSize
                    + " threads a warp on " + target + ", at most 1024)");
        }
        if (numStages < 0) {
            problems.add("field 'num_stages': " + numStages + " must not be negative");
        }
        if (sharedBytes < 0) {
            problems.add("field 'shared_bytes': " + sharedBytes + " must not be negative");
        }
        checkScratch(problems, "global_scratch_bytes", "global", globalScratchBytes);
        checkScratch(problems, "profile_scratch_bytes", "profile", profileScratchBytes);
        requireNotBlank(problems, "triton_version", tritonVersion);
        if (sources.isEmpty()) {
            problems.add("field 'sources': must name at least one source file, or stale images cannot be detected");
        }
        sources.forEach((name, sha) -> {
            if (name.isBlank() || name.startsWith("/") || name.contains("\\") || List.of(name.split("/")).contains("..")) {
                problems.add("field 'sources': '" + name + "' must be a file name relative to the plugin's src/main/triton");
            }
            if (!SHA_256.matcher(sha).matches()) {
                problems.add("field 'sources': the SHA-256 of " + name + ", '" + sha + "', must be 64 lower-case hex digits");
            }
        });
        return problems;
    }

    private static void checkParameters(List<String> problems, List<Parameter> parameters) {
        Set<String> names = new HashSet<>();
        for (int index = 0; index < parameters.size(); index++) {
            Parameter parameter = parameters.get(index);
            String field = "field 'parameters[" + index + "]' (" + (parameter.name().isBlank() ? "unnamed" : "'" + parameter.name() + "'") + ")";
            if (parameter.name().isBlank()) {
                problems.add(field + ": the name must not be empty");
            }
            else if (!names.add(parameter.name())) {
                problems.add(field + ": the name is used by an earlier parameter too");
            }
            try {
                kindOf(parameter.type());
            }
            catch (IllegalArgumentException e) {
                problems.add(field + ": " + e.getMessage());
            }
            boolean last = index >= parameters.size() - APPENDED_PARAMETERS;
            if (parameter.appended() && !last) {
                problems.add(field + ": only the last two parameters may be appended by Triton, this is parameter " + index + " of " + parameters.size());
            }
        }
        List<Parameter> tail = parameters.subList(Math.max(0, parameters.size() - APPENDED_PARAMETERS), parameters.size());
        boolean scratchPointers = tail.size() == APPENDED_PARAMETERS
                && tail.stream().allMatch(parameter -> parameter.appended() && parameter.type().startsWith("*"));
        if (!scratchPointers) {
            problems.add("field 'parameters': the last two must be the global and profile scratch pointers Triton 3.6 appends (\"appended\": true, "
                    + "a pointer type such as *i8), got " + (tail.isEmpty() ? "none" : tail.stream()
                    .map(parameter -> "'" + parameter.name() + "' (" + parameter.type() + (parameter.appended() ? ", appended" : ", not appended") + ")")
                    .toList()) + "; recompile with plugins/triton-aot.py");
        }
    }

    private static void checkDivisibility(List<String> problems, List<Parameter> parameters, Map<String, Integer> divisibility) {
        List<Parameter> own = parameters.subList(0, Math.max(0, parameters.size() - APPENDED_PARAMETERS));
        divisibility.forEach((name, divisor) -> {
            String field = "field 'divisibility': '" + name + "'";
            Parameter parameter = own.stream().filter(candidate -> candidate.name().equals(name)).findFirst().orElse(null);
            if (parameter == null) {
                problems.add(field + " is not one of the kernel's own parameters " + own.stream().map(Parameter::name).toList());
            }
            else if (!parameter.type().startsWith("*") && !parameter.type().equals("i32") && !parameter.type().equals("i64")) {
                problems.add(field + " is a " + parameter.type() + ": only pointers and i32 or i64 integers can be assumed divisible");
            }
            if (divisor < 1) {
                problems.add(field + ": " + divisor + " must be at least 1");
            }
        });
    }

    private static void checkScratch(List<String> problems, String field, String kind, long bytes) {
        if (bytes < 0) {
            problems.add("field '" + field + "': " + bytes + " must not be negative");
        }
        else if (bytes > 0) {
            problems.add("field '" + field + "': the kernel needs " + bytes + " bytes of " + kind + " scratch memory, which qlinear does not provide "
                    + "(qlinear passes null scratch pointers); change the kernel or its options so that Triton needs none");
        }
    }

    private static void requireNotBlank(List<String> problems, String field, String value) {
        if (value.isBlank()) {
            problems.add("field '" + field + "': must not be empty");
        }
    }

    private static <V> Map<String, V> orderedCopy(Map<String, V> map) {
        Map<String, V> copy = new LinkedHashMap<>();
        map.forEach((key, value) -> copy.put(requireNonNull(key, "a key is null"), requireNonNull(value, () -> "the value of " + key + " is null")));
        return Collections.unmodifiableMap(copy);
    }

    /** Reads the fields of the JSON object, collecting every missing or mistyped one. */
    private static final class Fields {

        private final JsonNode root;
        private final List<String> problems = new ArrayList<>();

        Fields(JsonNode root) {
            this.root = root;
        }

        String text(String field) {
            JsonNode value = root.get(field);
            if (value == null) {
                problems.add("field '" + field + "' is missing");
                return "";
            }
            if (!value.isTextual()) {
                problems.add("field '" + field + "' must be a string, got " + value);
                return "";
            }
            return value.asText();
        }

        long integer(String field, long min, long max) {
            JsonNode value = root.get(field);
            if (value == null) {
                problems.add("field '" + field + "' is missing");
                return 0;
            }
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < min || value.asLong() > max) {
                problems.add("field '" + field + "' must be an integer" + (max == Integer.MAX_VALUE ? " that fits 32 bits" : "") + ", got " + value);
                return 0;
            }
            return value.asLong();
        }

        <V> Map<String, V> optionalMap(String field, Predicate<JsonNode> valid, String expected, Function<JsonNode, V> read) {
            return root.has(field) ? map(field, valid, expected, read) : Map.of();
        }

        <V> Map<String, V> map(String field, Predicate<JsonNode> valid, String expected, Function<JsonNode, V> read) {
            JsonNode value = root.get(field);
            if (value == null) {
                problems.add("field '" + field + "' is missing");
                return Map.of();
            }
            if (!value.isObject()) {
                problems.add("field '" + field + "' must be a JSON object, got " + value);
                return Map.of();
            }
            Map<String, V> entries = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> entry : value.properties()) {
                if (valid.test(entry.getValue())) {
                    entries.put(entry.getKey(), read.apply(entry.getValue()));
                }
                else {
                    problems.add("field '" + field + "': '" + entry.getKey() + "' must be " + expected + ", got " + entry.getValue());
                }
            }
            return entries;
        }

        List<Parameter> parameters() {
            JsonNode value = root.get("parameters");
            if (value == null) {
                problems.add("field 'parameters' is missing");
                return List.of();
            }
            if (!value.isArray()) {
                problems.add("field 'parameters' must be an array, got " + value);
                return List.of();
            }
            List<Parameter> parameters = new ArrayList<>();
            for (int index = 0; index < value.size(); index++) {
                JsonNode parameter = value.get(index);
                String field = "field 'parameters[" + index + "]'";
                if (!parameter.isObject()) {
                    problems.add(field + " must be an object with name and type, got " + parameter);
                    continue;
                }
                JsonNode name = parameter.get("name");
                JsonNode type = parameter.get("type");
                JsonNode appended = parameter.get("appended");
                boolean valid = true;
                if (name == null || !name.isTextual()) {
                    problems.add(field + ": 'name' must be a string, got " + name);
                    valid = false;
                }
                if (type == null || !type.isTextual()) {
                    problems.add(field + ": 'type' must be a Triton type string, got " + type);
                    valid = false;
                }
                if (appended != null && !appended.isBoolean()) {
                    problems.add(field + ": 'appended' must be true or false, got " + appended);
                    valid = false;
                }
                if (valid) {
                    parameters.add(new Parameter(name.asText(), type.asText(), appended != null && appended.asBoolean()));
                }
            }
            return parameters;
        }
    }
}
