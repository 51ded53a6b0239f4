package dev.qlinear.cpuvector;

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
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * W4A16 on the CPU: {@code y = x · Ŵ + bias} with {@code Ŵ[k, n] = (q[k, n] - z[g(k), n]) · s[g(k), n]}, for uint4b8
 * (z = 8) and uint4 (z from the zero points, or 0 without), fp16 or bf16 activations and outputs, any group size
 * declared, act-order.
 *
 * <p><b>Layout {@value W4Geometry#LAYOUT}</b> ({@link #preparedLayout()}; core's {@code CpuVectorW4Layout} is its
 * reference packer). Slots: the K rows sorted by group, stably ({@code g(k) = k div G}, or {@code g_idx[k]} under
 * act-order, so without act-order slot s holds row s), each group's run padded with empty slots to a multiple of 8.
 * Blocks: N in blocks of 16 columns, the last padded. Tensors:
 * <ul>
 *   <li>{@code codes} int32 {@code [ceil(N/16), slots/8, 16]}: bits {@code [4i, 4i+4)} of word (b, w, j) hold the
 *       code of the row in slot {@code 8w + i} at column {@code 16b + j}; 0 for empty slots and padding columns;</li>
 *   <li>{@code scales} float32 {@code [ceil(N/16), groups, 16]}: {@code s[g, 16b + j]} converted exactly;</li>
 *   <li>{@code zero_scales} float32 {@code [ceil(N/16), groups, 16]}: the float32 product {@code (float) -z · s};</li>
 *   <li>padding columns hold +0 in both;</li>
 *   <li>{@code slot_rows} int32 {@code [slots]}: the row in each slot, -1 for an empty one;</li>
 *   <li>{@code group_words} int32 {@code [groups + 1]}: the first word of each group, then the word count.</li>
 * </ul>
 * A block's words are contiguous over all of K, so each thread streams its blocks' weights from memory once per
 * row tile; a word is 16 columns times 8 slots, one 512-bit vector.
 *
 * <p><b>Arithmetic.</b> Per group, fp32 fused multiply-adds accumulate {@code Σ x[k] · q[k, n]} exactly-rounded per
 * step in a fixed order ({@link W4Compute}); then {@code acc += s · dot} and {@code acc += (-z · s) · Σ x[k]}, the
 * activation sum of the group computed once per row. Dequantized weights are never rounded, so the kernel tracks
 * the exact reference ({@code ReferenceGemm.multiply}) up to fp32 accumulation error and the final 16-bit rounding.
 * Hence {@link ToleranceClass#RELATIVE_MEAN_ERROR}, the class of fp32-accumulating kernels whose summation order
 * differs from the reference's; {@link ToleranceClass#FUSED_16BIT} is for kernels that round Ŵ to 16 bits, which
 * this one does not. Every output element is computed by one thread in the same order whatever M, the row tiling
 * or the thread count, so results are deterministic and batch-invariant.
 */
public final class W4A16Kernel implements LinearKernel<WeightOnlyConfig> {

    static final String ID = "cpu-vector-w4a16";
    static final Set<ScalarType> WEIGHT_TYPES = Set.of(ScalarType.UINT4B8, ScalarType.UINT4);
    static final Set<ScalarType> ACTIVATION_TYPES = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    static final Set<Integer> GROUP_SIZES = Set.of(WeightOnlyConfig.CHANNELWISE, 32, 64, 128, 256);
    static final int MAX_ROWS = 1 << 16;

    private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(ID, CpuVectorProvider.FAMILY, CpuVectorProvider.VERSION,
            List.of(PlatformSupport.of("cpu", CpuVectorProvider.PRIORITY)),
            new WeightOnlyCapabilities(WEIGHT_TYPES, ACTIVATION_TYPES, ACTIVATION_TYPES, GROUP_SIZES, true, true, 1, 1),
            ToleranceClass.RELATIVE_MEAN_ERROR, MAX_ROWS);

    private final Supplier<WorkerTeam> team;
    private W4Job job;

    public W4A16Kernel() {
        this(WorkerTeam::shared);
    }

    /** A kernel computing on its own team, for tests of thread-count independence. */
    W4A16Kernel(WorkerTeam team) {
        this(() -> team);
        requireNonNull(team, "team is null");
    }

    private W4A16Kernel(Supplier<WorkerTeam> team) {
        this.team = team;
    }

    @Override
    public KernelDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Verdict supports(Platform platform) {
        return VectorModule.check(requireNonNull(platform, "platform is null"));
    }

    @Override
    public Optional<String> preparedLayout() {
        return Optional.of(W4Geometry.LAYOUT);
    }

    @Override
    public Verdict canImplement(WeightOnlyConfig config, Platform platform) {
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
        int groupSize = config.isChannelwise() ? WeightOnlyConfig.CHANNELWISE : config.groupSize();
        return Verdict.checks()
                .add(VectorModule.check(platform))
                .require(WEIGHT_TYPES.contains(config.weightType()), "weight type", "one of [uint4, uint4b8]", config.weightType().name())
                .require(ACTIVATION_TYPES.contains(config.activationType()), "activation type", "one of [bfloat16, float16]",
                        config.activationType().name())
                .require(config.outputType().equals(config.activationType()), "output type", "the activation type " + config.activationType(),
                        config.outputType().name())
                .require(GROUP_SIZES.contains(groupSize), "group size", "one of " + new TreeSet<>(GROUP_SIZES),
                        config.isChannelwise() ? "-1 (channelwise)" : String.valueOf(config.groupSize()))
                .require(!config.hasPartialGroup(), "whole groups", "a group size that divides K",
                        "group size " + config.groupSize() + " leaves a last group of " + config.k() % Math.max(config.groupSize(), 1) + " rows of K=" + config.k())
                .verdict();
    }

    @Override
    public PreparedLayer prepare(WeightOnlyConfig config, QuantizedWeights weights, Device device) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(device, "device is null");
        Verdict verdict = canImplement(config, device.platform());
        if (!verdict.isAccepted()) {
            throw new IllegalArgumentException(ID + " cannot run " + config + ": " + verdict);
        }
        if (!(weights instanceof QuantizedWeights.WeightOnly weightOnly)) {
            throw new IllegalArgumentException(ID + " prepares weight-only weights, got " + weights.getClass().getSimpleName());
        }
        return W4Packer.pack(config, weightOnly, device);
    }

    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(layer, "layer is null");
        requireNonNull(stream, "stream is null");
        if (!(layer instanceof W4Layer prepared)) {
            throw new IllegalArgumentException(ID + " applies layers it prepared, got " + layer.getClass().getName());
        }
        if (prepared.isClosed()) {
            throw new IllegalStateException("layer " + prepared + " is closed");
        }
        WeightOnlyConfig config = prepared.config();
        int rows = Shapes.rows(input, config.k(), config.activationType(), MAX_ROWS);
        Shapes.requireOutput(output, rows, config.n(), config.outputType());
        // One call at a time per kernel: the job's scratch is shared, and the team runs one task at a time anyway.
        synchronized (this) {
            if (job == null) {
                VectorModule.require();
                job = new W4Job(team.get());
            }
            job.run(prepared, input, output, rows);
        }
    }

    @Override
    public String toString() {
        return ID;
    }
}
