package dev.qlinear.conformance.run;

import dev.qlinear.core.reference.Fp8Matrix;
import dev.qlinear.core.reference.Fp8Reference;
import dev.qlinear.core.reference.Fp8Scaling;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A scaled-mm (FP8 W8A8) case: Gaussian weights quantized per channel or per tensor by the FP8 reference, a static
 * activation scale taken from the case's activations when the layer asks for one, and the reference that quantizes
 * the activations per token or per tensor and accumulates the exact fp8 products in double.
 */
final class ScaledMmModel implements ReferenceModel {

    private static final double WEIGHT_SIGMA = 0.05;

    private final ScaledMmConfig config;
    private final Fp8Matrix weightCodes;
    private final Fp8Scaling activationScaling;
    private final Optional<Float> staticScale;
    private final Optional<double[]> bias;
    private final QuantizedWeights.ScaledMm weights;

    private ScaledMmModel(ScaledMmConfig config, Fp8Matrix weightCodes, Fp8Scaling activationScaling, Optional<Float> staticScale, Optional<double[]> bias,
            QuantizedWeights.ScaledMm weights) {
        this.config = config;
        this.weightCodes = weightCodes;
        this.activationScaling = activationScaling;
        this.staticScale = staticScale;
        this.bias = bias;
        this.weights = weights;
    }

    static ScaledMmModel create(ScaledMmConfig config, RandomData data, double[] activations, Arena arena) {
        int k = config.k();
        int n = config.n();
        Fp8Scaling weightScaling = Fp8Scaling.of(config.weightQuant().type());
        double[] floats = data.gaussian(n * k, WEIGHT_SIGMA);
        boolean perTensorWeights = config.weightQuant().groupShape().isPerTensor();
        Fp8Matrix weightCodes = perTensorWeights
                ? Fp8Reference.quantizePerTensor(floats, n, k, weightScaling)
                : Fp8Reference.quantizePerToken(floats, n, k, weightScaling);
        HostTensor weight = HostTensor.allocate(arena, config.weightQuant().type(), n, k);
        byte[] codes = weightCodes.codes();
        for (int i = 0; i < codes.length; i++) {
            TensorIo.set(weight.segment(), config.weightQuant().type(), i, codes[i]);
        }
        float[] scales = weightCodes.scales();
        int[] scaleBits = new int[scales.length];
        for (int i = 0; i < scales.length; i++) {
            scaleBits[i] = Float.floatToRawIntBits(scales[i]);
        }
        HostTensor weightScale = perTensorWeights
                ? TensorIo.tensor(arena, ScalarType.FLOAT32, scaleBits, 1)
                : TensorIo.tensor(arena, ScalarType.FLOAT32, scaleBits, n, 1);

        Fp8Scaling activationScaling = Fp8Scaling.of(config.activationQuant().type());
        Optional<Float> staticScale = Optional.empty();
        Optional<Tensor> inputScale = Optional.empty();
        if (config.activationQuant().staticScale()) {
            double amax = 0;
            for (double value : activations) {
                amax = Math.max(amax, Math.abs(value));
            }
            // calibrated with some headroom, as a checkpoint's input_scale is: no activation saturates
            float scale = activationScaling.scaleFor(amax * 1.25);
            staticScale = Optional.of(scale);
            inputScale = Optional.of(TensorIo.tensor(arena, ScalarType.FLOAT32, new int[] {Float.floatToRawIntBits(scale)}, 1));
        }
        Optional<Tensor> biasTensor = Optional.empty();
        Optional<double[]> biasValues = Optional.empty();
        if (config.bias()) {
            int[] bits = data.biasBits(config.outputType(), n);
            biasTensor = Optional.of(TensorIo.tensor(arena, config.outputType(), bits, n));
            biasValues = Optional.of(RandomData.decode(config.outputType(), bits));
        }
        QuantizedWeights.ScaledMm weights = new QuantizedWeights.ScaledMm(weight, weightScale, inputScale, biasTensor);
        return new ScaledMmModel(config, weightCodes, activationScaling, staticScale, biasValues, weights);
    }

    @Override
    public QuantizedWeights weights() {
        return weights;
    }

    @Override
    public double[] reference(double[] activations, int rows) {
        Fp8Matrix quantized = quantize(activations, rows);
        return bias.map(values -> Fp8Reference.scaledMm(quantized, weightCodes, values)).orElseGet(() -> Fp8Reference.scaledMm(quantized, weightCodes));
    }

    @Override
    public List<Hypothesis> hypotheses() {
        List<Hypothesis> hypotheses = new ArrayList<>();
        if (bias.isPresent()) {
            hypotheses.add(new Hypothesis("the output matches the reference without the bias: the kernel does not add the bias",
                    (x, rows) -> Fp8Reference.scaledMm(quantize(x, rows), weightCodes)));
        }
        return hypotheses;
    }

    @Override
    public List<KBlock> blocks() {
        return List.of();
    }

    @Override
    public Optional<String> batchDependence() {
        if (!config.activationQuant().staticScale() && config.activationQuant().groupShape().equals(GroupShape.PER_TENSOR)) {
            return Optional.of("dynamic per-tensor activation scales come from the whole batch, so a row alone gets another scale");
        }
        return Optional.empty();
    }

    private Fp8Matrix quantize(double[] activations, int rows) {
        int k = config.k();
        if (staticScale.isPresent()) {
            return Fp8Reference.quantizeWithScale(activations, rows, k, activationScaling, staticScale.get());
        }
        if (config.activationQuant().groupShape().equals(GroupShape.PER_TENSOR)) {
            return Fp8Reference.quantizePerTensor(activations, rows, k, activationScaling);
        }
        return Fp8Reference.quantizePerToken(activations, rows, k, activationScaling);
    }
}
