package dev.qlinear.core.rocm.hip;

import dev.qlinear.core.rocm.hip.HipRuntimeApi.hipDeviceProp_t;
import dev.qlinear.core.testing.NativeBuild;
import dev.qlinear.core.testing.RocmPackages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binding against Debian's {@code hip_runtime_api.h} (HIP 5.2, the layout the unversioned
 * {@code hipGetDeviceProperties} fills): a probe compiled with g++ prints what the header says, and every struct field,
 * constant and function declaration of the binding must agree with it.
 */
final class TestHipRuntimeApiHeader {

    private static final Path PROBE_SOURCE = Path.of("src/test/c/hip_runtime_api_probe.cpp");
    private static final String FIELD_PREFIX = "hipDeviceProp_t.";

    @TempDir
    Path work;

    @Test
    void theStructLayoutHasTheHeadersSizeAndOffsets() throws Exception {
        Map<String, Long> header = probe();

        assertThat(hipDeviceProp_t.LAYOUT.byteSize()).as("sizeof(hipDeviceProp_t)").isEqualTo(header.get("sizeof(hipDeviceProp_t)"));
        Map<String, Long> javaOffsets = namedFields().stream()
                .collect(Collectors.toMap(name -> name, hipDeviceProp_t::offsetOf, (first, second) -> first, LinkedHashMap::new));
        Map<String, Long> headerOffsets = header.entrySet().stream().filter(entry -> entry.getKey().startsWith(FIELD_PREFIX))
                .collect(Collectors.toMap(entry -> entry.getKey().substring(FIELD_PREFIX.length()), Map.Entry::getValue));
        // the probe names every field the layout names, and no other
        assertThat(javaOffsets).containsExactlyInAnyOrderEntriesOf(headerOffsets);
        assertThat(hipDeviceProp_t.offsetOf("gcnArchName")).isEqualTo(396);
        assertThat(hipDeviceProp_t.BUFFER_BYTES).isGreaterThanOrEqualTo(4096).isGreaterThan(hipDeviceProp_t.LAYOUT.byteSize());
    }

