package dev.qlinear.cli;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.KernelProvider;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;

import java.util.List;
import java.util.Set;

/**
 * The kernel provider of the plugin jar the tests assemble: a fast kernel for sm_90 with a narrow envelope and a
 * slow one for every CUDA GPU that takes any group size. Selection only; neither computes anything.
 */
public final class FakeKernels implements KernelProvider {

    static final KernelDescriptor FAST = new KernelDescriptor("fast", "fake", "1.0.0",
            List.of(PlatformSupport.of("cuda:sm_90", 200)),
            new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16), Set.of(128), false, false, 128, 64),
            ToleranceClass.RELATIVE_MEAN_ERROR, 4096);

    static final KernelDescriptor SLOW = new KernelDescriptor("slow", "fake", "1.0.0",
            List.of(PlatformSupport.of("cuda:sm_80+", 10)),
            new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8, ScalarType.UINT4), Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16),
                    Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16), Set.of(-1, 32, 64, 128), true, true, 16, 16),
            ToleranceClass.RELATIVE_MEAN_ERROR, 65536);

    public FakeKernels() {
    }

    @Override
    public List<LinearKernel<?>> kernels() {
        return List.of(new Kernel(FAST), new Kernel(SLOW));
    }

    private record Kernel(KernelDescriptor descriptor) implements LinearKernel<WeightOnlyConfig> {
        @Override
        public Verdict canImplement(WeightOnlyConfig config, Platform platform) {
            return Verdict.accepted();
        }

        @Override
        public PreparedLayer prepare(WeightOnlyConfig config, QuantizedWeights weights, Device device) {
            throw new UnsupportedOperationException("the test kernels only take part in selection");
        }

        @Override
        public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
            throw new UnsupportedOperationException("the test kernels only take part in selection");
        }
    }
}
