package dev.qlinear.cpuvector;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.device.Tensor;

import static java.util.Objects.requireNonNull;

/**
 * One FP8 call at a time on a worker team, reusing its scratch between calls. For per-tensor dynamic scales the team
 * first finds every row's largest magnitude. Then, panel by panel of at most {@value #PANEL} rows, it quantizes the
 * activations (one unit per row) and multiplies them by the weights in units of (row chunk, block chunk).
 *
 * <p>Quantization is core's reference, step for step: {@code s = max(amax / 448, 1 / (448 · 512))} in fp32 (or the
 * static scale), then each code is {@code x / s} computed in double, rounded once to e4m3fn, nearest-even, saturating
 * at ±448.
 */
final class Fp8Job implements WorkerTeam.Task {

    static final int PANEL = 256;
    static final float MIN_SCALE = 1.0f / (E4m3.MAX * 512.0f);
    private static final int ROWS_PER_UNIT = 64;
    private static final int UNITS_PER_THREAD = 4;

    private enum Phase { ROW_MAXIMA, QUANTIZE, MULTIPLY }

    private final WorkerTeam team;
    private final float[][] stages;
    private final Inputs inputs = new Inputs();
    private final OutputRows outputs = new OutputRows();
    private float[] activations = new float[0];
    private float[] rowScales = new float[0];
    private float[] rowMaxima = new float[0];

    private Fp8Layer layer;
    private Phase phase;
    private boolean perToken;
    private float tensorScale;
    private int panelStart;
    private int panelRows;
    private int rowsPerUnit;
    private int blocksPerUnit;
    private int blockChunks;

    Fp8Job(WorkerTeam team) {
        this.team = requireNonNull(team, "team is null");
        this.stages = new float[team.size()][Fp8Compute.LANES];
    }

    /** Computes the whole call; not thread-safe, the kernel runs one call at a time per job. */
    void run(Fp8Layer layer, Tensor input, Tensor output, int rows) {
        this.layer = layer;
        inputs.source(input);
        outputs.target(output);
        int panelCapacity = Math.min(rows, PANEL);
        if (activations.length < panelCapacity * layer.paddedK()) {
            activations = new float[panelCapacity * layer.paddedK()];
        }
        if (rowScales.length < panelCapacity) {
            rowScales = new float[panelCapacity];
        }
        try {
            GroupShape shape = layer.config().activationQuant().groupShape();
            perToken = shape.equals(GroupShape.PER_TOKEN);
            if (layer.config().activationQuant().staticScale()) {
                tensorScale = layer.inputScale();
            }
            else if (!perToken) {
                tensorScale = scaleFor(tensorMaximum(rows));
            }
            for (panelStart = 0; panelStart < rows; panelStart += PANEL) {
                panelRows = Math.min(PANEL, rows - panelStart);
                outputs.panel(panelStart);
                phase = Phase.QUANTIZE;
                team.run(this, panelRows);
                phase = Phase.MULTIPLY;
                rowsPerUnit = Math.min(panelRows, ROWS_PER_UNIT);
                int rowChunks = (panelRows + rowsPerUnit - 1) / rowsPerUnit;
                int wanted = (UNITS_PER_THREAD * team.size() + rowChunks - 1) / rowChunks;
                int chunks = Math.clamp(wanted, 1, layer.blocks());
                blocksPerUnit = (layer.blocks() + chunks - 1) / chunks;
                blockChunks = (layer.blocks() + blocksPerUnit - 1) / blocksPerUnit;
                team.run(this, rowChunks * blockChunks);
            }
        }
        finally {
            this.layer = null;
            inputs.clear();
            outputs.clear();
        }
    }

    /** {@code max(amax / 448, 1 / (448 · 512))} in fp32, as core's {@code Fp8Scaling.scaleFor}. */
    static float scaleFor(float amax) {
        return Math.max(amax / E4m3.MAX, MIN_SCALE);
    }

    private float tensorMaximum(int rows) {
        if (rowMaxima.length < rows) {
            rowMaxima = new float[rows];
        }
        phase = Phase.ROW_MAXIMA;
        team.run(this, rows);
        float maximum = 0.0f;
        for (int row = 0; row < rows; row++) {
            maximum = Math.max(maximum, rowMaxima[row]);
        }
        return maximum;
    }

    @Override
    public void run(int unit, int worker) {
        switch (phase) {
            case ROW_MAXIMA -> rowMaxima[unit] = rowMaximum(unit);
            case QUANTIZE -> quantize(unit);
            case MULTIPLY -> {
                int rowFrom = (unit / blockChunks) * rowsPerUnit;
                int rowTo = Math.min(rowFrom + rowsPerUnit, panelRows);
                int blockFrom = (unit % blockChunks) * blocksPerUnit;
                int blockTo = Math.min(blockFrom + blocksPerUnit, layer.blocks());
                Fp8Compute.compute(layer, activations, rowScales, rowFrom, rowTo, blockFrom, blockTo, stages[worker], outputs);
            }
        }
    }

    private float rowMaximum(long row) {
        int k = layer.config().k();
        float maximum = 0.0f;
        for (int column = 0; column < k; column++) {
            maximum = Math.max(maximum, Math.abs(inputs.get(row, column)));
        }
        return maximum;
    }

    private void quantize(int row) {
        long inputRow = (long) panelStart + row;
        float scale = perToken ? scaleFor(rowMaximum(inputRow)) : tensorScale;
        rowScales[row] = scale;
        int k = layer.config().k();
        int paddedK = layer.paddedK();
        int at = row * paddedK;
        double divisor = scale;
        for (int column = 0; column < k; column++) {
            int code = E4m3.encodeSaturating(inputs.get(inputRow, column) / divisor);
            activations[at + column] = E4m3.decode(code) * Fp8Compute.ACTIVATION_FACTOR;
        }
        for (int column = k; column < paddedK; column++) {
            activations[at + column] = 0.0f;
        }
    }
}
