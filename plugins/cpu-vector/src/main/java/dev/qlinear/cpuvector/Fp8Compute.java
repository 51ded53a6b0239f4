package dev.qlinear.cpuvector;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.qlinear.cpuvector.Fp8Layer.BLOCK;

/**
 * The FP8 inner loops on the Vector API. A weight code becomes a float by moving its 7 magnitude bits to bit 20 and
 * keeping its sign at bit 31: exactly {@code w · 2^-120} (e4m3 subnormals become float subnormals), so each product
 * with an activation stored as {@code a · 2^64} is {@code a · w · 2^-56}, exact in float32 (both significands have 4
 * bits, and magnitudes stay within {@code [2^-74, 2^-38]}). Per row, four fp32 chains accumulate the products of
 * {@code k ≡ c (mod 4)} in ascending k with fused multiply-adds; then {@code dot = (c0 + c1) + (c2 + c3)} and
 * {@code y = fma(dot · 2^56, s_w · s_a, bias)}, the {@code 2^56} being exact. Scaling every product by a power of
 * two changes no rounding, so this is the same sum as of the plain products. Same operations and order for every
 * tile, row count and thread: deterministic and batch-invariant. Subnormal codes arrive raised by {@code 2^-6}
 * (see {@link Fp8Kernel}); {@link #store} subtracts {@code 2^-6 · a[k]} for each from the dot product, in ascending k.
 */
final class Fp8Compute {

