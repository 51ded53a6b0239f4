package dev.qlinear.conformance.run;

import dev.qlinear.core.format.CanonicalWeights;
import dev.qlinear.core.reference.ReferenceGemm;
import dev.qlinear.core.reference.RtnQuantizer;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A weight-only case: fresh Gaussian weights quantized by the RTN reference quantizer (with a random act-order
 * permutation when asked), scales in the activation type, and the double-accumulated reference GEMM.
 */
final class WeightOnlyModel implements ReferenceModel {

    /** Weights of this spread keep fp16 outputs far from overflow for every K of the sweep. */
    private static final double WEIGHT_SIGMA = 0.05;
    private static final int ROWS_PER_BLOCK = 64;

    private final QuantizedMatrix matrix;
    private final QuantizedWeights.WeightOnly weights;
    private final double[] dequantized;
    private final Optional<double[]> bias;

    private WeightOnlyModel(QuantizedMatrix matrix, QuantizedWeights.WeightOnly weights, double[] dequantized, Optional<double[]> bias) {
        this.matrix = matrix;
        this.weights = weights;
        this.dequantized = dequantized;
        this.bias = bias;
    }

    static WeightOnlyModel create(WeightOnlyConfig config, boolean withBias, ToleranceClass tolerance, RandomData data, Arena arena) {
        int k = config.k();
        int n = config.n();
        ScalarType activation = config.activationType();
        boolean sixteenBit = activation.equals(ScalarType.FLOAT16) || activation.equals(ScalarType.BFLOAT16);
        ScalarType scaleType = sixteenBit || activation.equals(ScalarType.FLOAT32) ? activation : ScalarType.FLOAT16;
        RtnQuantizer quantizer = new RtnQuantizer(config.weightType(), config.isChannelwise() ? WeightOnlyConfig.CHANNELWISE : config.groupSize(), scaleType);
        double[] floats = data.gaussian(k * n, WEIGHT_SIGMA);
        QuantizedMatrix matrix = config.actOrder()
                ? quantizer.quantizeActOrder(floats, k, n, RtnQuantizer.randomPermutation(k, data.nextLong()))
                : quantizer.quantize(floats, k, n);
        Optional<Tensor> biasTensor = Optional.empty();
        Optional<double[]> biasValues = Optional.empty();
        if (withBias) {
            int[] bits = data.biasBits(config.outputType(), n);
            HostTensor tensor = TensorIo.tensor(arena, config.outputType(), bits, n);
            biasTensor = Optional.of(tensor);
            biasValues = Optional.of(RandomData.decode(config.outputType(), bits));
        }
        QuantizedWeights.WeightOnly weights = CanonicalWeights.of(matrix, biasTensor, arena);
        double[] dequantized = tolerance == ToleranceClass.FUSED_16BIT && sixteenBit
                ? ReferenceGemm.dequantizeFused16(matrix, activation)
                : ReferenceGemm.dequantize(matrix);
        return new WeightOnlyModel(matrix, weights, dequantized, biasValues);
    }

    @Override
    public QuantizedWeights weights() {
        return weights;
    }

    @Override
    public double[] reference(double[] activations, int rows) {
        return withBias(ReferenceGemm.matmul(activations, rows, matrix.k(), dequantized, matrix.n()));
    }

    @Override
    public List<Hypothesis> hypotheses() {
        List<Hypothesis> hypotheses = new ArrayList<>();
        if (bias.isPresent()) {
            hypotheses.add(new Hypothesis("the output matches the reference without the bias: the kernel does not add the bias",
                    (x, rows) -> ReferenceGemm.matmul(x, rows, matrix.k(), dequantized, matrix.n())));
        }
        if (matrix.hasZeroPoints()) {
            for (int delta : new int[] {1, -1}) {
                hypotheses.add(new Hypothesis("the output matches the reference with every zero point off by " + (delta > 0 ? "+1" : "-1")
                        + ": canonical zero points are true values (GPTQ v1 stores z - 1)",
                        (x, rows) -> withBias(ReferenceGemm.matmul(x, rows, matrix.k(), shiftedZeros(delta), matrix.n()))));
            }
        }
        return hypotheses;
    }

    @Override
    public List<KBlock> blocks() {
        List<KBlock> blocks = new ArrayList<>();
        int k = matrix.k();
        if (matrix.groupCount() > 1) {
            for (int group = 0; group < matrix.groupCount(); group++) {
                List<Integer> rows = new ArrayList<>();
                for (int row = 0; row < k; row++) {
                    if (matrix.groupOf(row) == group) {
                        rows.add(row);
                    }
                }
                int[] members = rows.stream().mapToInt(Integer::intValue).toArray();
                String range = matrix.hasActOrder() ? "" : "k [" + members[0] + ", " + (members[members.length - 1] + 1) + ")";
                blocks.add(new KBlock("group " + group + (matrix.hasActOrder() ? " (" + members.length + " rows by g_idx)" : " (" + range + ")"), range, members));
            }
            return blocks;
        }
        for (int start = 0; start < k; start += ROWS_PER_BLOCK) {
            int end = Math.min(k, start + ROWS_PER_BLOCK);
            int[] members = new int[end - start];
            for (int i = 0; i < members.length; i++) {
                members[i] = start + i;
            }
            String range = "k [" + start + ", " + end + ")";
            blocks.add(new KBlock(range, range, members));
        }
        return blocks;
    }

    @Override
    public Optional<String> batchDependence() {
        return Optional.empty();
    }

    private double[] withBias(double[] y) {
        bias.ifPresent(values -> {
            int n = values.length;
            for (int i = 0; i < y.length; i++) {
                y[i] += values[i % n];
            }
        });
        return y;
    }

    private double[] shiftedZeros(int delta) {
        int k = matrix.k();
        int n = matrix.n();
        double[] shifted = new double[k * n];
        for (int row = 0; row < k; row++) {
            int group = matrix.groupOf(row);
            for (int column = 0; column < n; column++) {
                shifted[row * n + column] = (matrix.code(row, column) - matrix.zeroPoint(group, column) - delta) * matrix.scale(group, column);
            }
        }
        return shifted;
    }
}
