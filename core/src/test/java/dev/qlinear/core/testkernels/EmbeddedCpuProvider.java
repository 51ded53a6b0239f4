package dev.qlinear.core.testkernels;

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

/** A kernel provider on the test class path, listed in META-INF/services, as an embedding engine would ship one. */
public final class EmbeddedCpuProvider implements KernelProvider {

    public static final String KERNEL_ID = "embedded-cpu";

    @Override
    public List<LinearKernel<?>> kernels() {
        return List.of(new EmbeddedKernel());
    }

    private static final class EmbeddedKernel implements LinearKernel<WeightOnlyConfig> {
        private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(KERNEL_ID, "embedded", "1.0.0",
                List.of(PlatformSupport.of("cpu", 50)),
                new WeightOnlyCapabilities(Set.of(ScalarType.UINT4B8), Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16), Set.of(-1, 128),
                        false, false, 1, 1),
                ToleranceClass.FUSED_16BIT, 1024);

        @Override
        public KernelDescriptor descriptor() {
            return DESCRIPTOR;
        }

        @Override
        public Verdict canImplement(WeightOnlyConfig config, Platform platform) {
            return Verdict.accepted();
        }

        @Override
        public PreparedLayer prepare(WeightOnlyConfig config, QuantizedWeights weights, Device device) {
            throw new UnsupportedOperationException("embedded-cpu is a discovery-test kernel and computes nothing");
        }

        @Override
        public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
            throw new UnsupportedOperationException("embedded-cpu is a discovery-test kernel and computes nothing");
        }
    }
}
