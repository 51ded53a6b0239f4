package dev.qlinear.cpuvector;

import java.util.Arrays;

/**
 * Where every row of K and every column of N sit in the {@value #LAYOUT} layout (see {@link W4A16Kernel}): the K rows
 * in slot order, sorted by group and padded so that every group fills whole 8-slot words, and N in blocks of
 * {@value #BLOCK} columns.
 */
final class W4Geometry {

    static final String LAYOUT = "cpu-vector-w4";
    static final int BLOCK = 16;
    static final int SLOTS_PER_WORD = 8;
    static final int EMPTY_SLOT = -1;

    private final int k;
    private final int n;
    private final int groups;
    private final int blocks;
    private final int[] slotRows;
    private final int[] groupWords;

    private W4Geometry(int k, int n, int groups, int[] slotRows, int[] groupWords) {
        this.k = k;
        this.n = n;
        this.groups = groups;
        this.blocks = (n + BLOCK - 1) / BLOCK;
        this.slotRows = slotRows;
        this.groupWords = groupWords;
    }

    /**
     * @param groupOfRow the group of each of the K rows, each in {@code [0, groups)}
     */
    static W4Geometry of(int k, int n, int groups, int[] groupOfRow) {
        if (groupOfRow.length != k) {
            throw new IllegalArgumentException("the group index must have K=" + k + " entries, got " + groupOfRow.length);
        }
        int[] rowsInGroup = new int[groups];
        for (int row = 0; row < k; row++) {
            int group = groupOfRow[row];
            if (group < 0 || group >= groups) {
                throw new IllegalArgumentException("group index " + group + " of row " + row + " is outside [0, " + groups + ")");
            }
            rowsInGroup[group]++;
        }
        int[] groupWords = new int[groups + 1];
        for (int group = 0; group < groups; group++) {
            groupWords[group + 1] = groupWords[group] + (rowsInGroup[group] + SLOTS_PER_WORD - 1) / SLOTS_PER_WORD;
        }
        int[] slotRows = new int[groupWords[groups] * SLOTS_PER_WORD];
        Arrays.fill(slotRows, EMPTY_SLOT);
        int[] nextSlot = new int[groups];
        for (int group = 0; group < groups; group++) {
            nextSlot[group] = groupWords[group] * SLOTS_PER_WORD;
        }
        // Rows ascending, so each group keeps its rows in ascending order: a stable sort by group.
        for (int row = 0; row < k; row++) {
            slotRows[nextSlot[groupOfRow[row]]++] = row;
        }
        return new W4Geometry(k, n, groups, slotRows, groupWords);
    }

    /** Rows in groups of {@code groupSize} consecutive rows, or one group for -1. */
    static int[] consecutiveGroups(int k, int groupSize) {
        int[] groupOfRow = new int[k];
        for (int row = 0; row < k; row++) {
            groupOfRow[row] = groupSize == -1 ? 0 : row / groupSize;
        }
        return groupOfRow;
    }

    int k() {
        return k;
    }

    int n() {
        return n;
    }

    int groups() {
        return groups;
    }

    int blocks() {
        return blocks;
    }

    int words() {
        return groupWords[groups];
    }

    int slots() {
        return slotRows.length;
    }

    /** The row in a slot, or {@link #EMPTY_SLOT}; the caller must not modify the array. */
    int[] slotRows() {
        return slotRows;
    }

    /** The first word of each group, and the word count at the end; the caller must not modify the array. */
    int[] groupWords() {
        return groupWords;
    }

    /** Whether slot s holds row s for every row, so the canonical words can be copied whole. */
    boolean slotsAreRows() {
        for (int row = 0; row < k; row++) {
            if (slotRows[row] != row) {
                return false;
            }
        }
        return true;
    }
}