    @Test
    void theAccessorsReadTheFieldsAtTheHeadersOffsets() throws Exception {
        Map<String, Long> header = probe();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment prop = hipDeviceProp_t.allocate(arena);
            prop.setString(header.get(FIELD_PREFIX + "name"), "AMD Instinct MI300X");
            prop.set(JAVA_LONG, header.get(FIELD_PREFIX + "totalGlobalMem"), 206_141_652_992L);
            prop.set(JAVA_INT, header.get(FIELD_PREFIX + "warpSize"), 64);
            prop.set(JAVA_INT, header.get(FIELD_PREFIX + "major"), 9);
            prop.set(JAVA_INT, header.get(FIELD_PREFIX + "minor"), 4);
            prop.set(JAVA_INT, header.get(FIELD_PREFIX + "multiProcessorCount"), 304);
            prop.set(JAVA_INT, header.get(FIELD_PREFIX + "l2CacheSize"), 4_194_304);
            prop.setString(header.get(FIELD_PREFIX + "gcnArchName"), "gfx942:sramecc+:xnack-");

            assertThat(hipDeviceProp_t.name(prop)).isEqualTo("AMD Instinct MI300X");
            assertThat(hipDeviceProp_t.totalGlobalMem(prop)).isEqualTo(206_141_652_992L);
            assertThat(hipDeviceProp_t.warpSize(prop)).isEqualTo(64);
            assertThat(hipDeviceProp_t.major(prop)).isEqualTo(9);
            assertThat(hipDeviceProp_t.minor(prop)).isEqualTo(4);
            assertThat(hipDeviceProp_t.multiProcessorCount(prop)).isEqualTo(304);
            assertThat(hipDeviceProp_t.l2CacheSize(prop)).isEqualTo(4_194_304);
            assertThat(hipDeviceProp_t.gcnArchName(prop)).isEqualTo("gfx942:sramecc+:xnack-");
        }
    }

    @Test
    void everyConstantHasTheHeadersValue() throws Exception {
        Map<String, Long> header = probe();

        Map<String, Long> constants = new LinkedHashMap<>();
        for (Field field : HipRuntimeApi.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == int.class) {
                constants.put(field.getName(), (long) field.getInt(null));
            }
        }
        Map<String, Long> headerConstants = header.entrySet().stream()
                .filter(entry -> !entry.getKey().startsWith(FIELD_PREFIX) && !entry.getKey().startsWith("sizeof"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        assertThat(constants).isNotEmpty().containsExactlyInAnyOrderEntriesOf(headerConstants);
    }

    @Test
    void everyBoundFunctionIsDeclaredInTheHeaderAsTheBindingSays() throws Exception {
        Path include = RocmPackages.hipIncludeFolder();
        StringBuilder source = new StringBuilder("#include <hip/hip_runtime_api.h>\n#include <type_traits>\n");
        // the sizes the carriers below assume
        for (String handle : List.of("hipStream_t", "hipModule_t", "hipFunction_t")) {
            source.append("static_assert(std::is_pointer<").append(handle).append(">::value, \"").append(handle).append(" is a pointer\");\n");
        }
        source.append("static_assert(sizeof(void*) == 8 && sizeof(size_t) == 8, \"64-bit pointers and size_t\");\n");
        source.append("static_assert(sizeof(int) == 4 && sizeof(hipError_t) == 4 && sizeof(hipMemcpyKind) == 4, \"4-byte ints and enums\");\n");
        source.append("extern \"C\" {\n");
        for (HipRuntimeApi.Symbol symbol : HipRuntimeApi.Symbol.values()) {
            source.append(symbol.declaration()).append(";\n");
        }
        source.append("}\n");

        // a declaration that conflicts with the header's is a compile error: the C types are the header's
        NativeBuild.succeed(work, compile(include, Files.writeString(work.resolve("declarations.cpp"), source)));
        List<String> mismatches = new ArrayList<>();
        for (HipRuntimeApi.Symbol symbol : HipRuntimeApi.Symbol.values()) {
            assertThat(symbol.declaration()).as("the declaration of %s", symbol).contains(" " + symbol.name() + "(");
            List<String> types = cTypes(symbol.declaration());
            List<MemoryLayout> layouts = new ArrayList<>(List.of(symbol.descriptor().returnLayout().orElseThrow()));
            layouts.addAll(symbol.descriptor().argumentLayouts());
            if (types.size() != layouts.size()) {
                mismatches.add(symbol + " declares " + (types.size() - 1) + " parameters, its downcall takes " + (layouts.size() - 1));
                continue;
            }
            for (int index = 0; index < types.size(); index++) {
                if (!passableAs(types.get(index), layouts.get(index))) {
                    mismatches.add(symbol + (index == 0 ? " returns " : " parameter " + index + " is ") + types.get(index) + ", bound as " + layouts.get(index));
                }
            }
        }
        assertThat(mismatches).isEmpty();
    }

    @Test
    void aDeclarationOtherThanTheHeadersDoesNotCompile() throws Exception {
        Path include = RocmPackages.hipIncludeFolder();
        Path source = Files.writeString(work.resolve("wrong.cpp"), "#include <hip/hip_runtime_api.h>\nextern \"C\" {\nhipError_t hipMalloc(void** ptr, int size);\n}\n");

        NativeBuild.Run run = NativeBuild.run(work, compile(include, source));

        assertThat(run.exitCode()).isNotZero();
        assertThat(run.output()).contains("conflicting declaration", "hipMalloc");
    }

    /** What the probe prints, "name value" per line. */
    private Map<String, Long> probe() throws IOException, InterruptedException {
        Path include = RocmPackages.hipIncludeFolder();
        Path binary = work.resolve("hip_runtime_api_probe");
        List<String> command = new ArrayList<>(compile(include, PROBE_SOURCE.toAbsolutePath()));
        command.set(command.indexOf("-fsyntax-only"), "-o");
        command.add(command.indexOf("-o") + 1, binary.toString());
        NativeBuild.succeed(work, command);
        String output = NativeBuild.succeed(work, List.of(binary.toString()));
        return output.lines().map(line -> line.split(" ")).collect(Collectors.toMap(parts -> parts[0], parts -> Long.parseLong(parts[1])));
    }

    private static List<String> compile(Path include, Path source) {
        return List.of(RocmPackages.compiler("g++"), "-D__HIP_PLATFORM_AMD__", "-I" + include, "-fsyntax-only", source.toString());
    }

    private static List<String> namedFields() {
        return hipDeviceProp_t.LAYOUT.memberLayouts().stream().map(MemoryLayout::name).flatMap(Optional::stream).toList();
    }

    /** The C types of a declaration, result first. */
    private static List<String> cTypes(String declaration) {
        String result = declaration.substring(0, declaration.lastIndexOf(' ', declaration.indexOf('(')));
        String parameters = declaration.substring(declaration.indexOf('(') + 1, declaration.lastIndexOf(')'));
        List<String> types = new ArrayList<>(List.of(result.trim()));
        if (!parameters.equals("void")) {
            Arrays.stream(parameters.split(",")).map(String::trim).map(parameter -> parameter.substring(0, parameter.lastIndexOf(' ')).trim())
                    .forEach(types::add);
        }
        return types;
    }

    /**
     * Whether a value of the C type can be passed as the layout: a pointer as a pointer or as a 64-bit integer (the
     * binding passes handles and device pointers so), {@code size_t} as a 64-bit integer, ints and enums as 32-bit ones.
     */
    private static boolean passableAs(String cType, MemoryLayout layout) {
        boolean pointer = cType.endsWith("*") || List.of("hipStream_t", "hipEvent_t", "hipModule_t", "hipFunction_t").contains(cType);
        if (pointer) {
            return layout.equals(ADDRESS) || layout.equals(JAVA_LONG);
        }
        return switch (cType) {
            case "size_t" -> layout.equals(JAVA_LONG);
            case "int", "unsigned int", "hipError_t", "hipMemcpyKind" -> layout.equals(JAVA_INT);
            default -> false;
        };
    }
}
