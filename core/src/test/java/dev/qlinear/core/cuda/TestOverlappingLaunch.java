package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.LaunchConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.qlinear.core.cuda.OverlappingLaunch.ATTRIBUTE;
import static dev.qlinear.core.cuda.OverlappingLaunch.CONFIG;
import static dev.qlinear.core.cuda.OverlappingLaunch.offset;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The {@code cuLaunchKernelEx} structs against cuda.h: a C probe compiled here prints what the header says. */
final class TestOverlappingLaunch {

    private static final String PROBE = """
            #include <cuda.h>
            #include <stdio.h>
            #include <stddef.h>
            int main(void) {
                printf("config.size %zu\\n", sizeof(CUlaunchConfig));
                printf("config.gridDimX %zu\\n", offsetof(CUlaunchConfig, gridDimX));
                printf("config.gridDimY %zu\\n", offsetof(CUlaunchConfig, gridDimY));
                printf("config.gridDimZ %zu\\n", offsetof(CUlaunchConfig, gridDimZ));
                printf("config.blockDimX %zu\\n", offsetof(CUlaunchConfig, blockDimX));
                printf("config.blockDimY %zu\\n", offsetof(CUlaunchConfig, blockDimY));
                printf("config.blockDimZ %zu\\n", offsetof(CUlaunchConfig, blockDimZ));
                printf("config.sharedMemBytes %zu\\n", offsetof(CUlaunchConfig, sharedMemBytes));
                printf("config.hStream %zu\\n", offsetof(CUlaunchConfig, hStream));
                printf("config.attrs %zu\\n", offsetof(CUlaunchConfig, attrs));
                printf("config.numAttrs %zu\\n", offsetof(CUlaunchConfig, numAttrs));
                printf("attribute.size %zu\\n", sizeof(CUlaunchAttribute));
                printf("attribute.id %zu\\n", offsetof(CUlaunchAttribute, id));
                printf("attribute.value %zu\\n", offsetof(CUlaunchAttribute, value));
                printf("attribute.value.size %zu\\n", sizeof(CUlaunchAttributeValue));
                printf("attribute.allowed %zu\\n", offsetof(CUlaunchAttribute, value.programmaticStreamSerializationAllowed));
                printf("serialization %d\\n", (int) CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION);
                return 0;
            }
            """;

    private static final List<String> CONFIG_FIELDS = List.of("gridDimX", "gridDimY", "gridDimZ", "blockDimX", "blockDimY", "blockDimZ", "sharedMemBytes",
            "hStream", "attrs", "numAttrs");

    @Test
    void structsMatchTheHeader(@TempDir Path work) throws IOException, InterruptedException {
        Optional<Path> include = HeaderProbe.cudaInclude();
        assumeTrue(include.isPresent(), "no cuda.h under $CUDA_HOME/include or /usr/local/cuda/include");
        Map<String, Long> header = HeaderProbe.run(PROBE, include.get(), work);

        assertThat(CONFIG.byteSize()).isEqualTo(header.get("config.size"));
        for (String field : CONFIG_FIELDS) {
            assertThat(offset(CONFIG, field)).as("CUlaunchConfig.%s", field).isEqualTo(header.get("config." + field));
        }
        assertThat(ATTRIBUTE.byteSize()).isEqualTo(header.get("attribute.size"));
        assertThat(offset(ATTRIBUTE, "id")).isEqualTo(header.get("attribute.id"));
        assertThat(offset(ATTRIBUTE, "value")).isEqualTo(header.get("attribute.value")).isEqualTo(header.get("attribute.allowed"));
        assertThat(ATTRIBUTE.select(groupElement("value")).byteSize()).isEqualTo(header.get("attribute.value.size"));
        assertThat((long) OverlappingLaunch.CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION).isEqualTo(header.get("serialization"));
    }

    @Test
    void fillsTheLaunchAndOneSerializationAttribute() {
        MemorySegment config = OverlappingLaunch.fill(new LaunchConfig(264, 2, 3, 256, 1, 2, 83968, true), 0x7f00_1234_5678L);

        assertThat(List.of("gridDimX", "gridDimY", "gridDimZ", "blockDimX", "blockDimY", "blockDimZ", "sharedMemBytes").stream()
                .map(field -> config.get(JAVA_INT, offset(CONFIG, field)))).containsExactly(264, 2, 3, 256, 1, 2, 83968);
        assertThat(config.get(JAVA_LONG, offset(CONFIG, "hStream"))).isEqualTo(0x7f00_1234_5678L);
        assertThat(config.get(JAVA_INT, offset(CONFIG, "numAttrs"))).isEqualTo(1);
        MemorySegment attribute = config.get(ADDRESS, offset(CONFIG, "attrs")).reinterpret(ATTRIBUTE.byteSize());
        assertThat(attribute.get(JAVA_INT, offset(ATTRIBUTE, "id"))).isEqualTo(OverlappingLaunch.CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION);
        assertThat(attribute.get(JAVA_INT, offset(ATTRIBUTE, "value"))).isEqualTo(1);
    }

    @Test
    void aThreadReusesItsStruct() {
        MemorySegment first = OverlappingLaunch.fill(LaunchConfig.linear(1, 32, 0).overlappingPrevious(), 1L);
        MemorySegment second = OverlappingLaunch.fill(LaunchConfig.linear(7, 64, 128).overlappingPrevious(), 2L);

        assertThat(second.address()).isEqualTo(first.address());
        assertThat(second.get(JAVA_INT, offset(CONFIG, "gridDimX"))).isEqualTo(7);
    }
}
