package dev.qlinear.cpuvector;

import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.core.reference.Fp8Scaling;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The plugin's own scalar conversions against core's exact codecs. */
final class TestCodecs {

    @Test
    void decodesEveryE4m3CodeExactly() {
        for (int code = 0; code < 256; code++) {
            double expected = ScalarType.FLOAT8_E4M3FN.decode(code);
            if (Double.isNaN(expected)) {
                assertThat(E4m3.isNan(code)).as("code 0x%02x", code).isTrue();
                assertThat(E4m3.decode(code)).isNaN();
            }
            else {
                assertThat(E4m3.isNan(code)).as("code 0x%02x", code).isFalse();
                assertThat((double) E4m3.decode(code)).as("code 0x%02x", code).isEqualTo(expected);
                assertThat(Float.floatToRawIntBits(E4m3.decode(code))).as("sign of code 0x%02x", code)
                        .isEqualTo(Float.floatToRawIntBits((float) expected));
            }
        }
    }

    @Test
    void encodesE4m3AsTheReferenceCodec() {
        // every value, every half-way point between neighbours and points just beside them, past-max values and zeros
        for (int code = 0; code < 256; code++) {
            if (E4m3.isNan(code)) {
                continue;
            }
            double value = E4m3.decode(code);
            double next = E4m3.decode(code + 1 == 0x7F || code + 1 == 0xFF || code == 0xFF ? code : code + 1);
            double half = (value + next) / 2;
            for (double probe : new double[] {value, half, Math.nextUp(half), Math.nextDown(half)}) {
                assertEncodes(probe);
                assertEncodes(-probe);
            }
        }
        for (double probe : new double[] {448, 449, 463.99, 464, 465, 1e30, -1e30, 0.0, -0.0, 0x1p-10, 0x1p-11, 0x1.8p-10, 0x1.0000001p-10}) {
            assertEncodes(probe);
        }
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 200_000; i++) {
            double probe = Math.scalb(random.nextDouble(-1, 1), random.nextInt(-14, 11));
            assertThat(E4m3.encodeSaturating(probe)).as("seed %d: %s", seed, probe).isEqualTo(FloatCodec.FLOAT8_E4M3FN.encodeSaturating(probe));
        }
    }

    private static void assertEncodes(double value) {
        assertThat(E4m3.encodeSaturating(value)).as("%s", value).isEqualTo(FloatCodec.FLOAT8_E4M3FN.encodeSaturating(value));
    }

    @Test
    void scalesAsTheReferenceScaling() {
        Fp8Scaling scaling = Fp8Scaling.of(ScalarType.FLOAT8_E4M3FN);
        assertThat(Fp8Job.MIN_SCALE).isEqualTo(scaling.minimumScale());
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 100_000; i++) {
            float amax = (float) Math.scalb(random.nextDouble(), random.nextInt(-30, 30));
            assertThat(Fp8Job.scaleFor(amax)).as("seed %d: amax %s", seed, amax).isEqualTo(scaling.scaleFor(amax));
        }
        assertThat(Fp8Job.scaleFor(0)).isEqualTo(scaling.scaleFor(0));
    }

    @Test
    void roundsFloatsToBfloat16AndFloat16NearestEven() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 500_000; i++) {
            float value = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(value)) {
                assertThat(HalfFloats.floatToBfloat16(value)).isEqualTo((short) 0x7FC0);
                continue;
            }
            assertThat(Short.toUnsignedInt(HalfFloats.floatToBfloat16(value))).as("seed %d: bf16 of %s", seed, value)
                    .isEqualTo(FloatCodec.BFLOAT16.encode(value));
            assertThat(Short.toUnsignedInt(Float.floatToFloat16(value))).as("seed %d: fp16 of %s", seed, value)
                    .isEqualTo(FloatCodec.FLOAT16.encode(value));
        }
        // ties go to even; the largest values round to infinity
        for (float tie : new float[] {1 + 0x1p-8f, 1 + 3 * 0x1p-8f, Float.MAX_VALUE, -Float.MAX_VALUE, 0x1p-133f, -0.0f, 0x1p-149f}) {
            assertThat(Short.toUnsignedInt(HalfFloats.floatToBfloat16(tie))).as("bf16 of %s", tie).isEqualTo(FloatCodec.BFLOAT16.encode(tie));
            assertThat(Short.toUnsignedInt(Float.floatToFloat16(tie))).as("fp16 of %s", tie).isEqualTo(FloatCodec.FLOAT16.encode(tie));
        }
        for (int bits = 0; bits < 0x10000; bits++) {
            double expected = FloatCodec.BFLOAT16.decode(bits);
            if (Double.isNaN(expected)) {
                assertThat(HalfFloats.bfloat16ToFloat((short) bits)).as("bf16 0x%04x", bits).isNaN();
            }
            else {
                assertThat((double) HalfFloats.bfloat16ToFloat((short) bits)).as("bf16 0x%04x", bits).isEqualTo(expected);
            }
        }
    }
}
