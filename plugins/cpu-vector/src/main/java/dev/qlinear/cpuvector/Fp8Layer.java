package dev.qlinear.cpuvector;

import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.util.Objects.requireNonNull;

/**
 * An FP8 layer in the kernel's own layout: the e4m3fn codes {@code [ceil(N/16), Kp, 16]} (column blocks of 16, K
 * padded to a multiple of 4 with zero codes) and the weight scale of every column, in host memory owned through the
 * device.
 */
final class Fp8Layer implements PreparedLayer {

    static final int BLOCK = 16;
    static final int K_STEP = 4;

    private final ScaledMmConfig config;
    private final Device device;
    private final Object owner;
    private final Tensor codeTensor;
    private final MemorySegment codes;
    private final int paddedK;
    private final int blocks;
    private final float[] weightScales;
    private final float[] bias;
    private final float inputScale;
    private final Corrections corrections;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param weightScales the scale of every column, padded to whole blocks
     * @param bias the bias of every column, padded to whole blocks (zeros without a bias)
     * @param inputScale the static activation scale, or NaN for dynamic scales
     * @param corrections the subnormal codes stored raised by {@code 2^-6}
     */
    Fp8Layer(ScaledMmConfig config, Device device, Object owner, Tensor codes, int paddedK, float[] weightScales, float[] bias, float inputScale,
            Corrections corrections) {
        this.config = requireNonNull(config, "config is null");
        this.device = requireNonNull(device, "device is null");
        this.owner = requireNonNull(owner, "owner is null");
        this.codeTensor = requireNonNull(codes, "codes is null");
        this.codes = HalfFloats.hostSegment(codes, "prepared codes");
        this.paddedK = paddedK;
        this.blocks = (config.n() + BLOCK - 1) / BLOCK;
        this.weightScales = requireNonNull(weightScales, "weightScales is null");
        this.bias = requireNonNull(bias, "bias is null");
        this.inputScale = inputScale;
        this.corrections = requireNonNull(corrections, "corrections is null");
    }

    @Override
    public ScaledMmConfig config() {
        return config;
    }

    @Override
    public long deviceBytes() {
        return codeTensor.elementCount() * codeTensor.dtype().storageBytes();
    }

    MemorySegment codes() {
        return codes;
    }

    int paddedK() {
        return paddedK;
    }

    int blocks() {
        return blocks;
    }

    float[] weightScales() {
        return weightScales;
    }

    float[] bias() {
        return bias;
    }

    float inputScale() {
        return inputScale;
    }

    Corrections corrections() {
        return corrections;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            device.release(owner);
        }
    }

    @Override
    public String toString() {
        return "cpu-vector fp8 layer K=" + config.k() + " N=" + config.n();
    }

    /**
     * The weights whose subnormal codes were stored raised by {@code 2^-6}, per column in ascending k: entry
     * {@code i} of column n, for i in {@code [start[n], start[n + 1])}, is {@code k << 1 | negative}.
     */
    static final class Corrections {

        private final int[] start;
        private final int[] entries;
        private final boolean[] blocks;

        private Corrections(int[] start, int[] entries) {
            this.start = start;
            this.entries = entries;
            this.blocks = new boolean[(start.length - 1 + BLOCK - 1) / BLOCK];
            for (int column = 0; column + 1 < start.length; column++) {
                if (start[column + 1] > start[column]) {
                    blocks[column / BLOCK] = true;
                }
            }
        }

        /** Whether any column of a block has a correction. */
        boolean inBlock(int block) {
            return blocks[block];
        }

        int start(int column) {
            return start[column];
        }

        int end(int column) {
            return start[column + 1];
        }

        int entry(int index) {
            return entries[index];
        }

        int count() {
            return entries.length;
        }

        /** Collects corrections column by column, each column's in ascending k. */
        static final class Builder {
            private final int[] counts;
            private int[] columns = new int[16];
            private int[] values = new int[16];
            private int size;

            Builder(int paddedColumns) {
                this.counts = new int[paddedColumns];
            }

            void add(int column, int k, boolean negative) {
                if (size == values.length) {
                    values = Arrays.copyOf(values, size * 2);
                    columns = Arrays.copyOf(columns, size * 2);
                }
                columns[size] = column;
                values[size] = k << 1 | (negative ? 1 : 0);
                size++;
                counts[column]++;
            }

            Corrections build() {
                int[] start = new int[counts.length + 1];
                for (int column = 0; column < counts.length; column++) {
                    start[column + 1] = start[column] + counts[column];
                }
                int[] next = Arrays.copyOf(start, counts.length);
                int[] entries = new int[size];
                // added column by column, k ascending within a column: the order is kept
                for (int i = 0; i < size; i++) {
                    entries[next[columns[i]]++] = values[i];
                }
                return new Corrections(start, entries);
            }
        }
    }
}
