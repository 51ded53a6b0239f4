package dev.qlinear.spi.type;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestScalarType {

    @Test
    void idsMatchVllmScalarTypeTable() {
        assertThat(ScalarType.INT4.id()).isEqualTo(0x4000000010300L);
        assertThat(ScalarType.UINT4.id()).isEqualTo(0x4000000000400L);
        assertThat(ScalarType.UINT4B8.id()).isEqualTo(0x4000000100400L);
        assertThat(ScalarType.INT8.id()).isEqualTo(0x4000000010700L);
        assertThat(ScalarType.UINT8.id()).isEqualTo(0x4000000000800L);
        assertThat(ScalarType.UINT8B128.id()).isEqualTo(0x4000001000800L);
        assertThat(ScalarType.FLOAT8_E4M3FN.id()).isEqualTo(0xa000000010304L);
    }

    @Test
    void namedTypesHaveCanonicalNames() {
        assertThat(ScalarType.NAMED).extracting(ScalarType::name).containsExactly(
                "int4", "uint4", "uint4b8", "int8", "uint8", "uint8b128", "int32", "int64",
                "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float16", "bfloat16", "float32");
        assertThat(ScalarType.UINT4B8).hasToString("uint4b8");
    }

    @Test
    void everyCanonicalNameParsesBackToItsType() {
        for (ScalarType type : ScalarType.NAMED) {
            assertThat(ScalarType.parse(type.name())).as(type.name()).isEqualTo(type);
        }
    }

    @Test
    void sizeBitsAndStorageBytes() {
        assertThat(ScalarType.INT4.sizeBits()).isEqualTo(4);
        assertThat(ScalarType.UINT4B8.sizeBits()).isEqualTo(4);
        assertThat(ScalarType.UINT8B128.sizeBits()).isEqualTo(8);
        assertThat(ScalarType.INT32.sizeBits()).isEqualTo(32);
        assertThat(ScalarType.FLOAT8_E4M3FNUZ.sizeBits()).isEqualTo(8);
        assertThat(ScalarType.FLOAT16.sizeBits()).isEqualTo(16);
        assertThat(ScalarType.BFLOAT16.sizeBits()).isEqualTo(16);
        assertThat(ScalarType.FLOAT32.sizeBits()).isEqualTo(32);
        assertThat(ScalarType.UINT4.storageBytes()).isEqualTo(1);
        assertThat(ScalarType.BFLOAT16.storageBytes()).isEqualTo(2);
        assertThat(ScalarType.FLOAT32.storageBytes()).isEqualTo(4);
    }

    @Test
    void integerRanges() {
        assertThat(ScalarType.UINT4B8.min()).isEqualTo(-8.0);
        assertThat(ScalarType.UINT4B8.max()).isEqualTo(7.0);
        assertThat(ScalarType.UINT4.min()).isEqualTo(0.0);
        assertThat(ScalarType.UINT4.max()).isEqualTo(15.0);
        assertThat(ScalarType.INT4.min()).isEqualTo(-8.0);
        assertThat(ScalarType.INT4.max()).isEqualTo(7.0);
        assertThat(ScalarType.UINT8B128.min()).isEqualTo(-128.0);
        assertThat(ScalarType.UINT8B128.max()).isEqualTo(127.0);
        assertThat(ScalarType.INT8.min()).isEqualTo(-128.0);
        assertThat(ScalarType.INT8.max()).isEqualTo(127.0);
        assertThat(ScalarType.INT32.min()).isEqualTo(Integer.MIN_VALUE);
        assertThat(ScalarType.INT32.max()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void floatRanges() {
        assertThat(ScalarType.FLOAT8_E4M3FN.max()).isEqualTo(448.0);
        assertThat(ScalarType.FLOAT8_E4M3FN.min()).isEqualTo(-448.0);
        assertThat(ScalarType.FLOAT8_E4M3FNUZ.max()).isEqualTo(240.0);
        assertThat(ScalarType.FLOAT8_E5M2.max()).isEqualTo(57344.0);
        assertThat(ScalarType.FLOAT16.max()).isEqualTo(65504.0);
        assertThat(ScalarType.BFLOAT16.max()).isEqualTo(3.3895313892515355E38);
        assertThat(ScalarType.FLOAT32.max()).isEqualTo(Float.MAX_VALUE);
        assertThat(ScalarType.FLOAT32.min()).isEqualTo(-Float.MAX_VALUE);
    }

    @Test
    void exponentBiasIsOneHigherForFnuz() {
        assertThat(ScalarType.FLOAT8_E4M3FN.exponentBias()).isEqualTo(7);
        assertThat(ScalarType.FLOAT8_E4M3FNUZ.exponentBias()).isEqualTo(8);
        assertThat(ScalarType.FLOAT16.exponentBias()).isEqualTo(15);
        assertThat(ScalarType.BFLOAT16.exponentBias()).isEqualTo(127);
        assertThatThrownBy(ScalarType.INT8::exponentBias)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("int8");
    }

    @Test
    void decodesEveryE4m3fnPattern() {
        List<String> mismatches = new ArrayList<>();
        for (int bits = 0; bits < 256; bits++) {
            double expected = e4m3fn(bits);
            double actual = ScalarType.FLOAT8_E4M3FN.decode(bits);
            if (Double.compare(actual, expected) != 0) {
                mismatches.add(String.format("0x%02X: expected %s, got %s", bits, expected, actual));
            }
        }
        assertThat(mismatches).isEmpty();
    }

    @Test
    void e4m3fnSpecialPatterns() {
        assertThat(ScalarType.FLOAT8_E4M3FN.decode(0x7F)).isNaN();
        assertThat(ScalarType.FLOAT8_E4M3FN.decode(0xFF)).isNaN();
        assertThat(Double.doubleToRawLongBits(ScalarType.FLOAT8_E4M3FN.decode(0x80)))
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(ScalarType.FLOAT8_E4M3FN.decode(0x01)).isEqualTo(Math.scalb(1.0, -9));
        assertThat(ScalarType.FLOAT8_E4M3FN.decode(0x07)).isEqualTo(7 * Math.scalb(1.0, -9));
        assertThat(ScalarType.FLOAT8_E4M3FN.decode(0x7E)).isEqualTo(448.0);
        assertThat(ScalarType.FLOAT8_E4M3FN.decode(0x78)).isEqualTo(256.0);
    }

    @Test
    void e4m3fnuzSpecialPatterns() {
        assertThat(ScalarType.FLOAT8_E4M3FNUZ.decode(0x80)).isNaN();
        assertThat(ScalarType.FLOAT8_E4M3FNUZ.decode(0x7F)).isEqualTo(240.0);
        assertThat(ScalarType.FLOAT8_E4M3FNUZ.decode(0xFF)).isEqualTo(-240.0);
        assertThat(ScalarType.FLOAT8_E4M3FNUZ.decode(0x00)).isEqualTo(0.0);
    }

    @Test
    void e4m3fnuzIsHalfOfE4m3fnExceptAtTheSpecialPatterns() {
        List<String> mismatches = new ArrayList<>();
        for (int bits = 0; bits < 256; bits++) {
            if (bits == 0x80 || bits == 0x7F || bits == 0xFF) {
                continue;
            }
            double fn = ScalarType.FLOAT8_E4M3FN.decode(bits);
            double fnuz = ScalarType.FLOAT8_E4M3FNUZ.decode(bits);
            if (Double.compare(fnuz, fn / 2) != 0) {
                mismatches.add(String.format("0x%02X: fn %s, fnuz %s", bits, fn, fnuz));
            }
        }
        assertThat(mismatches).isEmpty();
    }

    @Test
    void decodesEveryFloat16PatternLikeTheJdk() {
        List<String> mismatches = new ArrayList<>();
        for (int bits = 0; bits < 0x10000; bits++) {
            double expected = Float.float16ToFloat((short) bits);
            double actual = ScalarType.FLOAT16.decode(bits);
            if (Double.compare(actual, expected) != 0) {
                mismatches.add(String.format("0x%04X: expected %s, got %s", bits, expected, actual));
            }
        }
        assertThat(mismatches).isEmpty();
        assertThat(ScalarType.FLOAT16.decode(0x7C00)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(ScalarType.FLOAT16.decode(0xFC00)).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(ScalarType.FLOAT16.decode(0x7E00)).isNaN();
    }

    @Test
    void decodesEveryBfloat16PatternAsTheUpperHalfOfAFloat() {
        List<String> mismatches = new ArrayList<>();
        for (int bits = 0; bits < 0x10000; bits++) {
            double expected = Float.intBitsToFloat(bits << 16);
            double actual = ScalarType.BFLOAT16.decode(bits);
            if (Double.compare(actual, expected) != 0) {
                mismatches.add(String.format("0x%04X: expected %s, got %s", bits, expected, actual));
            }
        }
        assertThat(mismatches).isEmpty();
    }

    @Test
    void decodesFloat32() {
        assertThat(ScalarType.FLOAT32.decode(Float.floatToRawIntBits(1.5f) & 0xFFFFFFFFL)).isEqualTo(1.5);
        assertThat(ScalarType.FLOAT32.decode(Float.floatToRawIntBits(-Float.MIN_VALUE) & 0xFFFFFFFFL)).isEqualTo(-Float.MIN_VALUE);
        assertThat(ScalarType.FLOAT32.decode(0x7FC00000L)).isNaN();
    }

    @Test
    void decodesIntegers() {
        assertThat(ScalarType.UINT4B8.decode(0)).isEqualTo(-8.0);
        assertThat(ScalarType.UINT4B8.decode(8)).isEqualTo(0.0);
        assertThat(ScalarType.UINT4B8.decode(15)).isEqualTo(7.0);
        assertThat(ScalarType.INT4.decode(0xF)).isEqualTo(-1.0);
        assertThat(ScalarType.INT4.decode(0x8)).isEqualTo(-8.0);
        assertThat(ScalarType.INT4.decode(0x7)).isEqualTo(7.0);
        assertThat(ScalarType.UINT4.decode(0xF)).isEqualTo(15.0);
        assertThat(ScalarType.UINT8B128.decode(0)).isEqualTo(-128.0);
        assertThat(ScalarType.UINT8B128.decode(255)).isEqualTo(127.0);
        assertThat(ScalarType.INT8.decode(0x80)).isEqualTo(-128.0);
        assertThat(ScalarType.INT32.decode(0xFFFFFFFFL)).isEqualTo(-1.0);
    }

    @Test
    void decodeReadsOnlyTheLowSizeBits() {
        assertThat(ScalarType.UINT4B8.decode(0xF0)).isEqualTo(-8.0);
        assertThat(ScalarType.INT4.decode(0xFFF7)).isEqualTo(7.0);
        assertThat(ScalarType.FLOAT8_E4M3FN.decode(0x100 | 0x38)).isEqualTo(1.0);
    }

    @Test
    void byNameAcceptsAliasesCaseInsensitively() {
        assertThat(ScalarType.byName("fp16")).contains(ScalarType.FLOAT16);
        assertThat(ScalarType.byName("FP16")).contains(ScalarType.FLOAT16);
        assertThat(ScalarType.byName("bf16")).contains(ScalarType.BFLOAT16);
        assertThat(ScalarType.byName("UINT4B8")).contains(ScalarType.UINT4B8);
        assertThat(ScalarType.byName("fp8_e4m3fnuz")).contains(ScalarType.FLOAT8_E4M3FNUZ);
        assertThat(ScalarType.byName("int3")).isEmpty();
        assertThat(ScalarType.parse("Float16_E5M10")).isEqualTo(ScalarType.FLOAT16);
    }

    @Test
    void parseOfAnUnknownNameNamesItAndListsTheKnownTypes() {
        assertThatThrownBy(() -> ScalarType.parse("float7"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'float7'")
                .hasMessageContaining("known types:")
                .hasMessageContaining("uint4b8")
                .hasMessageContaining("float8_e4m3fn")
                .hasMessageContaining("bf16");
    }

    @Test
    void floatWithIntegerBiasIsRefused() {
        assertThatThrownBy(() -> new ScalarType(4, 3, true, 8, true, NanRepresentation.EXTENDED_RANGE_MAX_MIN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a floating-point type takes no integer bias, got bias 8");
    }

    @Test
    void integerWithFiniteFlagOrNanEncodingIsRefused() {
        assertThatThrownBy(() -> new ScalarType(0, 4, false, 0, true, NanRepresentation.IEEE_754))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("integer type")
                .hasMessageContaining("got true and IEEE_754");
        assertThatThrownBy(() -> new ScalarType(0, 4, false, 0, false, NanRepresentation.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got false and NONE");
    }

    @Test
    void tooManyOrTooFewBitsAreRefused() {
        assertThatThrownBy(() -> new ScalarType(5, 53, true, 0, false, NanRepresentation.IEEE_754))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mantissa bits must be in [0, 52] for floats and [0, 63] for integers, got 53");
        assertThatThrownBy(() -> new ScalarType(0, 64, false, 0, false, NanRepresentation.IEEE_754))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mantissa bits must be in [0, 52] for floats and [0, 63] for integers, got 64");
        assertThatThrownBy(() -> new ScalarType(12, 3, true, 0, false, NanRepresentation.IEEE_754))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("exponent bits must be in [0, 11], got 12");
        assertThatThrownBy(() -> new ScalarType(0, 0, false, 0, false, NanRepresentation.IEEE_754))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a scalar type must have 1 to 64 bits, got 0");
    }

    @Test
    void nanEncodingsThatReuseInfinityPatternsNeedFiniteOnlySignedTypes() {
        assertThatThrownBy(() -> new ScalarType(4, 3, true, 0, false, NanRepresentation.EXTENDED_RANGE_MAX_MIN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("EXTENDED_RANGE_MAX_MIN")
                .hasMessageContaining("finite-only");
        assertThatThrownBy(() -> new ScalarType(4, 3, false, 0, true, NanRepresentation.NEGATIVE_ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NEGATIVE_ZERO needs a sign bit");
    }

    /** OCP FP8 E4M3: bias 7, no infinities, S.1111.111 is NaN, subnormals m * 2^-9. */
    private static double e4m3fn(int bits) {
        int sign = (bits >> 7) & 1;
        int exponent = (bits >> 3) & 0xF;
        int mantissa = bits & 0x7;
        if (exponent == 0xF && mantissa == 0x7) {
            return Double.NaN;
        }
        double magnitude = exponent == 0
                ? mantissa / 512.0
                : (8 + mantissa) * Math.pow(2, exponent - 10);
        return sign == 1 ? -magnitude : magnitude;
    }
}
