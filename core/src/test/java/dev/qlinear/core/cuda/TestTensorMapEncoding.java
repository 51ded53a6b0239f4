package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.TensorMapLayout.Swizzle;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The {@code cuTensorMapEncodeTiled} constants against cuda.h: a C probe compiled here prints what the header says. */
final class TestTensorMapEncoding {

    private static final String PROBE = """
            #include <cuda.h>
            #include <stdio.h>
            #include <stdalign.h>
            int main(void) {
                printf("map.size %zu\\n", sizeof(CUtensorMap));
                printf("map.alignment %zu\\n", alignof(CUtensorMap));
                printf("type.uint8 %d\\n", (int) CU_TENSOR_MAP_DATA_TYPE_UINT8);
                printf("type.int32 %d\\n", (int) CU_TENSOR_MAP_DATA_TYPE_INT32);
                printf("type.float16 %d\\n", (int) CU_TENSOR_MAP_DATA_TYPE_FLOAT16);
                printf("type.float32 %d\\n", (int) CU_TENSOR_MAP_DATA_TYPE_FLOAT32);
                printf("type.bfloat16 %d\\n", (int) CU_TENSOR_MAP_DATA_TYPE_BFLOAT16);
                printf("interleave.none %d\\n", (int) CU_TENSOR_MAP_INTERLEAVE_NONE);
                printf("swizzle.none %d\\n", (int) CU_TENSOR_MAP_SWIZZLE_NONE);
                printf("swizzle.32 %d\\n", (int) CU_TENSOR_MAP_SWIZZLE_32B);
                printf("swizzle.64 %d\\n", (int) CU_TENSOR_MAP_SWIZZLE_64B);
                printf("swizzle.128 %d\\n", (int) CU_TENSOR_MAP_SWIZZLE_128B);
                printf("promotion.128 %d\\n", (int) CU_TENSOR_MAP_L2_PROMOTION_L2_128B);
                printf("fill.zeros %d\\n", (int) CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
                return 0;
            }
            """;

    @Test
    void constantsMatchTheHeader(@TempDir Path work) throws IOException, InterruptedException {
        Optional<Path> include = HeaderProbe.cudaInclude();
        assumeTrue(include.isPresent(), "no cuda.h under $CUDA_HOME/include or /usr/local/cuda/include");
        Map<String, Long> header = HeaderProbe.run(PROBE, include.get(), work);

        assertThat((long) TensorMapEncoding.BYTES).isEqualTo(header.get("map.size"));
        assertThat((long) TensorMapEncoding.ALIGNMENT).isEqualTo(header.get("map.alignment"));
        assertThat((long) TensorMapEncoding.dataType(ScalarType.UINT8)).isEqualTo(header.get("type.uint8"));
        assertThat((long) TensorMapEncoding.dataType(ScalarType.FLOAT8_E4M3FN)).isEqualTo(header.get("type.uint8"));
        assertThat((long) TensorMapEncoding.dataType(ScalarType.INT32)).isEqualTo(header.get("type.int32"));
        assertThat((long) TensorMapEncoding.dataType(ScalarType.FLOAT16)).isEqualTo(header.get("type.float16"));
        assertThat((long) TensorMapEncoding.dataType(ScalarType.FLOAT32)).isEqualTo(header.get("type.float32"));
        assertThat((long) TensorMapEncoding.dataType(ScalarType.BFLOAT16)).isEqualTo(header.get("type.bfloat16"));
        assertThat((long) TensorMapEncoding.INTERLEAVE_NONE).isEqualTo(header.get("interleave.none"));
        assertThat((long) Swizzle.NONE.ordinal()).isEqualTo(header.get("swizzle.none"));
        assertThat((long) Swizzle.BYTES_32.ordinal()).isEqualTo(header.get("swizzle.32"));
        assertThat((long) Swizzle.BYTES_64.ordinal()).isEqualTo(header.get("swizzle.64"));
        assertThat((long) Swizzle.BYTES_128.ordinal()).isEqualTo(header.get("swizzle.128"));
        assertThat((long) TensorMapEncoding.L2_PROMOTION_128B).isEqualTo(header.get("promotion.128"));
        assertThat((long) TensorMapEncoding.OOB_FILL_ZEROS).isEqualTo(header.get("fill.zeros"));
    }

    @Test
    void typesWithoutATensorMapDataTypeAreRefused() {
        assertThatThrownBy(() -> TensorMapEncoding.dataType(ScalarType.INT64)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no tensor map data type for");
    }
}
