package dev.qlinear.tritonw4a16;

import dev.qlinear.core.triton.TritonManifest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The launcher's argument indices against every manifest in the jar (GPU conformance runs the launches themselves). */
final class TestTritonW4a16Launcher {

    @Test
    void theArgumentIndicesAreThoseOfEveryManifest() throws IOException {
        for (String variant : TritonW4a16Variants.all()) {
            List<String> names = manifest(variant).kernelInfo().parameterNames();
            if (variant.startsWith("w4a16_reduce_")) {
                assertThat(names).as(variant).containsExactly("partials_ptr", "bias_ptr", "out_ptr", "M", "N", "stride_om", "splits", "has_bias");
                assertThat(names.get(TritonW4a16Launcher.REDUCE_SPLITS)).isEqualTo("splits");
                assertThat(names.get(TritonW4a16Launcher.REDUCE_HAS_BIAS)).isEqualTo("has_bias");
            }
            else {
                assertThat(names).as(variant).containsExactly("x_ptr", "codes_ptr", "scales_ptr", "zeros_ptr", "bias_ptr", "out_ptr", "partials_ptr", "M", "N", "K",
                        "stride_xm", "stride_om", "group_size", "k_per_split", "has_bias");
                assertThat(names.get(TritonW4a16Launcher.GEMM_PARTIALS)).isEqualTo("partials_ptr");
                assertThat(names.get(TritonW4a16Launcher.GEMM_K_PER_SPLIT)).isEqualTo("k_per_split");
            }
        }
    }

    @Test
    void theImagesAssumeWhatTheLauncherGuarantees() throws IOException {
        for (String variant : TritonW4a16Variants.all()) {
            TritonManifest manifest = manifest(variant);
            assertThat(manifest.divisibility().get("stride_om")).as(variant).isEqualTo(TritonW4a16Io.ROW_STRIDE_MULTIPLE);
            assertThat(manifest.divisibility().get("out_ptr")).as(variant).isEqualTo(TritonW4a16Io.POINTER_ALIGNMENT);
            if (!variant.startsWith("w4a16_reduce_")) {
                assertThat(manifest.divisibility().get("stride_xm")).as(variant).isEqualTo(TritonW4a16Io.ROW_STRIDE_MULTIPLE);
                assertThat(manifest.divisibility().get("x_ptr")).as(variant).isEqualTo(TritonW4a16Io.POINTER_ALIGNMENT);
            }
        }
    }

    private static TritonManifest manifest(String variant) throws IOException {
        String resource = TritonW4a16Variants.DIRECTORY + "/" + variant + ".sm_90a.json";
        try (InputStream stream = TestTritonW4a16Launcher.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(stream).as(resource).isNotNull();
            return TritonManifest.parse(resource, stream.readAllBytes());
        }
    }
}
