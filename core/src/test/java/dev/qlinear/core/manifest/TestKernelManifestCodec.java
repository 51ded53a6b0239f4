package dev.qlinear.core.manifest;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestKernelManifestCodec {

    private static final KernelDescriptor WEIGHT_ONLY = new KernelDescriptor("marlin-like", "marlin", "1.2.3",
            List.of(PlatformSupport.of("cuda:sm_80+", 100)),
            new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8, ScalarType.UINT4), Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16),
                    Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16), Set.of(-1, 32, 64, 128), true, true, 128, 64),
            ToleranceClass.RELATIVE_MEAN_ERROR, 4096);
    private static final KernelDescriptor SCALED_MM = new KernelDescriptor("fp8", "triton-fp8", "0.1.0",
            List.of(PlatformSupport.of("cuda:sm_89+", 50), PlatformSupport.of("rocm:gfx942,gfx950", 10)),
            new ScaledMmCapabilities(Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR),
                    Set.of(GroupShape.PER_TOKEN, new GroupShape(1, 128)), false, true, Set.of(ScalarType.BFLOAT16), Set.of(ScalarType.BFLOAT16), true, 16, 16),
            ToleranceClass.FP8_W8A8, 65536);

    @Test
    void roundTripsBothKindsOfDescriptor() {
        KernelManifest manifest = new KernelManifest("1.0.0", List.of(WEIGHT_ONLY, SCALED_MM));

        assertThat(KernelManifestCodec.read(KernelManifestCodec.write(manifest))).isEqualTo(manifest);
    }

    @Test
    void aManifestWrittenBeforeSpi12DeclaresNoPartialLastGroup() {
        KernelDescriptor partial = new KernelDescriptor("triton-like", "triton", "0.1.0", WEIGHT_ONLY.platforms(),
                new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16), Set.of(128), false, false, 8, 8, true),
                WEIGHT_ONLY.tolerance(), WEIGHT_ONLY.maxRows());
        String json = KernelManifestCodec.write(new KernelManifest("1.2.0", List.of(partial)));

        assertThat(((WeightOnlyCapabilities) KernelManifestCodec.read(json).kernels().getFirst().capabilities()).partialLastGroup()).isTrue();
        String before = json.replaceAll(",?\\s*\"partialLastGroup\"\\s*:\\s*true", "");
        assertThat(before).doesNotContain("partialLastGroup");
        assertThat(((WeightOnlyCapabilities) KernelManifestCodec.read(before).kernels().getFirst().capabilities()).partialLastGroup()).isFalse();
    }

    @Test
    void writesSetsSortedSoTheBytesAreStable() {
        String json = KernelManifestCodec.write(new KernelManifest("1.0.0", List.of(WEIGHT_ONLY)));

        assertThat(json).contains("\"groupSizes\" : [ -1, 32, 64, 128 ]").contains("\"weightTypes\" : [ \"uint4\", \"uint4b8\" ]");
        assertThat(KernelManifestCodec.write(new KernelManifest("1.0.0", List.of(WEIGHT_ONLY)))).isEqualTo(json);
    }

    @Test
    void namesTheKernelAndFieldThatIsInvalid() {
        String json = KernelManifestCodec.write(new KernelManifest("1.0.0", List.of(WEIGHT_ONLY))).replace("\"uint4b8\"", "\"uint3\"");

        assertThatThrownBy(() -> KernelManifestCodec.read(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("kernel 'marlin-like' in the manifest: unknown scalar type 'uint3'");
        assertThatThrownBy(() -> KernelManifestCodec.read("{\"spiVersion\":\"1.0.0\"}"))
                .hasMessage("field 'kernels' must be an array");
        assertThatThrownBy(() -> KernelManifestCodec.read("not json"))
                .hasMessageStartingWith("kernel manifest is not valid JSON");
    }
}
