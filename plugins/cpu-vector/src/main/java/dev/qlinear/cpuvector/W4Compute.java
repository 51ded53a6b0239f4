package dev.qlinear.cpuvector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.qlinear.cpuvector.W4Geometry.BLOCK;
import static dev.qlinear.cpuvector.W4Geometry.SLOTS_PER_WORD;

/**
 * The W4A16 inner loops on the Vector API. One vector holds a run of columns of a 16-column block; rows are computed
 * in tiles that share each unpacked weight vector. Every output element is computed by the same operations in the
 * same order whatever the tile, the row count or the thread: per row, four fp32 chains accumulate the products of
 * nibbles {@code i ≡ c (mod 4)} of each word of a group, in slot order, with fused multiply-adds; at the end of the
 * group {@code dot = (c0 + c1) + (c2 + c3)}, {@code acc = fma(dot, s, acc)}, {@code acc = fma(-z·s, Σx, acc)}; finally
 * {@code acc + bias}.
 *
 * <p>Nibble {@code c} of each 16-bit half of a word is taken in place, {@code h & (0xF << 4c)}, which is
 * {@code q · 16^c}: the activations were scaled by {@code 16^-c} ({@link #SLOT_WEIGHTS}), so each product equals
 * {@code q · x} exactly and one shift per nibble is saved. Only the one-row tile is unrolled over a whole word; the
 * multi-row tiles walk the two halves in a two-step loop: C2 stops inlining Vector API calls past a node budget
 * ({@code NodeCountInliningCutoff}), and a vector it does not inline is boxed on the heap, which costs far more than
 * the loop.
 */
final class W4Compute {

