package dev.qlinear.testplugin.common;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.Vendor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A plain scalar W4A16 kernel for the CPU: prepare unpacks the canonical codes and dequantizes them to doubles,
 * apply sums exact products over K in ascending order in double and rounds once to the output type, as the
 * reference does, so it declares bit-exact results. Its prepared layout is the canonical one, re-packed from what it
 * unpacked. A {@link Bug} other than {@code NONE} plants one defect.
 */
public final class ScalarW4a16Kernel implements LinearKernel<WeightOnlyConfig> {

    public static final Set<Integer> GROUP_SIZES = Set.of(WeightOnlyConfig.CHANNELWISE, 32, 64, 128);
    private static final Set<ScalarType> WEIGHT_TYPES = Set.of(ScalarType.UINT4B8, ScalarType.UINT4);
    private static final Set<ScalarType> HALF_TYPES = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    private static final int K_ALIGNMENT = 8;
    private static final int TILE = 64;

    private final KernelDescriptor descriptor;
    private final Bug bug;

    public ScalarW4a16Kernel(String id, Bug bug) {
        this.bug = bug;
        this.descriptor = new KernelDescriptor(id, "scalar-test", "1.0.0", List.of(PlatformSupport.of("cpu", 1)),
                new WeightOnlyCapabilities(WEIGHT_TYPES, HALF_TYPES, HALF_TYPES, GROUP_SIZES, true, true, K_ALIGNMENT, 1),
                ToleranceClass.BIT_EXACT, 65536);
    }

    @Override
    public KernelDescriptor descriptor() {
        return descriptor;
    }

    @Override
    public Optional<String> preparedLayout() {
        return Optional.of(bug == Bug.UNKNOWN_LAYOUT ? "scalar-private" : "canonical");
    }

    @Override
    public Verdict canImplement(WeightOnlyConfig config, Platform platform) {
        if (bug == Bug.REJECT_THROWS && !HALF_TYPES.contains(config.activationType())) {
            throw new IllegalStateException("no arithmetic for " + config.activationType());
        }
        int group = config.isChannelwise() ? WeightOnlyConfig.CHANNELWISE : config.groupSize();
        return Verdict.checks()
                .require(platform.vendor() == Vendor.CPU, "platform", "a CPU", platform.spec())
                .require(WEIGHT_TYPES.contains(config.weightType()), "weight type", "uint4b8 or uint4", config.weightType().name())
                .require(HALF_TYPES.contains(config.activationType()), "activation type", "float16 or bfloat16", config.activationType().name())
                .require(HALF_TYPES.contains(config.outputType()), "output type", "float16 or bfloat16", config.outputType().name())
                .require(bug == Bug.ACCEPTS_ANY_GROUP || GROUP_SIZES.contains(group), "group size", "one of [-1, 32, 64, 128]", String.valueOf(group))
                .require(config.k() % K_ALIGNMENT == 0, "K alignment", "K % 8 == 0", "K=" + config.k())
                .verdict();
    }

    @Override
    public PreparedLayer prepare(WeightOnlyConfig config, QuantizedWeights weights, Device device) {
        if (!(weights instanceof QuantizedWeights.WeightOnly canonical)) {
            throw new IllegalArgumentException("weight-only weights expected, got " + weights.getClass().getSimpleName());
        }
        int k = config.k();
        int n = config.n();
        int words = (k + 7) / 8;
        int groups = canonical.layout().groupCount();
        int groupSize = canonical.layout().groupSize();
        Tensor packed = canonical.codes();
        int[] codes = new int[k * n];
        for (int row = 0; row < k; row++) {
            for (int column = 0; column < n; column++) {
                long word = bug == Bug.TRANSPOSED_UNPACK ? (long) column * words + row / 8 : (long) (row / 8) * n + column;
                codes[row * n + column] = (HostTensors.get(packed, word) >>> (4 * (row % 8))) & 0xF;
            }
        }
        ScalarType scaleType = canonical.scales().dtype();
        int[] scaleBits = new int[groups * n];
        for (int i = 0; i < scaleBits.length; i++) {
            scaleBits[i] = HostTensors.get(canonical.scales(), i);
        }
        int[] zeros = canonical.zeroPoints().map(tensor -> {
            int[] values = new int[groups * n];
            for (int i = 0; i < values.length; i++) {
                values[i] = HostTensors.get(tensor, i);
            }
            return values;
        }).orElse(null);
        int[] groupIndex = canonical.groupIndex().map(tensor -> {
            int[] values = new int[k];
            for (int i = 0; i < k; i++) {
                values[i] = HostTensors.get(tensor, i);
            }
            return values;
        }).orElse(null);

        double[] dequantized = new double[k * n];
        for (int row = 0; row < k; row++) {
            int group = groupOf(row, groupIndex, groupSize);
            int scaleGroup = bug == Bug.TILE_EDGE_SCALE ? groupOf(row - row % TILE, groupIndex, groupSize) : group;
            for (int column = 0; column < n; column++) {
                int zero = zeros != null ? zeros[group * n + column] + (bug == Bug.ZERO_POINT_OFF_BY_ONE ? 1 : 0) : config.weightType().bias();
                double scale = Floats.decode(scaleType, scaleBits[scaleGroup * n + column]);
                dequantized[row * n + column] = (codes[row * n + column] - zero) * scale;
            }
        }
        double[] bias = canonical.bias().map(HostTensors::values).orElse(null);

        ScalarLayer layer = new ScalarLayer(config, dequantized, bias, device);
        Map<String, Tensor> layout = new LinkedHashMap<>();
        Tensor codeWords = device.allocate(layer, ScalarType.INT32, words, n);
        for (int word = 0; word < words; word++) {
            for (int column = 0; column < n; column++) {
                int value = 0;
                for (int slot = 0; slot < 8 && word * 8 + slot < k; slot++) {
                    value |= codes[(word * 8 + slot) * n + column] << (4 * slot);
                }
                HostTensors.set(codeWords, (long) word * n + column, value);
            }
        }
        layout.put("codes", codeWords);
        layout.put("scales", copy(device, layer, scaleType, scaleBits, groups, n));
        if (zeros != null) {
            layout.put("zero_points", copy(device, layer, ScalarType.UINT8, zeros, groups, n));
        }
        if (groupIndex != null) {
            layout.put("group_index", copy(device, layer, ScalarType.INT32, groupIndex, k));
        }
        layer.layout = Map.copyOf(layout);
        return layer;
    }

