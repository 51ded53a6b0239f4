package dev.qlinear.marlin;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelImages;
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

import java.lang.foreign.Arena;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * A Marlin-class W4A16 kernel written in CUDA C ({@code src/main/cuda/marlin.cu}): {@code y = x · Ŵ + bias} with
 * {@code Ŵ[k, n] = (q[k, n] - z) · s[g(k), n]}, z = 8 for uint4b8 and the stored zero point for uint4, float16 or
 * bfloat16 activations, scales and outputs (all of one type), group sizes 32, 64, 128 and channelwise, act-order when
 * K is not split across ranks.
 *
 * <p><b>Layout {@value #LAYOUT}</b> ({@link #preparedLayout()}; core's {@code MarlinLayout} is its reference packer).
 * With G the group size (K when channelwise) and "one group" meaning {@code K / G == 1}:
 * <ul>
 *   <li>{@code perm}, int32 {@code [K]}, only under act-order: the rows sorted by {@code g_idx}, stably (equal groups
 *       keep ascending rows). Permuted row r is row {@code perm[r]}; without act-order it is row r.</li>
 *   <li>{@code codes}, int32 {@code [K / 16, 2N]}: the code of permuted row k at column n lies in bits
 *       {@code [4p, 4p + 4)} of word {@code 128 (n / 64) + 32 ((n % 64) / 16) + 4 (n % 8) + (k % 8) / 2} of row
 *       {@code k / 16}, with {@code p = 2 ((n % 16) / 8) + (k % 16) / 8 + 4 (k % 2)}: each word is one lane's B
 *       fragment of {@code mma.m16n8k16} for a 16 x 16 sub-tile (lane i holds rows 2t, 2t + 1, 2t + 8, 2t + 9,
 *       {@code t = i % 4}, of column {@code i / 4} of each 8-column half).</li>
 *   <li>{@code scales}, {@code [K / G, N]} in the activation type: the scale of group g at column n, rounded to
 *       nearest-even in that type, then permuted along N: with several groups each run of 64 columns is transposed as
 *       an 8 x 8 block (position {@code 8a + b} takes column {@code 8b + a}); with one group each run of 32 puts column
 *       {@code 2a + [0, 1, 8, 9, 16, 17, 24, 25][u]} at position {@code 8a + u}. Either way a lane finds the scales of its
 *       two columns side by side.</li>
 *   <li>{@code zeros}, int32 {@code [K / G, N / 8]}, only for uint4 with zero points: each group row's zero points in
 *       the several-groups order of the scales (runs of 64 transposed, whatever the group count), word q holding
 *       positions {@code 8q + [0, 2, 4, 6, 1, 3, 5, 7][p]} in bits {@code [4p, 4p + 4)}.</li>
 * </ul>
 * The kernels read group {@code r div G} for permuted row r, which holds because GPTQ act-order puts exactly G rows in
 * every group; {@code prepare} refuses a group index that does not. On a GPU, {@code prepare} uploads the codes as
 * natural GPTQ words ({@code [K / 8, N]}) and {@code marlin_repack_w4} writes {@code codes} from them (and
 * {@code perm}) on the device; into host memory the plugin packs {@code codes} itself from this definition.
 *
 * <p><b>Apply.</b> Up to {@value DecodePlan#MAX_ROWS} rows, the decode kernel ({@link DecodePlan}): a persistent grid
 * of two blocks a multiprocessor shares the layer's units (256 columns by 128 rows of K) stream-K, streaming the words
 * through a cp.async ring; a marlin word is also the A fragment of {@code mma.m16n8k16} for 16 columns, so the weights
 * enter as A and 8 tokens as B, the codes as exact biased integers, and each group's float32 sums have the code bias
 * times the activations (and the zero points times the activation sums for uint4) subtracted before the group's scale
 * multiplies them. A second kernel adds the partial sums of the column blocks the blocks split, in block order, plus
 * the bias; where the sm_90a image runs, both launches overlap the work ahead of them
 * ({@value MarlinSettings#OVERLAP_PROPERTY}). Above that, up to
 * {@value MarlinSettings#KERNEL_MAX_ROWS_PROPERTY} rows (default {@value MarlinSettings#DEFAULT_WARPGROUP_KERNEL_MAX_ROWS}
 * where the sm_90a image runs, else {@value MarlinSettings#DEFAULT_KERNEL_MAX_ROWS}), and for every M of an act-order
 * layer or on a device without a dense GEMM, a GEMM kernel ({@link MarlinPlan}). Where the sm_90a image runs, the
 * warpgroup kernel: blocks of two warpgroups over 128 columns by 64, 128 or 256 rows, and a producer warp that copies
 * each stage by TMA (the activation through a tensor map; words and scales through tensor maps below 256 rows,
 * bulk copies at 256; zero points as bulk copies); each warp dequantizes a word into the A fragment of
 * {@code wgmma.m64nNk16} in registers, the activations are its B operand in shared memory.
 * Elsewhere the sync-MMA kernel: blocks of 64
 * columns by 64 rows stream the words once through a cp.async ring with the activation rows, dequantize them in
 * registers (the codes as exact halves by the magic-number trick, minus the zero point, times the group's scale,
 * rounded once in the activation type) and multiply with {@code mma.sync.m16n8k16}, float32 accumulation. It splits K
 * across blocks when the columns and rows alone fill the GPU's resident slots badly, and a second kernel adds the
 * float32 partial sums in split order plus the bias. Under act-order, or for an activation that is not 16-byte aligned
 * or whose row stride is not a multiple of 8 elements, {@code marlin_gather_*} first writes a contiguous copy (columns
 * in {@code perm} order) into the workspace; more than {@value MarlinLauncher#CHUNK_ROWS} rows run as consecutive
 * GEMM launches of at most that many rows, evened out, so the copy stays that small. Above the kernel rows, the
 * layer's weight is dequantized into the stream's workspace ({@code 2 · K · N} bytes, reserved by {@code prepare}),
 * multiplied by the device's dense GEMM (cuBLAS), then a kernel adds the bias. Act-order layers stay on the GEMM kernel at every M above 16: the dense
 * GEMM would need the gathered activation and the weight as two tensors of the workspace, which gives out one at a
 * time.
 *
 * <p><b>Tolerance.</b> The GEMM and dense paths round each dequantized weight to the activation type once, as the
 * reference's are; the decode kernel multiplies exact codes and applies the scale to float32 sums instead; products are
 * accumulated in float32 (tensor cores, or cuBLAS with float32 compute) in an order that differs from the
 * reference's: {@link ToleranceClass#RELATIVE_MEAN_ERROR}. Results do not depend on timing: fixed summation orders.
 *
 * <p><b>Platforms.</b> Declared for CUDA sm_80 and newer ({@code mma.sync} with bfloat16, {@code cp.async});
 * {@link #supports} refuses architectures no shipped image runs on and every CUDA platform when the jar has no images.
 */
public final class MarlinKernel implements LinearKernel<WeightOnlyConfig> {

    static final String ID = "marlin";
    static final String LAYOUT = "marlin";
    static final String VERSION = "0.1.0";
    /** Above the exllama kernel (200), which exllama's own priority leaves room for: "below a Marlin-class kernel". */
    static final int PRIORITY = 300;
    static final Set<ScalarType> WEIGHT_TYPES = Set.of(ScalarType.UINT4B8, ScalarType.UINT4);
    static final Set<ScalarType> ACTIVATION_TYPES = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    static final Set<Integer> GROUP_SIZES = Set.of(WeightOnlyConfig.CHANNELWISE, 32, 64, 128);
    /** The GEMM kernel streams K in stages of 128 rows. */
    static final int K_ALIGNMENT = MarlinPlan.STAGE_K;
    /** A block covers 64 columns; the layout tiles N by 64. */
    static final int N_ALIGNMENT = MarlinPlan.BLOCK_N;

    private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(ID, ID, VERSION, List.of(PlatformSupport.of("cuda:sm_80+", PRIORITY)),
            new WeightOnlyCapabilities(WEIGHT_TYPES, ACTIVATION_TYPES, ACTIVATION_TYPES, GROUP_SIZES, true, true, K_ALIGNMENT, N_ALIGNMENT),
            ToleranceClass.RELATIVE_MEAN_ERROR, MarlinSettings.MAX_ROWS);

    private final KernelImages images;
    private final MarlinSettings settings;
    /** The image, loaded once per device for the plugin's lifetime. */
    private final Map<Device, MarlinFunctions> loaded = new IdentityHashMap<>();

    /** The kernel with the images of its own jar and the settings of the system properties. */
    public MarlinKernel() {
        this(KernelImages.load(MarlinKernel.class.getClassLoader(), MarlinFunctions.IMAGE, MarlinFunctions.TARGETS), MarlinSettings.fromSystemProperties());
    }

    MarlinKernel(KernelImages images, MarlinSettings settings) {
        this.images = requireNonNull(images, "images is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    @Override
    public KernelDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Verdict supports(Platform platform) {
        return images.check(requireNonNull(platform, "platform is null"));
    }

    @Override
    public Optional<String> preparedLayout() {
        return Optional.of(LAYOUT);
    }

    @Override
    public Verdict canImplement(WeightOnlyConfig config, Platform platform) {
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
        return Verdict.checks().add(images.check(platform)).add(layerChecks(config)).verdict();
    }

    /** Every constraint on the layer itself, whatever the platform. */
    static Verdict layerChecks(WeightOnlyConfig config) {
        int groupSize = config.isChannelwise() ? WeightOnlyConfig.CHANNELWISE : config.groupSize();
        boolean uint4 = config.weightType().equals(ScalarType.UINT4);
        return Verdict.checks()
                .require(WEIGHT_TYPES.contains(config.weightType()), "weight type", "one of [uint4, uint4b8]", config.weightType().name())
                .require(!WEIGHT_TYPES.contains(config.weightType()) || config.zeroPoints() == uint4, "zero points",
                        "stored zero points for uint4, none for uint4b8 (which holds its zero point, 8, in the type)",
                        config.zeroPoints() ? "zero points with " + config.weightType().name() : "none with " + config.weightType().name())
                .require(ACTIVATION_TYPES.contains(config.activationType()), "activation type", "one of [float16, bfloat16]", config.activationType().name())
                .require(config.outputType().equals(config.activationType()), "output type", "the activation type (" + config.activationType().name() + ")",
                        config.outputType().name())
                .require(GROUP_SIZES.contains(groupSize), "group size", "one of " + new TreeSet<>(GROUP_SIZES),
                        groupSize == WeightOnlyConfig.CHANNELWISE ? "-1 (channelwise)" : String.valueOf(groupSize))
                .require(!config.hasPartialGroup(), "whole groups", "a group size that divides K",
                        "group size " + config.groupSize() + " leaves a last group of " + config.k() % Math.max(config.groupSize(), 1) + " rows of K=" + config.k())
                .require(config.k() % K_ALIGNMENT == 0, "K alignment", "K % " + K_ALIGNMENT + " == 0", "K=" + config.k())
                .require(config.n() % N_ALIGNMENT == 0, "N alignment", "N % " + N_ALIGNMENT + " == 0", "N=" + config.n())
                .require(!config.actOrder() || !config.isRowParallel(), "act-order", "K not split across tensor-parallel ranks (partition K == full K)",
                        "partition K=" + config.k() + " of full K=" + config.fullShape().k())
                .verdict();
    }

    /**
     * Packs the weights on the host and uploads them with the layer as owner; on a GPU also loads the kernels (once
     * per device), repacks the codes on the device and reserves the workspace. On a device that allocates host memory
     * the layer only holds the layout.
     *
     * @throws IllegalArgumentException naming every unmet constraint of the layer, a platform no image runs on, or
     *         weights that do not match the config
     */
    @Override
    public PreparedLayer prepare(WeightOnlyConfig config, QuantizedWeights weights, Device device) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(device, "device is null");
        Verdict layer = layerChecks(config);
        if (!layer.isAccepted()) {
            throw new IllegalArgumentException(ID + " cannot prepare this layer: " + layer);
        }
        if (!(weights instanceof QuantizedWeights.WeightOnly weightOnly)) {
            throw new IllegalArgumentException(ID + " prepares weight-only weights, got " + weights.getClass().getSimpleName());
        }
        try (Arena arena = Arena.ofConfined()) {
            MarlinPacker.Packed packed = MarlinPacker.pack(config, weightOnly, arena);
            return new MarlinLayer(config, packed, device, this::functionsOn, images, settings);
        }
    }

    private MarlinFunctions functionsOn(Device device) {
        synchronized (loaded) {
            return loaded.computeIfAbsent(device, key -> MarlinFunctions.load(key, images));
        }
    }

    /**
     * Queues the layer on the stream. The input is {@code [M, K]} of the activation type in device memory with unit
     * stride along K (any row stride), the output {@code [M, N]} of the same type, contiguous and 4-byte aligned, in
     * device memory.
     */
    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(layer, "layer is null");
        if (!(layer instanceof MarlinLayer prepared)) {
            throw new IllegalArgumentException(ID + " applies layers it prepared, got " + layer.getClass().getName());
        }
        prepared.apply(input, output, stream);
    }

    @Override
    public String toString() {
        return ID;
    }
}