    static final VectorSpecies<Float> FLOATS = W4Compute.FLOATS;
    static final VectorSpecies<Integer> INTS = W4Compute.INTS;
    static final VectorSpecies<Byte> BYTES = VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.length() * Byte.SIZE));
    static final int LANES = FLOATS.length();
    static final int TILE = W4Compute.TILE;
    /** Activations are stored times this, so that products with {@code w · 2^-120} stay normal floats. */
    static final float ACTIVATION_FACTOR = 0x1p64f;

    private static final float UNSCALE = 0x1p56f;
    /** What raising a subnormal code to the normal binade adds to its decoded {@code w · 2^-120}: {@code 2^-6 · 2^-120}. */
    private static final float SUBNORMAL_RAISE = 0x1p-126f;
    private static final int SIGN_AND_MAGNITUDE = 0x87F00000;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private Fp8Compute() {
    }

    /**
     * Rows {@code [rowFrom, rowTo)} of the panel times blocks {@code [blockFrom, blockTo)}.
     *
     * @param activations the panel's decoded activation codes times {@link #ACTIVATION_FACTOR}, {@code paddedK} per row
     * @param rowScales the panel's activation scales
     */
    static void compute(Fp8Layer layer, float[] activations, float[] rowScales, int rowFrom, int rowTo, int blockFrom, int blockTo, float[] stage,
            OutputRows out) {
        int n = layer.config().n();
        for (int block = blockFrom; block < blockTo; block++) {
            for (int lane = 0; lane < BLOCK; lane += LANES) {
                int columns = Math.min(LANES, n - (block * BLOCK + lane));
                if (columns <= 0) {
                    break;
                }
                int row = rowFrom;
                if (TILE == 4) {
                    for (; row + 4 <= rowTo; row += 4) {
                        tile4(layer, block, lane, activations, rowScales, row, stage, out, columns);
                    }
                }
                else {
                    for (; row + 2 <= rowTo; row += 2) {
                        tile2(layer, block, lane, activations, rowScales, row, stage, out, columns);
                    }
                }
                for (; row < rowTo; row++) {
                    tile1(layer, block, lane, activations, rowScales, row, stage, out, columns);
                }
            }
        }
    }

    private static FloatVector weights(MemorySegment codes, long offset) {
        IntVector codes32 = (IntVector) ByteVector.fromMemorySegment(BYTES, codes, offset, LE).convertShape(VectorOperators.B2I, INTS, 0);
        return codes32.lanewise(VectorOperators.LSHL, 20).and(SIGN_AND_MAGNITUDE).reinterpretAsFloats();
    }

    private static FloatVector bcast(float value) {
        return FloatVector.broadcast(FLOATS, value);
    }

    private static void tile1(Fp8Layer layer, int block, int lane, float[] as, float[] rowScales, int row, float[] stage, OutputRows out, int columns) {
        MemorySegment codes = layer.codes();
        int paddedK = layer.paddedK();
        long base = (long) block * paddedK * BLOCK + lane;
        int x = row * paddedK;
        FloatVector zero = FloatVector.zero(FLOATS);
        FloatVector c0 = zero;
        FloatVector c1 = zero;
        FloatVector c2 = zero;
        FloatVector c3 = zero;
        for (int k = 0; k < paddedK; k += 4) {
            long at = base + (long) k * BLOCK;
            c0 = weights(codes, at).fma(bcast(as[x + k]), c0);
            c1 = weights(codes, at + BLOCK).fma(bcast(as[x + k + 1]), c1);
            c2 = weights(codes, at + 2 * BLOCK).fma(bcast(as[x + k + 2]), c2);
            c3 = weights(codes, at + 3 * BLOCK).fma(bcast(as[x + k + 3]), c3);
        }
        store(c0.add(c1).add(c2.add(c3)), layer, block, lane, row, as, rowScales, stage, out, columns);
    }

    /*
     * The multi-row tiles walk k two at a time and swap their chain pairs after each step, so that k ≡ c (mod 4) still
     * lands in chain c: fully unrolled they would pass C2's inlining budget, and a Vector API call it does not inline
     * boxes its vectors, which costs far more than the loop.
     */
    private static void tile2(Fp8Layer layer, int block, int lane, float[] as, float[] rowScales, int row, float[] stage, OutputRows out, int columns) {
        MemorySegment codes = layer.codes();
        int paddedK = layer.paddedK();
        long base = (long) block * paddedK * BLOCK + lane;
        int xa = row * paddedK;
        int xb = xa + paddedK;
        FloatVector zero = FloatVector.zero(FLOATS);
        FloatVector a0 = zero;
        FloatVector a1 = zero;
        FloatVector a2 = zero;
        FloatVector a3 = zero;
        FloatVector b0 = zero;
        FloatVector b1 = zero;
        FloatVector b2 = zero;
        FloatVector b3 = zero;
        for (int k = 0; k < paddedK; k += 2) {
            long at = base + (long) k * BLOCK;
            FloatVector w = weights(codes, at);
            FloatVector na = w.fma(bcast(as[xa + k]), a0);
            FloatVector nb = w.fma(bcast(as[xb + k]), b0);
            w = weights(codes, at + BLOCK);
            FloatVector ma = w.fma(bcast(as[xa + k + 1]), a1);
            FloatVector mb = w.fma(bcast(as[xb + k + 1]), b1);
            a0 = a2;
            a1 = a3;
            a2 = na;
            a3 = ma;
            b0 = b2;
            b1 = b3;
            b2 = nb;
            b3 = mb;
        }
        // paddedK is a multiple of 4, so an even number of swaps has put every chain back in place
        store(a0.add(a1).add(a2.add(a3)), layer, block, lane, row, as, rowScales, stage, out, columns);
        store(b0.add(b1).add(b2.add(b3)), layer, block, lane, row + 1, as, rowScales, stage, out, columns);
    }

    private static void tile4(Fp8Layer layer, int block, int lane, float[] as, float[] rowScales, int row, float[] stage, OutputRows out, int columns) {
        MemorySegment codes = layer.codes();
        int paddedK = layer.paddedK();
        long base = (long) block * paddedK * BLOCK + lane;
        int xa = row * paddedK;
        int xb = xa + paddedK;
        int xc = xb + paddedK;
        int xd = xc + paddedK;
        FloatVector zero = FloatVector.zero(FLOATS);
        FloatVector a0 = zero;
        FloatVector a1 = zero;
        FloatVector a2 = zero;
        FloatVector a3 = zero;
        FloatVector b0 = zero;
        FloatVector b1 = zero;
        FloatVector b2 = zero;
        FloatVector b3 = zero;
        FloatVector c0 = zero;
        FloatVector c1 = zero;
        FloatVector c2 = zero;
        FloatVector c3 = zero;
        FloatVector d0 = zero;
        FloatVector d1 = zero;
        FloatVector d2 = zero;
        FloatVector d3 = zero;
        for (int k = 0; k < paddedK; k += 2) {
            long at = base + (long) k * BLOCK;
            FloatVector w = weights(codes, at);
            FloatVector na = w.fma(bcast(as[xa + k]), a0);
            FloatVector nb = w.fma(bcast(as[xb + k]), b0);
            FloatVector nc = w.fma(bcast(as[xc + k]), c0);
            FloatVector nd = w.fma(bcast(as[xd + k]), d0);
            w = weights(codes, at + BLOCK);
            FloatVector ma = w.fma(bcast(as[xa + k + 1]), a1);
            FloatVector mb = w.fma(bcast(as[xb + k + 1]), b1);
            FloatVector mc = w.fma(bcast(as[xc + k + 1]), c1);
            FloatVector md = w.fma(bcast(as[xd + k + 1]), d1);
            a0 = a2;
            a1 = a3;
            a2 = na;
            a3 = ma;
            b0 = b2;
            b1 = b3;
            b2 = nb;
            b3 = mb;
            c0 = c2;
            c1 = c3;
            c2 = nc;
            c3 = mc;
            d0 = d2;
            d1 = d3;
            d2 = nd;
            d3 = md;
        }
        store(a0.add(a1).add(a2.add(a3)), layer, block, lane, row, as, rowScales, stage, out, columns);
        store(b0.add(b1).add(b2.add(b3)), layer, block, lane, row + 1, as, rowScales, stage, out, columns);
        store(c0.add(c1).add(c2.add(c3)), layer, block, lane, row + 2, as, rowScales, stage, out, columns);
        store(d0.add(d1).add(d2.add(d3)), layer, block, lane, row + 3, as, rowScales, stage, out, columns);
    }

    private static void store(FloatVector dot, Fp8Layer layer, int block, int lane, int row, float[] as, float[] rowScales, float[] stage,
            OutputRows out, int columns) {
        int column = block * BLOCK + lane;
        Fp8Layer.Corrections corrections = layer.corrections();
        if (corrections.inBlock(block)) {
            dot.intoArray(stage, 0);
            int x = row * layer.paddedK();
            for (int j = 0; j < columns; j++) {
                float value = stage[j];
                for (int i = corrections.start(column + j), end = corrections.end(column + j); i < end; i++) {
                    int entry = corrections.entry(i);
                    float term = as[x + (entry >>> 1)] * SUBNORMAL_RAISE;
                    value -= (entry & 1) == 0 ? term : -term;
                }
                stage[j] = value;
            }
            dot = FloatVector.fromArray(FLOATS, stage, 0);
        }
        FloatVector scale = FloatVector.fromArray(FLOATS, layer.weightScales(), column).mul(rowScales[row]);
        dot.mul(UNSCALE).fma(scale, FloatVector.fromArray(FLOATS, layer.bias(), column)).intoArray(stage, 0);
        out.write(row, column, stage, columns);
    }
}