    @Override
    public void apply(PreparedLayer prepared, Tensor input, Tensor output, ExecutionStream stream) {
        ScalarLayer layer = (ScalarLayer) prepared;
        int m = Math.toIntExact(input.size(0));
        int k = layer.config.k();
        int n = layer.config.n();
        ScalarType inputType = input.dtype();
        ScalarType outputType = output.dtype();
        double[] x = new double[m * k];
        for (int row = 0; row < m; row++) {
            for (int inner = 0; inner < k; inner++) {
                long offset = bug == Bug.CONTIGUOUS_ONLY ? (long) row * k + inner : row * input.stride(0) + inner * input.stride(1);
                x[row * k + inner] = Floats.decode(inputType, HostTensors.get(input, offset));
            }
        }
        boolean chunked = bug == Bug.BATCH_DEPENDENT && m > 16;
        int written = bug == Bug.PARTIAL_TILE_SKIPPED ? n - n % TILE : n;
        double[] sum = new double[n];
        double[] partial = new double[n];
        for (int row = 0; row < m; row++) {
            Arrays.fill(sum, 0);
            Arrays.fill(partial, 0);
            for (int inner = 0; inner < k; inner++) {
                double a = x[row * k + inner];
                int base = inner * n;
                double[] target = chunked ? partial : sum;
                for (int column = 0; column < n; column++) {
                    target[column] += a * layer.dequantized[base + column];
                }
                if (chunked && (inner % TILE == TILE - 1 || inner == k - 1)) {
                    for (int column = 0; column < n; column++) {
                        sum[column] += Floats.decode(outputType, Floats.encode(outputType, partial[column]));
                        partial[column] = 0;
                    }
                }
            }
            if (layer.bias != null && bug != Bug.BIAS_IGNORED) {
                for (int column = 0; column < n; column++) {
                    sum[column] += layer.bias[column];
                }
            }
            for (int column = 0; column < written; column++) {
                HostTensors.set(output, row * output.stride(0) + column * output.stride(1), Floats.encode(outputType, sum[column]));
            }
        }
    }

    private static int groupOf(int row, int[] groupIndex, int groupSize) {
        return groupIndex != null ? groupIndex[row] : groupSize < 0 ? 0 : row / groupSize;
    }

    private static Tensor copy(Device device, Object owner, ScalarType type, int[] values, long... shape) {
        Tensor tensor = device.allocate(owner, type, shape);
        for (int i = 0; i < values.length; i++) {
            HostTensors.set(tensor, i, values[i]);
        }
        return tensor;
    }

    /** The dequantized weight and bias of one layer, and its layout tensors in device memory. */
    private static final class ScalarLayer implements PreparedLayer {
        private final WeightOnlyConfig config;
        private final double[] dequantized;
        private final double[] bias;
        private final Device device;
        private Map<String, Tensor> layout = Map.of();

        ScalarLayer(WeightOnlyConfig config, double[] dequantized, double[] bias, Device device) {
            this.config = config;
            this.dequantized = dequantized;
            this.bias = bias;
            this.device = device;
        }

        @Override
        public LayerConfig config() {
            return config;
        }

        @Override
        public long deviceBytes() {
            return (long) dequantized.length * Double.BYTES;
        }

        @Override
        public Map<String, Tensor> layoutTensors() {
            return layout;
        }

        @Override
        public void close() {
            device.release(this);
        }
    }
}
