package dev.qlinear.conformance.run;

import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

final class TestTolerance {

    private static final double[] REFERENCE = {1.0, -2.0, 0.5, 4.0};

    @Test
    void bitExactFailsOnOneUnitInTheLastPlaceAndNamesTheElement() {
        Tolerance tolerance = Tolerance.of(ToleranceClass.BIT_EXACT);
        int[] bits = encode(ScalarType.FLOAT16, REFERENCE);
        bits[3] += 1;

        Comparison comparison = tolerance.compare(Outputs.of(ScalarType.FLOAT16, 2, 2, bits), REFERENCE);

        assertThat(comparison.passed()).isFalse();
        assertThat(comparison.firstBad()).isEqualTo(3);
        assertThat(comparison.message()).startsWith("1 of 4 elements differ (bit-exact); first at (m=1, n=1): kernel 4.00391 (0x4401), reference 4.00000 (0x4400)")
                .contains("bad rows [1, 2), bad columns [1, 2)");
        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT16, 2, 2, encode(ScalarType.FLOAT16, REFERENCE)), REFERENCE).passed()).isTrue();
    }

    @Test
    void bitExactComparesWithTheReferenceRoundedOnceToTheOutputType() {
        double[] exact = {1.0 + 0x1p-12};
        assertThat(Tolerance.of(ToleranceClass.BIT_EXACT).compare(Outputs.of(ScalarType.BFLOAT16, 1, 1, new int[] {0x3F80}), exact).passed()).isTrue();
    }

    @Test
    void relativeMeanErrorAllowsFourPercentOfTheMeanMagnitude() {
        Tolerance tolerance = Tolerance.of(ToleranceClass.RELATIVE_MEAN_ERROR);
        double[] reference = {1, 1, 1, 1};

        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 4, encode(ScalarType.FLOAT32, new double[] {1.03, 0.97, 1.03, 0.97})), reference).passed()).isTrue();
        Comparison off = tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 4, encode(ScalarType.FLOAT32, new double[] {1.05, 0.95, 1.05, 0.95})), reference);
        assertThat(off.passed()).isFalse();
        assertThat(off.message()).startsWith("mean rel err 0.05").contains("is not below 0.04");
        // one element far off passes when the mean stays low: the class is about systematic errors
        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 4, encode(ScalarType.FLOAT32, new double[] {1.1, 1, 1, 1})), reference).passed()).isTrue();
    }

    @Test
    void fused16BitAllowsOnePercentPlusOneHundredth() {
        Tolerance tolerance = Tolerance.of(ToleranceClass.FUSED_16BIT);
        double[] reference = {2.0};

        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 1, encode(ScalarType.FLOAT32, new double[] {2.0299})), reference).passed()).isTrue();
        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 1, encode(ScalarType.FLOAT32, new double[] {2.0301})), reference).passed()).isFalse();
    }

    @Test
    void fp8AllowsHalfTheMagnitudePlusFifteenHundredths() {
        Tolerance tolerance = Tolerance.of(ToleranceClass.FP8_W8A8);
        double[] reference = {1.0};

        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 1, encode(ScalarType.FLOAT32, new double[] {1.649})), reference).passed()).isTrue();
        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 1, encode(ScalarType.FLOAT32, new double[] {1.651})), reference).passed()).isFalse();
        assertThat(tolerance.compare(Outputs.of(ScalarType.FLOAT32, 1, 1, encode(ScalarType.FLOAT32, new double[] {-0.1})), new double[] {0.0}).passed()).isTrue();
    }

    @Test
    void noClassAcceptsNaN() {
        for (ToleranceClass toleranceClass : ToleranceClass.values()) {
            Comparison comparison = Tolerance.of(toleranceClass).compare(Outputs.of(ScalarType.FLOAT16, 1, 2, new int[] {0x3C00, 0x7E00}), new double[] {1, 1});
            assertThat(comparison.passed()).as(toleranceClass.name()).isFalse();
            assertThat(comparison.nonFinite()).isEqualTo(1);
            assertThat(comparison.message()).contains("(m=0, n=1)", "1 outputs are NaN or infinite");
        }
    }

    @Test
    void rangesNameRunsOfBadRowsAndColumns() {
        assertThat(Comparison.ranges(new boolean[] {false, true, true, false, true})).isEqualTo("[1, 3), [4, 5)");
        assertThat(Comparison.ranges(new boolean[] {true, true})).isEqualTo("all 2");
        assertThat(Comparison.ranges(new boolean[] {false})).isEqualTo("none");
    }

    private static int[] encode(ScalarType type, double[] values) {
        FloatCodec codec = FloatCodec.of(type);
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = codec.encode(values[i]);
        }
        return bits;
    }
}
