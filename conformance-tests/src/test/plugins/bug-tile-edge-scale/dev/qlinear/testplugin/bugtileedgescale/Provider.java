package dev.qlinear.testplugin.bugtileedgescale;

import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.testplugin.common.Bug;
import dev.qlinear.testplugin.common.ScalarW4a16Kernel;
import org.pf4j.Extension;

import java.util.List;

/** The scalar W4A16 kernel that takes the scale of the group at the start of each 64-row tile. */
@Extension
public final class Provider implements KernelProvider {

    private final List<LinearKernel<?>> kernels = List.of(new ScalarW4a16Kernel("bug-tile-edge-scale", Bug.TILE_EDGE_SCALE));

    @Override
    public List<LinearKernel<?>> kernels() {
        return kernels;
    }
}
