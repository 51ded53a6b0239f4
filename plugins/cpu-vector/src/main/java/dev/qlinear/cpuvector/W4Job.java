package dev.qlinear.cpuvector;

import dev.qlinear.spi.device.Tensor;

import static dev.qlinear.cpuvector.W4Geometry.SLOTS_PER_WORD;
import static java.util.Objects.requireNonNull;

/**
 * One W4A16 call at a time on a worker team, reusing its scratch between calls. Rows go in panels of at most
 * {@value #PANEL}: the team first converts a panel's activations to float32 in slot order (one unit per row), then
 * multiplies it by the weights in units of (row chunk, block chunk). Every output element lies in one unit.
 */
final class W4Job implements WorkerTeam.Task {

    static final int PANEL = 256;
    private static final int ROWS_PER_UNIT = 64;
    private static final int UNITS_PER_THREAD = 4;

    private final WorkerTeam team;
    private final float[][] stages;
    private final Inputs inputs = new Inputs();
    private final OutputRows outputs = new OutputRows();
    private float[] xs = new float[0];
    private float[] sums = new float[0];

    private W4Layer layer;
    private boolean converting;
    private int panelStart;
    private int panelRows;
    private int rowsPerUnit;
    private int blocksPerUnit;
    private int blockChunks;

    W4Job(WorkerTeam team) {
        this.team = requireNonNull(team, "team is null");
        this.stages = new float[team.size()][W4Compute.LANES];
    }

    /** Computes the whole call; not thread-safe, the kernel runs one call at a time per job. */
    void run(W4Layer layer, Tensor input, Tensor output, int rows) {
        W4Geometry geometry = layer.geometry();
        this.layer = layer;
        inputs.source(input);
        outputs.target(output);
        int panelCapacity = Math.min(rows, PANEL);
        if (xs.length < panelCapacity * geometry.slots()) {
            xs = new float[panelCapacity * geometry.slots()];
        }
        if (sums.length < panelCapacity * geometry.groups()) {
            sums = new float[panelCapacity * geometry.groups()];
        }
        try {
            for (panelStart = 0; panelStart < rows; panelStart += PANEL) {
                panelRows = Math.min(PANEL, rows - panelStart);
                outputs.panel(panelStart);
                converting = true;
                team.run(this, panelRows);
                converting = false;
                rowsPerUnit = Math.min(panelRows, ROWS_PER_UNIT);
                int rowChunks = (panelRows + rowsPerUnit - 1) / rowsPerUnit;
                int wanted = (UNITS_PER_THREAD * team.size() + rowChunks - 1) / rowChunks;
                int chunks = Math.clamp(wanted, 1, geometry.blocks());
                blocksPerUnit = (geometry.blocks() + chunks - 1) / chunks;
                blockChunks = (geometry.blocks() + blocksPerUnit - 1) / blocksPerUnit;
                team.run(this, rowChunks * blockChunks);
            }
        }
        finally {
            this.layer = null;
            inputs.clear();
            outputs.clear();
        }
    }

    @Override
    public void run(int unit, int worker) {
        if (converting) {
            convert(unit);
            return;
        }
        int rowChunk = unit / blockChunks;
        int blockChunk = unit % blockChunks;
        int rowFrom = rowChunk * rowsPerUnit;
        int rowTo = Math.min(rowFrom + rowsPerUnit, panelRows);
        int blockFrom = blockChunk * blocksPerUnit;
        int blockTo = Math.min(blockFrom + blocksPerUnit, layer.geometry().blocks());
        W4Compute.compute(layer, xs, sums, rowFrom, rowTo, blockFrom, blockTo, stages[worker], outputs);
    }

    /** Row {@code row} of the panel: activations in slot order times their slot weights, and each group's sum. */
    private void convert(int row) {
        W4Geometry geometry = layer.geometry();
        int[] slotRows = geometry.slotRows();
        int[] groupWords = geometry.groupWords();
        long inputRow = (long) panelStart + row;
        int x = row * geometry.slots();
        int sum = row * geometry.groups();
        for (int group = 0; group < geometry.groups(); group++) {
            float total = 0.0f;
            int end = groupWords[group + 1] * SLOTS_PER_WORD;
            for (int slot = groupWords[group] * SLOTS_PER_WORD; slot < end; slot++) {
                int column = slotRows[slot];
                float value = column == W4Geometry.EMPTY_SLOT ? 0.0f : inputs.get(inputRow, column);
                total += value;
                xs[x + slot] = value * W4Compute.SLOT_WEIGHTS[slot & (SLOTS_PER_WORD - 1)];
            }
            sums[sum + group] = total;
        }
    }
}
