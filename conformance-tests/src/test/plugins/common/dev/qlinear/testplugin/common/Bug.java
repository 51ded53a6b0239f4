package dev.qlinear.testplugin.common;

/** The one defect a test plugin is built with, so the conformance suite's self-test can show it finds each. */
public enum Bug {
    /** A correct kernel. */
    NONE,
    /** The unpack reads the packed words as if K and N were swapped. */
    TRANSPOSED_UNPACK,
    /** Explicit zero points are used off by one, as if they were GPTQ v1's stored z - 1. */
    ZERO_POINT_OFF_BY_ONE,
    /** Every row of a 64-row tile of K takes the scale of the group of the tile's first row. */
    TILE_EDGE_SCALE,
    /** The bias is never added. */
    BIAS_IGNORED,
    /** Columns are computed in tiles of 64 and the last, partial tile is skipped. */
    PARTIAL_TILE_SKIPPED,
    /** The input is read as if it were contiguous, whatever its row stride. */
    CONTIGUOUS_ONLY,
    /** Above 16 rows, partial sums of each 64-row chunk of K are rounded to the output type. */
    BATCH_DEPENDENT,
    /** canImplement does not check the group size. */
    ACCEPTS_ANY_GROUP,
    /** canImplement throws for an activation type it does not support instead of refusing. */
    REJECT_THROWS,
    /** The kernel declares a prepared layout qlinear has no reference packer for. */
    UNKNOWN_LAYOUT
}
