package dev.qlinear.core.reference;

import dev.qlinear.spi.type.NanRepresentation;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestFloatCodec {

    private static final List<FloatCodec> FP8 = List.of(FloatCodec.FLOAT8_E4M3FN, FloatCodec.FLOAT8_E4M3FNUZ, FloatCodec.FLOAT8_E5M2);
    private static final List<FloatCodec> SMALL = List.of(
            FloatCodec.FLOAT8_E4M3FN, FloatCodec.FLOAT8_E4M3FNUZ, FloatCodec.FLOAT8_E5M2, FloatCodec.FLOAT16, FloatCodec.BFLOAT16);

    @Test
    void decodesHandPickedFp8Codes() {
        FloatCodec fn = FloatCodec.FLOAT8_E4M3FN;
        assertThat(fn.decode(0x7E)).isEqualTo(448.0);            // S.1111.110 = 1.75 * 2^(15-7)
        assertThat(fn.decode(0x08)).isEqualTo(0x1p-6);           // smallest normal
        assertThat(fn.decode(0x01)).isEqualTo(0x1p-9);           // smallest subnormal: 1/8 * 2^-6
        assertThat(fn.decode(0x80)).isEqualTo(-0.0);
        assertThat(fn.decode(0x7F)).isNaN();
        assertThat(fn.decode(0xFF)).isNaN();
        FloatCodec fnuz = FloatCodec.FLOAT8_E4M3FNUZ;
        assertThat(fnuz.decode(0x7F)).isEqualTo(240.0);          // 1.875 * 2^(15-8)
        assertThat(fnuz.decode(0x01)).isEqualTo(0x1p-10);        // 1/8 * 2^-7
        assertThat(fnuz.decode(0x80)).isNaN();
        assertThat(fnuz.decode(0xFF)).isEqualTo(-240.0);
        assertThat(fn.maxBits()).isEqualTo(0x7E);
        assertThat(fnuz.maxBits()).isEqualTo(0x7F);
        assertThat(fn.nanBits()).isEqualTo(0x7F);
        assertThat(fnuz.nanBits()).isEqualTo(0x80);
        assertThat(fn.minSubnormal()).isEqualTo(0x1p-9);
        assertThat(fnuz.minSubnormal()).isEqualTo(0x1p-10);
    }

    @Test
    void encodesHandComputedE4m3fnValues() {
        FloatCodec fn = FloatCodec.FLOAT8_E4M3FN;
        assertThat(fn.encode(0.0625)).isEqualTo(0x18);           // 2^-4: exponent field -4 + 7 = 3
        assertThat(fn.encode(0.0625 + 0x1p-8)).isEqualTo(0x18);  // half-way 0x18 (0.0625) / 0x19 (0.0703125): even 0x18
        assertThat(fn.encode(0.0625 + 3 * 0x1p-8)).isEqualTo(0x1A); // half-way 0x19 / 0x1A (0.078125): even 0x1A
        assertThat(fn.encode(0.0625 + 0x1p-8 + 0x1p-30)).isEqualTo(0x19); // just past half-way
        assertThat(fn.encode(0x1p-9)).isEqualTo(0x01);           // smallest subnormal
        assertThat(fn.encode(0x1p-10)).isEqualTo(0x00);          // half of it: tie with 0, even 0
        assertThat(fn.encode(0x1p-10 + 0x1p-40)).isEqualTo(0x01);
        assertThat(fn.encode(3 * 0x1p-10)).isEqualTo(0x02);      // 1.5 subnormal steps: tie, even 0x02
        assertThat(fn.encode(7.5 * 0x1p-9)).isEqualTo(0x08);     // between the largest subnormal 0x07 and the smallest normal 0x08
        assertThat(fn.encode(449)).isEqualTo(0x7E);              // rounds to 448
        assertThat(fn.encode(464)).isEqualTo(0x7E);              // half-way to 480 (the NaN pattern 0x7F): saturates to 448
        assertThat(fn.encode(470)).isEqualTo(0x7E);              // nearer 480, still saturates
        assertThat(fn.encode(1e6)).isEqualTo(0x7E);
        assertThat(fn.encode(-1e6)).isEqualTo(0xFE);
        assertThat(fn.encode(Double.POSITIVE_INFINITY)).isEqualTo(0x7E);
        assertThat(fn.encode(Double.NEGATIVE_INFINITY)).isEqualTo(0xFE);
        assertThat(fn.encode(Double.NaN)).isEqualTo(0x7F);
        assertThat(fn.encode(-0.0)).isEqualTo(0x80);
        assertThat(fn.encode(-0x1p-11)).isEqualTo(0x80);         // rounds to -0, which e4m3fn has
        assertThat(fn.encode(-3.5)).isEqualTo(0xC6);             // -(1.75 * 2^1): sign, field 8, mantissa 6
    }

    @Test
    void encodesHandComputedE4m3fnuzValues() {
        FloatCodec fnuz = FloatCodec.FLOAT8_E4M3FNUZ;
        assertThat(fnuz.encode(0.0625)).isEqualTo(0x20);         // 2^-4: exponent field -4 + 8 = 4
        assertThat(fnuz.encode(0x1p-10)).isEqualTo(0x01);        // smallest subnormal
        assertThat(fnuz.encode(0x1p-11)).isEqualTo(0x00);        // tie with 0
        assertThat(fnuz.encode(240)).isEqualTo(0x7F);
        assertThat(fnuz.encode(240.5)).isEqualTo(0x7F);
        assertThat(fnuz.encode(248)).isEqualTo(0x7F);            // half-way to 256: saturates
        assertThat(fnuz.encode(449)).isEqualTo(0x7F);
        assertThat(fnuz.encode(1e6)).isEqualTo(0x7F);
        assertThat(fnuz.encode(-1e6)).isEqualTo(0xFF);
        assertThat(fnuz.encode(Double.NaN)).isEqualTo(0x80);
        assertThat(fnuz.encode(-0.0)).isEqualTo(0x00);           // no negative zero: 0x80 is NaN
        assertThat(fnuz.encode(-0x1p-12)).isEqualTo(0x00);       // a negative underflow is +0 as well
        assertThat(fnuz.encode(-0x1p-10)).isEqualTo(0x81);
    }

    @Test
    void everyFp8CodeRoundTripsExceptNonCanonicalNans() {
        for (FloatCodec codec : FP8) {
            for (int code = 0; code < 256; code++) {
                double value = codec.decode(code);
                // NaN codes collapse to the one canonical NaN: 0xFF -> 0x7F (e4m3fn), 0x7D..0x7F/0xFD..0xFF -> 0x7E (e5m2).
                int expected = Double.isNaN(value) ? codec.nanBits() : code;
                assertThat(codec.encode(value)).as("%s code 0x%02X (%s)", codec.type(), code, value).isEqualTo(expected);
                if (!Double.isNaN(value)) {
                    assertThat(codec.decode(codec.encode(value))).as("%s value %s", codec.type(), value).isEqualTo(value);
                }
            }
        }
        // The only codes that do not round-trip, written out.
        assertThat(FloatCodec.FLOAT8_E4M3FN.encode(FloatCodec.FLOAT8_E4M3FN.decode(0xFF))).isEqualTo(0x7F);
        assertThat(FloatCodec.FLOAT8_E4M3FNUZ.encode(FloatCodec.FLOAT8_E4M3FNUZ.decode(0x80))).isEqualTo(0x80);
    }

    @Test
    void every16BitCodeRoundTripsExceptNanPayloads() {
        for (FloatCodec codec : List.of(FloatCodec.FLOAT16, FloatCodec.BFLOAT16)) {
            for (int code = 0; code < 1 << 16; code++) {
                double value = codec.decode(code);
                int expected = Double.isNaN(value) ? codec.nanBits() : code;
                if (codec.encode(value) != expected) {
                    assertThat(codec.encode(value)).as("%s code 0x%04X (%s)", codec.type(), code, value).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void fp16DecodeMatchesTheJdk() {
        for (int code = 0; code < 1 << 16; code++) {
            double ours = FloatCodec.FLOAT16.decode(code);
            float jdk = Float.float16ToFloat((short) code);
            boolean same = Float.isNaN(jdk) ? Double.isNaN(ours) : Double.compare(ours, jdk) == 0;
            if (!same) {
                assertThat(ours).as("fp16 0x%04X", code).isEqualTo((double) jdk);
            }
        }
    }

    @Test
    void midpointsBetweenAdjacentCodesRoundToTheEvenCode() {
        for (FloatCodec codec : SMALL) {
            int top = codec.maxBits();
            for (int code = 0; code < top; code++) {
                double low = codec.decode(code);
                double high = codec.decode(code + 1);
                double midpoint = (low + high) / 2;              // exact: both have few significant bits
                int even = (code & 1) == 0 ? code : code + 1;
                int sign = codec.type().nanRepresentation() == NanRepresentation.NEGATIVE_ZERO && even == 0 ? 0 : 1 << (codec.type().sizeBits() - 1);
                String what = codec.type() + " between 0x" + Integer.toHexString(code) + " and 0x" + Integer.toHexString(code + 1);
                if (codec.encode(midpoint) != even || codec.encode(-midpoint) != (even | sign)
                        || codec.encode(Math.nextDown(midpoint)) != code || codec.encode(Math.nextUp(midpoint)) != code + 1) {
                    assertThat(codec.encode(midpoint)).as(what).isEqualTo(even);
                    assertThat(codec.encode(-midpoint)).as("-" + what).isEqualTo(even | sign);
                    assertThat(codec.encode(Math.nextDown(midpoint))).as("below " + what).isEqualTo(code);
                    assertThat(codec.encode(Math.nextUp(midpoint))).as("above " + what).isEqualTo(code + 1);
                }
            }
        }
    }

    @Test
    void encodingDoublesRoundsOnceNotThroughFloat() {
        // 1 + 2^-11 is half-way between fp16 1.0 (0x3C00) and 1 + 2^-10 (0x3C01). A double just above it narrows to
        // the float 1 + 2^-11 exactly, and float -> half then ties to even 1.0: double rounding. Once: 0x3C01.
        double justAboveHalfWay = 1 + 0x1p-11 + 0x1p-40;
        assertThat((double) (float) justAboveHalfWay).isEqualTo(1 + 0x1p-11);
        assertThat(Float.floatToFloat16((float) justAboveHalfWay)).isEqualTo((short) 0x3C00);
        assertThat(FloatCodec.FLOAT16.encode(justAboveHalfWay)).isEqualTo(0x3C01);
        // The same trap for bf16: half-way between 1.0 (0x3F80) and 1 + 2^-7 (0x3F81) is 1 + 2^-8.
        assertThat(FloatCodec.BFLOAT16.encode(1 + 0x1p-8 + 0x1p-40)).isEqualTo(0x3F81);
        assertThat(FloatCodec.BFLOAT16.encode(1 + 0x1p-8)).isEqualTo(0x3F80);
        assertThat(FloatCodec.BFLOAT16.encode(1 + 3 * 0x1p-8)).isEqualTo(0x3F82);
    }

    @Test
    void sixteenBitSpecialValues() {
        FloatCodec fp16 = FloatCodec.FLOAT16;
        assertThat(fp16.encode(65504)).isEqualTo(0x7BFF);
        assertThat(fp16.encode(Math.nextDown(65520.0))).isEqualTo(0x7BFF);
        assertThat(fp16.encode(65520)).isEqualTo(0x7C00);        // half-way to 2^16 ties to the even pattern: infinity
        assertThat(fp16.encodeSaturating(65520)).isEqualTo(0x7BFF);
        assertThat(fp16.encodeSaturating(Double.NEGATIVE_INFINITY)).isEqualTo(0xFBFF);
        assertThat(fp16.encode(Double.NEGATIVE_INFINITY)).isEqualTo(0xFC00);
        assertThat(fp16.encode(Double.NaN)).isEqualTo(0x7E00);
        assertThat(fp16.encode(0x1p-24)).isEqualTo(0x0001);      // smallest subnormal
        assertThat(fp16.encode(0x1p-25)).isEqualTo(0x0000);      // tie with 0
        assertThat(fp16.encode(-0.0)).isEqualTo(0x8000);
        assertThat(FloatCodec.BFLOAT16.encode(Double.NaN)).isEqualTo(0x7FC0);
        assertThat(FloatCodec.BFLOAT16.encode(1.0)).isEqualTo(0x3F80);
        assertThat(FloatCodec.FLOAT8_E5M2.encode(1e6)).isEqualTo(0x7C);  // e5m2 has infinities
        assertThat(FloatCodec.FLOAT8_E5M2.encodeSaturating(1e6)).isEqualTo(0x7B);  // 57344
        assertThat(FloatCodec.FLOAT8_E5M2.encode(Double.NaN)).isEqualTo(0x7E);
    }

    @Test
    void fp16FromFloatsMatchesTheJdk() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 200_000; i++) {
            float value = switch (i % 3) {
                case 0 -> Float.intBitsToFloat(random.nextInt());                       // any pattern
                case 1 -> (float) (random.nextDouble(-70000, 70000));                    // the fp16 range
                default -> (float) Math.scalb(random.nextDouble(-2, 2), random.nextInt(-28, -10)); // subnormals
            };
            if (Float.isNaN(value)) {
                continue;
            }
            int jdk = Float.floatToFloat16(value) & 0xFFFF;
            if (FloatCodec.FLOAT16.encode(value) != jdk) {
                assertThat(FloatCodec.FLOAT16.encode(value)).as("seed %d: fp16 of %s", seed, value).isEqualTo(jdk);
            }
        }
    }

    @Test
    void fp32MatchesTheJavaCast() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 200_000; i++) {
            double value = switch (i % 3) {
                case 0 -> Double.longBitsToDouble(random.nextLong());
                case 1 -> Math.scalb(random.nextDouble(-2, 2), random.nextInt(-155, 130));
                default -> Math.scalb(random.nextDouble(-2, 2), random.nextInt(-1000, 1000));
            };
            if (Double.isNaN(value)) {
                continue;
            }
            int java = Float.floatToRawIntBits((float) value);
            if (FloatCodec.FLOAT32.encode(value) != java) {
                assertThat(Integer.toHexString(FloatCodec.FLOAT32.encode(value))).as("seed %d: fp32 of %s", seed, value).isEqualTo(Integer.toHexString(java));
            }
        }
    }

    @Test
    void bf16FromFloatsMatchesTheBitTrick() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < 200_000; i++) {
            float value = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(value)) {
                continue;
            }
            int bits = Float.floatToRawIntBits(value);
            // The usual float -> bf16 nearest-even: add 0x7FFF plus the lowest kept bit, drop 16 bits.
            int expected = (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16;
            if (FloatCodec.BFLOAT16.encode(value) != expected) {
                assertThat(Integer.toHexString(FloatCodec.BFLOAT16.encode(value))).as("seed %d: bf16 of %s", seed, value)
                        .isEqualTo(Integer.toHexString(expected));
            }
        }
    }

    @Test
    void randomDoublesEncodeToTheNearestCodeTiesToEven() {
        long seed = Seeds.fresh();
        SplittableRandom random = new SplittableRandom(seed);
        for (FloatCodec codec : List.of(FloatCodec.FLOAT8_E4M3FN, FloatCodec.FLOAT8_E4M3FNUZ, FloatCodec.FLOAT8_E5M2,
                FloatCodec.FLOAT16, FloatCodec.BFLOAT16, FloatCodec.FLOAT32)) {
            double max = codec.max();
            int signBit = 1 << (codec.type().sizeBits() - 1);
            for (int i = 0; i < 20_000; i++) {
                double magnitude = Math.scalb(random.nextDouble(1, 2), random.nextInt(Math.getExponent(codec.minSubnormal()) - 2, Math.getExponent(max) + 1));
                if (magnitude > max) {
                    continue;
                }
                int code = codec.encode(magnitude) & ~signBit;
                String what = "seed " + seed + ": " + codec.type() + " of " + magnitude;
                BigDecimal exact = new BigDecimal(magnitude);
                BigDecimal distance = exact.subtract(new BigDecimal(codec.decode(code))).abs();
                for (int neighbour : new int[] {code - 1, code + 1}) {
                    if (neighbour < 0 || neighbour > codec.maxBits()) {
                        continue;
                    }
                    BigDecimal other = exact.subtract(new BigDecimal(codec.decode(neighbour))).abs();
                    assertThat(distance).as(what + " is no nearer code 0x" + Integer.toHexString(neighbour)).isLessThanOrEqualTo(other);
                    if (distance.compareTo(other) == 0) {
                        assertThat(code & 1).as(what + " is a tie and takes the even code").isZero();
                    }
                }
                assertThat(codec.encode(-magnitude)).as(what + " negated")
                        .isEqualTo(code == 0 && codec.type().equals(ScalarType.FLOAT8_E4M3FNUZ) ? 0 : code | signBit);
            }
        }
    }

    @Test
    void rejectsWhatItCannotEncode() {
        assertThatThrownBy(() -> FloatCodec.of(ScalarType.UINT4B8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a float codec needs a signed floating-point type of at most 32 bits, got uint4b8");
        assertThatThrownBy(() -> FloatCodec.FLOAT8_E4M3FN.decode(0x100))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pattern 0x100 is wider than the 8 bits of float8_e4m3fn");
        assertThat(FloatCodec.of(ScalarType.FLOAT16)).isSameAs(FloatCodec.FLOAT16);
    }
}
