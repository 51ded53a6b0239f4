package dev.qlinear.testplugin.common;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.Vendor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A plain scalar FP8 W8A8 kernel for the CPU: per-token or per-tensor activation scales (dynamic, or a static
 * per-tensor one), per-channel or per-tensor weight scales, e4m3fn, bias. Activations are quantized as
 * {@code RNE(clamp(x / s, 448))} with {@code s = max(amax / 448, 1 / (448 * 512))} in fp32, products summed in double.
 */
public final class ScalarFp8Kernel implements LinearKernel<ScaledMmConfig> {

    private static final Set<ScalarType> HALF_TYPES = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    private static final Set<GroupShape> WEIGHT_SCALES = Set.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR);
    private static final Set<GroupShape> ACTIVATION_SCALES = Set.of(GroupShape.PER_TOKEN, GroupShape.PER_TENSOR);
    private static final float FP8_MAX = 448f;

    private final KernelDescriptor descriptor;

    public ScalarFp8Kernel(String id) {
        this.descriptor = new KernelDescriptor(id, "scalar-test", "1.0.0", List.of(PlatformSupport.of("cpu", 1)),
                new ScaledMmCapabilities(Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(ScalarType.FLOAT8_E4M3FN), WEIGHT_SCALES, ACTIVATION_SCALES, true, true,
                        HALF_TYPES, HALF_TYPES, true, 1, 1),
                ToleranceClass.FP8_W8A8, 65536);
    }

    @Override
    public KernelDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public Verdict canImplement(ScaledMmConfig config, Platform platform) {
        boolean staticScale = config.activationQuant().staticScale();
        return Verdict.checks()
                .require(platform.vendor() == Vendor.CPU, "platform", "a CPU", platform.spec())
                .require(config.weightQuant().type().equals(ScalarType.FLOAT8_E4M3FN), "weight type", "float8_e4m3fn", config.weightQuant().type().name())
                .require(config.activationQuant().type().equals(ScalarType.FLOAT8_E4M3FN), "activation type", "float8_e4m3fn",
                        config.activationQuant().type().name())
                .require(WEIGHT_SCALES.contains(config.weightQuant().groupShape()), "weight scales", "per-channel or per-tensor",
                        config.weightQuant().groupShape().toString())
                .require(ACTIVATION_SCALES.contains(config.activationQuant().groupShape()), "activation scales", "per-token or per-tensor",
                        config.activationQuant().groupShape().toString())
                .require(!staticScale || config.activationQuant().groupShape().isPerTensor(), "static activation scales", "per-tensor",
                        config.activationQuant().groupShape().toString())
                .require(HALF_TYPES.contains(config.inputType()), "input type", "float16 or bfloat16", config.inputType().name())
                .require(HALF_TYPES.contains(config.outputType()), "output type", "float16 or bfloat16", config.outputType().name())
                .verdict();
    }

    @Override
    public PreparedLayer prepare(ScaledMmConfig config, QuantizedWeights weights, Device device) {
        if (!(weights instanceof QuantizedWeights.ScaledMm scaled)) {
            throw new IllegalArgumentException("scaled-mm weights expected, got " + weights.getClass().getSimpleName());
        }
        int k = config.k();
        int n = config.n();
        double[] weight = new double[n * k];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = Floats.decodeE4m3fn(HostTensors.get(scaled.weight(), i));
        }
        double[] scales = HostTensors.values(scaled.weightScale());
        float[] weightScales = new float[scales.length];
        for (int i = 0; i < scales.length; i++) {
            weightScales[i] = (float) scales[i];
        }
        float inputScale = scaled.inputScale().map(tensor -> (float) HostTensors.values(tensor)[0]).orElse(Float.NaN);
        double[] bias = scaled.bias().map(HostTensors::values).orElse(null);
        return new Fp8Layer(config, weight, weightScales, inputScale, bias);
    }

    @Override
    public void apply(PreparedLayer prepared, Tensor input, Tensor output, ExecutionStream stream) {
        Fp8Layer layer = (Fp8Layer) prepared;
        ScaledMmConfig config = layer.config;
        int m = Math.toIntExact(input.size(0));
        int k = config.k();
        int n = config.n();
        double[] x = new double[m * k];
        for (int row = 0; row < m; row++) {
            for (int inner = 0; inner < k; inner++) {
                x[row * k + inner] = Floats.decode(input.dtype(), HostTensors.get(input, row * input.stride(0) + inner * input.stride(1)));
            }
        }
        float[] activationScales = new float[m];
        if (config.activationQuant().staticScale()) {
            Arrays.fill(activationScales, layer.inputScale);
        }
        else if (config.activationQuant().groupShape().isPerTensor()) {
            Arrays.fill(activationScales, scaleFor(amax(x, 0, x.length)));
        }
        else {
            for (int row = 0; row < m; row++) {
                activationScales[row] = scaleFor(amax(x, row * k, (row + 1) * k));
            }
        }
        double[] quantized = new double[k];
        for (int row = 0; row < m; row++) {
            double scale = activationScales[row];
            for (int inner = 0; inner < k; inner++) {
                double clamped = Math.max(-FP8_MAX, Math.min(FP8_MAX, x[row * k + inner] / scale));
                quantized[inner] = Floats.decodeE4m3fn(Floats.encodeE4m3fn(clamped));
            }
            for (int column = 0; column < n; column++) {
                double sum = 0;
                for (int inner = 0; inner < k; inner++) {
                    sum += quantized[inner] * layer.weight[column * k + inner];
                }
                float weightScale = layer.weightScales.length == 1 ? layer.weightScales[0] : layer.weightScales[column];
                double value = (double) activationScales[row] * weightScale * sum + (layer.bias == null ? 0 : layer.bias[column]);
                HostTensors.set(output, row * output.stride(0) + column * output.stride(1), Floats.encode(output.dtype(), value));
            }
        }
    }

    private static double amax(double[] values, int from, int to) {
        double amax = 0;
        for (int i = from; i < to; i++) {
            amax = Math.max(amax, Math.abs(values[i]));
        }
        return amax;
    }

    private static float scaleFor(double amax) {
        return Math.max((float) amax / FP8_MAX, 1.0f / (FP8_MAX * 512.0f));
    }

    /** The decoded weight, its scales, the static input scale and the bias of one layer. */
    private record Fp8Layer(ScaledMmConfig config, double[] weight, float[] weightScales, float inputScale, double[] bias) implements PreparedLayer {
        @Override
        public long deviceBytes() {
            return (long) weight.length * Double.BYTES;
        }

        @Override
        public void close() {
        }
    }
}
