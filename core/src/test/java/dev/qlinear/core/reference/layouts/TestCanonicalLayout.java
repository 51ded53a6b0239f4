package dev.qlinear.core.reference.layouts;

import dev.qlinear.core.reference.FnuzWeights;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.security.SecureRandom;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.qlinear.core.reference.layouts.TestAiterPreshuffleLayout.bytes;
import static dev.qlinear.core.reference.layouts.TestAiterPreshuffleLayout.config;
import static dev.qlinear.core.reference.layouts.TestAiterPreshuffleLayout.floats;
import static dev.qlinear.core.reference.layouts.TestAiterPreshuffleLayout.randomCodes;
import static dev.qlinear.core.reference.layouts.TestAiterPreshuffleLayout.randomScales;
import static dev.qlinear.core.reference.layouts.TestAiterPreshuffleLayout.weights;
import static org.assertj.core.api.Assertions.assertThat;

final class TestCanonicalLayout {

    private static final CanonicalLayout LAYOUT = new CanonicalLayout();

    @Test
    void holdsE4m3fnWeightsNormalizedToE4m3fnuzOnMi300AndAsTheyAreElsewhere() {
        long seed = new SecureRandom().nextLong();
        SplittableRandom random = new SplittableRandom(seed);
        int n = 16;
        int k = 48;
        byte[] codes = randomCodes(random, n * k);
        codes[5] = (byte) 0x80;
        float[] scales = randomScales(random, n);
        FnuzWeights expected = Fp8Reference.normalizeE4m3fnToFnuz(codes, scales);
        try (Arena arena = Arena.ofConfined()) {
            QuantizedWeights weights = weights(ScalarType.FLOAT8_E4M3FN, codes, scales, n, k, arena);

            Map<String, HostTensor> mi300 = LAYOUT.pack(config(k, n, ScalarType.FLOAT8_E4M3FN), weights, Platform.parse("rocm:gfx942"), arena);
            assertThat(mi300.get("weight").dtype()).isEqualTo(ScalarType.FLOAT8_E4M3FNUZ);
            assertThat(mi300.get("weight").shape()).containsExactly(n, k);
            assertThat(bytes(mi300.get("weight"))).as("seed %d", seed).isEqualTo(expected.weight());
            assertThat(bytes(mi300.get("weight"))[5]).isZero();
            assertThat(floats(mi300.get("weight_scale"))).as("seed %d", seed).isEqualTo(expected.weightScales());

            for (String spec : new String[] {"rocm:gfx950", "cuda:sm_90"}) {
                Map<String, HostTensor> kept = LAYOUT.pack(config(k, n, ScalarType.FLOAT8_E4M3FN), weights, Platform.parse(spec), arena);
                assertThat(kept.get("weight").dtype()).as(spec).isEqualTo(ScalarType.FLOAT8_E4M3FN);
                assertThat(bytes(kept.get("weight"))).as(spec).isEqualTo(codes);
                assertThat(floats(kept.get("weight_scale"))).as(spec).isEqualTo(scales);
            }
        }
    }
}
