package dev.qlinear.spi.weights;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Which element of a run of {@code 32 / bits} consecutive elements sits in which slot of a 32-bit word. Slot
 * {@code i} occupies bits {@code [bits * i, bits * i + bits)}, least significant first.
 */
public enum SlotOrder {
    /** Slot i holds element i. */
    SEQUENTIAL(List.of(0, 1, 2, 3, 4, 5, 6, 7)),
    /** AWQ's 4-bit interleave: slot i holds element {@code [0, 2, 4, 6, 1, 3, 5, 7][i]}. */
    AWQ_INTERLEAVED(List.of(0, 2, 4, 6, 1, 3, 5, 7));

    private final List<Integer> elementOfSlot;

    SlotOrder(List<Integer> elementOfSlot) {
        this.elementOfSlot = requireNonNull(elementOfSlot);
    }

    /** The element (0-based within its word's run) that slot {@code slot} holds, for words of {@code packFactor} slots. */
    public int elementOfSlot(int slot, int packFactor) {
        if (this == SEQUENTIAL) {
            return slot;
        }
        if (packFactor != 8) {
            throw new IllegalArgumentException(this + " is defined for 4-bit codes (8 per word), not " + packFactor + " per word");
        }
        return elementOfSlot.get(slot);
    }

    /** The slot that holds element {@code element} of its run. */
    public int slotOfElement(int element, int packFactor) {
        if (this == SEQUENTIAL) {
            return element;
        }
        if (packFactor != 8) {
            throw new IllegalArgumentException(this + " is defined for 4-bit codes (8 per word), not " + packFactor + " per word");
        }
        return elementOfSlot.indexOf(element);
    }
}
