package dev.qlinear.conformance.run;

import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.spi.kernel.ToleranceClass;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The criteria of the SPI's tolerance classes, with the numbers of the reference tests (KERNELS.md §7.2). Each
 * compares a kernel's output with the exact reference (a double-accumulated GEMM), or with another output of the
 * same kernel (batch invariance). Non-finite outputs always fail.
 */
public sealed interface Tolerance permits Tolerance.BitExact, Tolerance.RelativeMeanError, Tolerance.Elementwise {

    static Tolerance of(ToleranceClass toleranceClass) {
        return switch (toleranceClass) {
            case BIT_EXACT -> new BitExact();
            case RELATIVE_MEAN_ERROR -> new RelativeMeanError(0.04);
            case FUSED_16BIT -> new Elementwise("fused 16-bit", 1e-2, 1e-2);
            case FP8_W8A8 -> new Elementwise("FP8 W8A8", 0.5, 0.15);
        };
    }

    /** {@code bit-exact}, {@code mean(|out - ref|) / mean(|ref|) < 0.04}, ... */
    String criterion();

    /** The output against exact reference values (rounded to the output type where the criterion is bit-exact). */
    Comparison compare(Outputs output, double[] reference);

    /** One output of the kernel against another of the same shape. */
    Comparison compare(Outputs output, Outputs expected);

    /**
     * Every output bit equals the reference rounded once, nearest-even, to the output type. For layouts, and for
     * kernels that reproduce the reference's arithmetic (exact products, the same summation order, one final
     * rounding): any difference at all is a bug.
     */
    record BitExact() implements Tolerance {
        @Override
        public String criterion() {
            return "bit-exact";
        }

        @Override
        public Comparison compare(Outputs output, double[] reference) {
            FloatCodec codec = FloatCodec.of(output.type());
            int[] expected = new int[reference.length];
            for (int i = 0; i < reference.length; i++) {
                expected[i] = codec.encode(reference[i]);
            }
            return compare(output, Outputs.of(output.type(), output.rows(), output.columns(), expected), "reference");
        }

        @Override
        public Comparison compare(Outputs output, Outputs expected) {
            return compare(output, expected, "expected");
        }

        private Comparison compare(Outputs output, Outputs expected, String what) {
            int[] bits = output.bits();
            int[] wanted = expected.bits();
            boolean[] bad = new boolean[bits.length];
            for (int i = 0; i < bits.length; i++) {
                bad[i] = bits[i] != wanted[i];
            }
            return Comparisons.of(criterion(), output, expected.values(), expected, bad, what, OptionalDouble.empty());
        }
    }

    /**
     * {@code mean(|out - ref|) / mean(|ref|) < 0.04} over the whole output (vLLM's Marlin and AllSpark tests). For
     * 16-bit tensor-core GEMMs that accumulate in fp32 in their own order and round partial products to fp16/bf16:
     * 0.04 is about ten bf16 roundings (2^-8 each) of headroom, while a systematic bug (a wrong group scale, a zero
     * point off by one, a skipped tile) moves the mean error well above it. Individual elements may be far off, so
     * scattered single-element bugs can pass: declare a stricter class when the kernel can meet it.
     *
     * @param limit the mean relative error allowed
     */
    record RelativeMeanError(double limit) implements Tolerance {
        @Override
        public String criterion() {
            return "mean(|out - ref|) / mean(|ref|) < " + limit;
        }

        @Override
        public Comparison compare(Outputs output, double[] reference) {
            return compareValues(output, reference, null);
        }

        @Override
        public Comparison compare(Outputs output, Outputs expected) {
            return compareValues(output, expected.values(), expected);
        }

        private Comparison compareValues(Outputs output, double[] reference, Outputs expected) {
            double[] values = output.values();
            double sumAbs = 0;
            for (double ref : reference) {
                sumAbs += Math.abs(ref);
            }
            double perElement = limit * sumAbs / reference.length;
            boolean[] bad = new boolean[values.length];
            for (int i = 0; i < values.length; i++) {
                bad[i] = !Double.isFinite(values[i]) || Math.abs(values[i] - reference[i]) > perElement;
            }
            return Comparisons.of(criterion(), output, reference, expected, bad, expected == null ? "reference" : "expected", OptionalDouble.of(limit));
        }
    }

    /**
     * {@code |out - ref| <= atol + rtol * |ref|} for every element, as {@code torch.allclose}.
     * <ul>
     *   <li>fused 16-bit, {@code rtol = atol = 1e-2} (Triton W4A16, CUTLASS W4A8): the weight is dequantized and
     *       rounded to the activation type before an fp32-accumulated dot product, against the reference that models
     *       that rounding; 1e-2 is about 2.5 bf16 ulps (2^-8 relative spacing) for the output rounding and the
     *       accumulation order, and the atol absorbs outputs near zero where cancellation leaves no relative
     *       precision.</li>
     *   <li>FP8 W8A8, {@code rtol = 0.5, atol = 0.15} (CUTLASS scaled-mm): e4m3 keeps 3 mantissa bits, so every
     *       quantized input carries up to 2^-4 relative error, and a kernel that multiplies by a reciprocal scale can
     *       round an activation to the neighbouring fp8 value (12.5% apart); the bound is loose by design and
     *       catches what breaks the GEMM as a whole: a wrong or missing scale, a transposed weight, a skipped tile.</li>
     * </ul>
     *
     * @param name the class's name
     * @param rtol relative tolerance
     * @param atol absolute tolerance
     */
    record Elementwise(String name, double rtol, double atol) implements Tolerance {
        @Override
        public String criterion() {
            return String.format(Locale.ROOT, "%s: |out - ref| <= %s + %s * |ref|", name, atol, rtol);
        }

        @Override
        public Comparison compare(Outputs output, double[] reference) {
            return compareValues(output, reference, null);
        }

        @Override
        public Comparison compare(Outputs output, Outputs expected) {
            return compareValues(output, expected.values(), expected);
        }

        private Comparison compareValues(Outputs output, double[] reference, Outputs expected) {
            double[] values = output.values();
            boolean[] bad = new boolean[values.length];
            for (int i = 0; i < values.length; i++) {
                bad[i] = !(Math.abs(values[i] - reference[i]) <= atol + rtol * Math.abs(reference[i]));
            }
            return Comparisons.of(criterion(), output, reference, expected, bad, expected == null ? "reference" : "expected", OptionalDouble.empty());
        }
    }
}