    static final VectorSpecies<Float> FLOATS = species();
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);
    static final int LANES = FLOATS.length();
    /** Rows sharing one pass over a block's weights: the accumulators must fit the register file. */
    static final int TILE = LANES >= 16 ? 4 : 2;
    /** The factor each slot's activation is stored with, by position in its word. */
    static final float[] SLOT_WEIGHTS = {1.0f, 0x1p-4f, 0x1p-8f, 0x1p-12f, 1.0f, 0x1p-4f, 0x1p-8f, 0x1p-12f};

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int WORD_BYTES = BLOCK * Integer.BYTES;
    private static final int HALF_SLOTS = SLOTS_PER_WORD / 2;

    private W4Compute() {
    }

    /** 16 lanes where the hardware has 512-bit vectors, else 8: the block is 16 columns wide either way. */
    private static VectorSpecies<Float> species() {
        return FloatVector.SPECIES_PREFERRED.length() >= 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    }

    /**
     * Rows {@code [rowFrom, rowTo)} of the panel times blocks {@code [blockFrom, blockTo)}.
     *
     * @param xs the panel's activations, {@code slots} per row, each multiplied by its slot weight
     * @param sums the panel's activation sums, {@code groups} per row
     * @param stage scratch of at least {@link #LANES} floats
     */
    static void compute(W4Layer layer, float[] xs, float[] sums, int rowFrom, int rowTo, int blockFrom, int blockTo, float[] stage, OutputRows out) {
        W4Geometry geometry = layer.geometry();
        for (int block = blockFrom; block < blockTo; block++) {
            for (int lane = 0; lane < BLOCK; lane += LANES) {
                int column = block * BLOCK + lane;
                int columns = Math.min(LANES, geometry.n() - column);
                if (columns <= 0) {
                    break;
                }
                int row = rowFrom;
                if (TILE == 4) {
                    for (; row + 4 <= rowTo; row += 4) {
                        tile4(layer, block, lane, xs, sums, row, stage, out, columns);
                    }
                }
                else {
                    for (; row + 2 <= rowTo; row += 2) {
                        tile2(layer, block, lane, xs, sums, row, stage, out, columns);
                    }
                }
                for (; row < rowTo; row++) {
                    tile1(layer, block, lane, xs, sums, row, stage, out, columns);
                }
            }
        }
    }

    private static FloatVector bcast(float value) {
        return FloatVector.broadcast(FLOATS, value);
    }

    /** Lane-wise {@code word & mask} as floats: nibble c of a half-word in place, {@code q · 16^c}. */
    private static FloatVector nibble(IntVector word, int mask) {
        return (FloatVector) word.and(mask).convert(VectorOperators.I2F, 0);
    }

    private static void tile1(W4Layer layer, int block, int lane, float[] xs, float[] sums, int row, float[] stage, OutputRows out, int columns) {
        W4Geometry geometry = layer.geometry();
        MemorySegment codes = layer.codes();
        int groups = geometry.groups();
        int[] groupWords = geometry.groupWords();
        long codeBase = (long) block * geometry.words() * WORD_BYTES + (long) lane * Integer.BYTES;
        long scaleBase = (long) block * groups * WORD_BYTES + (long) lane * Integer.BYTES;
        int x = row * geometry.slots();
        int sum = row * groups;
        FloatVector zero = FloatVector.zero(FLOATS);
        FloatVector acc = zero;
        for (int group = 0; group < groups; group++) {
            FloatVector c0 = zero;
            FloatVector c1 = zero;
            FloatVector c2 = zero;
            FloatVector c3 = zero;
            int end = groupWords[group + 1];
            for (int word = groupWords[group]; word < end; word++) {
                IntVector low = IntVector.fromMemorySegment(INTS, codes, codeBase + (long) word * WORD_BYTES, LE);
                IntVector high = low.lanewise(VectorOperators.LSHR, 16);
                int s = x + word * SLOTS_PER_WORD;
                c0 = nibble(low, 0xF).fma(bcast(xs[s]), c0);
                c1 = nibble(low, 0xF0).fma(bcast(xs[s + 1]), c1);
                c2 = nibble(low, 0xF00).fma(bcast(xs[s + 2]), c2);
                c3 = nibble(low, 0xF000).fma(bcast(xs[s + 3]), c3);
                c0 = nibble(high, 0xF).fma(bcast(xs[s + 4]), c0);
                c1 = nibble(high, 0xF0).fma(bcast(xs[s + 5]), c1);
                c2 = nibble(high, 0xF00).fma(bcast(xs[s + 6]), c2);
                c3 = nibble(high, 0xF000).fma(bcast(xs[s + 7]), c3);
            }
            long at = scaleBase + (long) group * WORD_BYTES;
            FloatVector scale = FloatVector.fromMemorySegment(FLOATS, layer.scales(), at, LE);
            FloatVector zeroScale = zeroScale(layer, scale, at);
            acc = c0.add(c1).add(c2.add(c3)).fma(scale, acc);
            acc = zeroScale.fma(bcast(sums[sum + group]), acc);
        }
        store(acc, layer, block, lane, row, stage, out, columns);
    }

    private static void tile2(W4Layer layer, int block, int lane, float[] xs, float[] sums, int row, float[] stage, OutputRows out, int columns) {
        W4Geometry geometry = layer.geometry();
        MemorySegment codes = layer.codes();
        int groups = geometry.groups();
        int[] groupWords = geometry.groupWords();
        int slots = geometry.slots();
        long codeBase = (long) block * geometry.words() * WORD_BYTES + (long) lane * Integer.BYTES;
        long scaleBase = (long) block * groups * WORD_BYTES + (long) lane * Integer.BYTES;
        int xa = row * slots;
        FloatVector zero = FloatVector.zero(FLOATS);
        FloatVector acca = zero;
        FloatVector accb = zero;
        for (int group = 0; group < groups; group++) {
            FloatVector a0 = zero;
            FloatVector a1 = zero;
            FloatVector a2 = zero;
            FloatVector a3 = zero;
            FloatVector b0 = zero;
            FloatVector b1 = zero;
            FloatVector b2 = zero;
            FloatVector b3 = zero;
            int end = groupWords[group + 1];
            for (int word = groupWords[group]; word < end; word++) {
                IntVector half = IntVector.fromMemorySegment(INTS, codes, codeBase + (long) word * WORD_BYTES, LE);
                for (int s = xa + word * SLOTS_PER_WORD, last = s + SLOTS_PER_WORD; s < last; s += HALF_SLOTS) {
                    FloatVector q = nibble(half, 0xF);
                    a0 = q.fma(bcast(xs[s]), a0);
                    b0 = q.fma(bcast(xs[s + slots]), b0);
                    q = nibble(half, 0xF0);
                    a1 = q.fma(bcast(xs[s + 1]), a1);
                    b1 = q.fma(bcast(xs[s + 1 + slots]), b1);
                    q = nibble(half, 0xF00);
                    a2 = q.fma(bcast(xs[s + 2]), a2);
                    b2 = q.fma(bcast(xs[s + 2 + slots]), b2);
                    q = nibble(half, 0xF000);
                    a3 = q.fma(bcast(xs[s + 3]), a3);
                    b3 = q.fma(bcast(xs[s + 3 + slots]), b3);
                    half = half.lanewise(VectorOperators.LSHR, 16);
                }
            }
            long at = scaleBase + (long) group * WORD_BYTES;
            FloatVector scale = FloatVector.fromMemorySegment(FLOATS, layer.scales(), at, LE);
            FloatVector zeroScale = zeroScale(layer, scale, at);
            int sum = row * groups + group;
            acca = a0.add(a1).add(a2.add(a3)).fma(scale, acca);
            acca = zeroScale.fma(bcast(sums[sum]), acca);
            accb = b0.add(b1).add(b2.add(b3)).fma(scale, accb);
            accb = zeroScale.fma(bcast(sums[sum + groups]), accb);
        }
        store(acca, layer, block, lane, row, stage, out, columns);
        store(accb, layer, block, lane, row + 1, stage, out, columns);
    }

    private static void tile4(W4Layer layer, int block, int lane, float[] xs, float[] sums, int row, float[] stage, OutputRows out, int columns) {
        W4Geometry geometry = layer.geometry();
        MemorySegment codes = layer.codes();
        int groups = geometry.groups();
        int[] groupWords = geometry.groupWords();
        int slots = geometry.slots();
        long codeBase = (long) block * geometry.words() * WORD_BYTES + (long) lane * Integer.BYTES;
        long scaleBase = (long) block * groups * WORD_BYTES + (long) lane * Integer.BYTES;
        int xa = row * slots;
        int xb = xa + slots;
        int xc = xb + slots;
        int xd = xc + slots;
        FloatVector zero = FloatVector.zero(FLOATS);
        FloatVector acca = zero;
        FloatVector accb = zero;
        FloatVector accc = zero;
        FloatVector accd = zero;
        for (int group = 0; group < groups; group++) {
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
            int end = groupWords[group + 1];
            for (int word = groupWords[group]; word < end; word++) {
                IntVector half = IntVector.fromMemorySegment(INTS, codes, codeBase + (long) word * WORD_BYTES, LE);
                for (int s = word * SLOTS_PER_WORD, last = s + SLOTS_PER_WORD; s < last; s += HALF_SLOTS) {
                    FloatVector q = nibble(half, 0xF);
                    a0 = q.fma(FloatVector.broadcast(FLOATS, xs[xa + s]), a0);
                    b0 = q.fma(FloatVector.broadcast(FLOATS, xs[xb + s]), b0);
                    c0 = q.fma(FloatVector.broadcast(FLOATS, xs[xc + s]), c0);
                    d0 = q.fma(FloatVector.broadcast(FLOATS, xs[xd + s]), d0);
                    q = nibble(half, 0xF0);
                    a1 = q.fma(FloatVector.broadcast(FLOATS, xs[xa + s + 1]), a1);
                    b1 = q.fma(FloatVector.broadcast(FLOATS, xs[xb + s + 1]), b1);
                    c1 = q.fma(FloatVector.broadcast(FLOATS, xs[xc + s + 1]), c1);
                    d1 = q.fma(FloatVector.broadcast(FLOATS, xs[xd + s + 1]), d1);
                    q = nibble(half, 0xF00);
                    a2 = q.fma(FloatVector.broadcast(FLOATS, xs[xa + s + 2]), a2);
                    b2 = q.fma(FloatVector.broadcast(FLOATS, xs[xb + s + 2]), b2);
                    c2 = q.fma(FloatVector.broadcast(FLOATS, xs[xc + s + 2]), c2);
                    d2 = q.fma(FloatVector.broadcast(FLOATS, xs[xd + s + 2]), d2);
                    q = nibble(half, 0xF000);
                    a3 = q.fma(FloatVector.broadcast(FLOATS, xs[xa + s + 3]), a3);
                    b3 = q.fma(FloatVector.broadcast(FLOATS, xs[xb + s + 3]), b3);
                    c3 = q.fma(FloatVector.broadcast(FLOATS, xs[xc + s + 3]), c3);
                    d3 = q.fma(FloatVector.broadcast(FLOATS, xs[xd + s + 3]), d3);
                    half = half.lanewise(VectorOperators.LSHR, 16);
                }
            }
            long at = scaleBase + (long) group * WORD_BYTES;
            FloatVector scale = FloatVector.fromMemorySegment(FLOATS, layer.scales(), at, LE);
            FloatVector zeroScale = zeroScale(layer, scale, at);
            int sum = row * groups + group;
            acca = a0.add(a1).add(a2.add(a3)).fma(scale, acca);
            acca = zeroScale.fma(FloatVector.broadcast(FLOATS, sums[sum]), acca);
            accb = b0.add(b1).add(b2.add(b3)).fma(scale, accb);
            accb = zeroScale.fma(FloatVector.broadcast(FLOATS, sums[sum + groups]), accb);
            accc = c0.add(c1).add(c2.add(c3)).fma(scale, accc);
            accc = zeroScale.fma(FloatVector.broadcast(FLOATS, sums[sum + 2 * groups]), accc);
            accd = d0.add(d1).add(d2.add(d3)).fma(scale, accd);
            accd = zeroScale.fma(FloatVector.broadcast(FLOATS, sums[sum + 3 * groups]), accd);
        }
        store(acca, layer, block, lane, row, stage, out, columns);
        store(accb, layer, block, lane, row + 1, stage, out, columns);
        store(accc, layer, block, lane, row + 2, stage, out, columns);
        store(accd, layer, block, lane, row + 3, stage, out, columns);
    }

    /**
     * The group's {@code -z · s}: read from {@code zero_scales} when zero points vary, else the same float product
     * formed from the scale (z = 8 for uint4b8, 0 for uint4 without zero points), which saves an eighth of the memory
     * traffic of a symmetric layer.
     */
    private static FloatVector zeroScale(W4Layer layer, FloatVector scale, long at) {
        return layer.sharedZeroPoint() ? scale.mul(layer.negatedZeroPoint()) : FloatVector.fromMemorySegment(FLOATS, layer.zeroScales(), at, LE);
    }

    private static void store(FloatVector acc, W4Layer layer, int block, int lane, int row, float[] stage, OutputRows out, int columns) {
        int column = block * BLOCK + lane;
        acc.add(FloatVector.fromArray(FLOATS, layer.bias(), column)).intoArray(stage, 0);
        out.write(row, column, stage, columns);
    }
}
