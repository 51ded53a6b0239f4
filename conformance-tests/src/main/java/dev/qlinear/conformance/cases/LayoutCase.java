package dev.qlinear.conformance.cases;

import dev.qlinear.core.select.LayerDescriptions;

import static java.util.Objects.requireNonNull;

/**
 * The prepared layout of one declared variant compared bit for bit with qlinear's reference packer, without
 * computing: it runs wherever the kernel's {@code prepare} runs, so a GPU kernel's layout is checked on a machine
 * without its GPU too.
 *
 * @param id such as {@code layout-k2112-n192-uint4b8-g64-fp16}
 * @param layout the layout name the kernel declares
 * @param layer the variant and shape whose weights are packed, as a one-row computed case
 */
public record LayoutCase(String id, String layout, ComputeCase layer) implements PlannedCase {

    public LayoutCase {
        requireNonNull(id, "id is null");
        requireNonNull(layout, "layout is null");
        requireNonNull(layer, "layer is null");
    }

    @Override
    public String row() {
        return "layout " + layer.shape().label();
    }

    @Override
    public String column() {
        return layer.variant().label();
    }

    @Override
    public String description() {
        return "prepared layout '" + layout + "' of " + LayerDescriptions.describe(layer.config());
    }
}
