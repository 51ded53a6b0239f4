package dev.qlinear.testplugin.common;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Platform;

import java.util.function.Function;

/**
 * A kernel of the selection tests: a declaration plus its own extra check. It computes nothing, so prepare and
 * apply refuse to run.
 */
public final class DeclaredKernel<C extends LayerConfig> implements LinearKernel<C> {

    private final KernelDescriptor descriptor;
    private final Function<C, Verdict> ownCheck;

    public DeclaredKernel(KernelDescriptor descriptor, Function<C, Verdict> ownCheck) {
        this.descriptor = descriptor;
        this.ownCheck = ownCheck;
    }

    @Override
    public KernelDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public Verdict canImplement(C config, Platform platform) {
        return ownCheck.apply(config);
    }

    @Override
    public PreparedLayer prepare(C config, QuantizedWeights weights, Device device) {
        throw new UnsupportedOperationException(descriptor.id() + " is a selection-test kernel and computes nothing");
    }

    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        throw new UnsupportedOperationException(descriptor.id() + " is a selection-test kernel and computes nothing");
    }
}
