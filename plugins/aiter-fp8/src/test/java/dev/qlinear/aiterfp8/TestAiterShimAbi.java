package dev.qlinear.aiterfp8;

import dev.qlinear.spi.device.KernelArguments;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shim's header compiled by gcc against the plugin's argument signatures: every struct's members by name and
 * order, the class of each member's C type, its offset and size, and each struct's size must be what
 * {@link KernelArguments} lays out, and the entry points the header declares must be those the plugin calls.
 */
final class TestAiterShimAbi {

    private static final Path HEADER = Path.of("src/main/hip/qlinear_aiter_fp8.h");
    private static final Pattern STRUCT = Pattern.compile("typedef\\s+struct\\s+(\\w+)\\s*\\{(.*?)\\}\\s*(\\w+)\\s*;", Pattern.DOTALL);
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern MEMBER_NAME = Pattern.compile("(\\w+)\\s*$");
    private static final Pattern ENTRY_POINT = Pattern.compile("int32_t\\s+(\\w+)\\s*\\(\\s*const\\s+void\\s*\\*\\s*\\w*\\s*,\\s*void\\s*\\*\\s*\\w*\\s*\\)\\s*;");

    @TempDir
    Path temp;

    @Test
    void theHeaderAndThePluginAgreeOnEveryMember() throws Exception {
        assertThat(HEADER).as("the shim's header, from the module folder").isRegularFile();
        assertThat(mismatches(Files.readString(HEADER))).isEmpty();
    }

    @Test
    void theHeaderDeclaresTheEntryPointsThePluginCalls() throws IOException {
        List<String> declared = new ArrayList<>();
        Matcher matcher = ENTRY_POINT.matcher(COMMENT.matcher(Files.readString(HEADER)).replaceAll(" "));
        while (matcher.find()) {
            declared.add(matcher.group(1));
        }
        assertThat(declared).containsExactlyElementsOf(AiterShimAbi.ALL.stream().map(AiterShimAbi.Struct::function).toList());
    }

    @Test
    void aHeaderThatDriftedIsCaught() throws Exception {
        String header = Files.readString(HEADER);
        // a wider m in the GEMM's arguments moves every member after it
        String widened = header.replaceFirst("(?s)(typedef struct qlinear_aiter_gemm_args \\{.*?)int32_t m;", "$1int64_t m;");
        assertThat(widened).isNotEqualTo(header);
        assertThat(mismatches(widened)).anySatisfy(problem -> assertThat(problem).startsWith("qlinear_aiter_gemm_args.m: C INT64 at 40 (8 bytes)"))
                .anySatisfy(problem -> assertThat(problem).startsWith("qlinear_aiter_gemm_args.n: C INT32 at 48"));
        // members in another order, with the same types and size
        String swapped = header.replace("    int32_t m;\n    int32_t k;\n    int64_t x_row_stride;", "    int32_t k;\n    int32_t m;\n    int64_t x_row_stride;");
        assertThat(swapped).isNotEqualTo(header);
        assertThat(mismatches(swapped)).contains("qlinear_aiter_quantize_args: members [x, xq, x_scale, k, m, x_row_stride, fnuz] in the header, "
                + "[x, xq, x_scale, m, k, x_row_stride, fnuz] in the plugin");
    }

    /** Every disagreement between the header text, compiled by gcc, and {@link AiterShimAbi}. */
    private List<String> mismatches(String header) throws IOException, InterruptedException {
        Map<String, List<String>> members = members(header);
        List<String> problems = new ArrayList<>();
        assertThat(members.keySet()).as("structs of the header").containsExactlyElementsOf(AiterShimAbi.ALL.stream().map(AiterShimAbi.Struct::typeName).toList());
        for (AiterShimAbi.Struct struct : AiterShimAbi.ALL) {
            List<String> names = struct.fields().stream().map(AiterShimAbi.Field::name).toList();
            if (!members.get(struct.typeName()).equals(names)) {
                problems.add(struct.typeName() + ": members " + members.get(struct.typeName()) + " in the header, " + names + " in the plugin");
            }
        }
        Map<String, String> compiled = compileAndRun(header, members);
        for (AiterShimAbi.Struct struct : AiterShimAbi.ALL) {
            KernelArguments arguments = struct.newArguments();
            for (int index = 0; index < struct.fields().size(); index++) {
                AiterShimAbi.Field field = struct.fields().get(index);
                String key = struct.typeName() + "." + field.name();
                String expected = field.kind().name() + " at " + arguments.structOffset(index) + " (" + field.kind().bytes() + " bytes)";
                String actual = compiled.get(key);
                if (!expected.equals(actual)) {
                    problems.add(key + ": C " + actual + ", plugin " + expected);
                }
            }
            String size = compiled.get(struct.typeName());
            if (!String.valueOf(arguments.structBytes()).equals(size)) {
                problems.add(struct.typeName() + ": sizeof " + size + " in C, " + arguments.structBytes() + " in the plugin");
            }
        }
        return problems;
    }

    /** The member names of each struct, in order, read from the header's text. */
    private static Map<String, List<String>> members(String header) {
        Map<String, List<String>> structs = new LinkedHashMap<>();
        Matcher matcher = STRUCT.matcher(COMMENT.matcher(header).replaceAll(" "));
        while (matcher.find()) {
            List<String> names = new ArrayList<>();
            for (String declaration : matcher.group(2).split(";")) {
                if (!declaration.isBlank()) {
                    Matcher name = MEMBER_NAME.matcher(declaration.trim());
                    assertThat(name.find()).as("a member name in '%s'", declaration.trim()).isTrue();
                    names.add(name.group(1));
                }
            }
            structs.put(matcher.group(3), names);
        }
        return structs;
    }

    /**
     * gcc compiles a program that prints, for every member of every struct, the class of its type, its offset and its
     * size, and each struct's size: {@code struct.member KIND at OFFSET (SIZE bytes)} and {@code struct SIZE}.
     */
    private Map<String, String> compileAndRun(String header, Map<String, List<String>> members) throws IOException, InterruptedException {
        assumeTrue(run(List.of("gcc", "--version")).exitCode() == 0, "gcc is not installed here; this test needs it to compile the shim's header");
        Path folder = Files.createTempDirectory(temp, "abi");
        Files.writeString(folder.resolve("qlinear_aiter_fp8.h"), header);
        StringBuilder program = new StringBuilder("""
                #include <stddef.h>
                #include <stdio.h>
                #include "qlinear_aiter_fp8.h"
                /* gcc's type classes: 5 is a pointer; the others are told apart by _Generic */
                #define KIND(e) (__builtin_classify_type(e) == 5 ? "POINTER" : _Generic((e), int32_t: "INT32", int64_t: "INT64", float: "FLOAT32", default: "OTHER"))
                #define MEMBER(T, f) printf("%s.%s %s at %zu (%zu bytes)\\n", #T, #f, KIND(((T*)0)->f), offsetof(T, f), sizeof(((T*)0)->f))
                int main(void) {
                """);
        members.forEach((struct, names) -> {
            names.forEach(name -> program.append("    MEMBER(").append(struct).append(", ").append(name).append(");\n"));
            program.append("    printf(\"%s %zu\\n\", \"").append(struct).append("\", sizeof(").append(struct).append("));\n");
        });
        program.append("    return 0;\n}\n");
        Path source = folder.resolve("abi.c");
        Files.writeString(source, program);
        Path binary = folder.resolve("abi");
        Result compiled = run(List.of("gcc", "-std=c11", "-Wall", "-Werror", "-o", binary.toString(), source.toString()));
        assertThat(compiled.exitCode()).as("gcc on the header:\n%s\n%s", compiled.output(), program).isZero();
        Result ran = run(List.of(binary.toString()));
        assertThat(ran.exitCode()).as(ran.output()).isZero();
        Map<String, String> values = new LinkedHashMap<>();
        for (String line : ran.output().lines().toList()) {
            int space = line.indexOf(' ');
            values.put(line.substring(0, space), line.substring(space + 1));
        }
        return values;
    }

    private record Result(int exitCode, String output) {
    }

    private static Result run(List<String> command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        }
        catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return new Result(-1, "timed out: " + output);
        }
        return new Result(process.exitValue(), output);
    }
}
