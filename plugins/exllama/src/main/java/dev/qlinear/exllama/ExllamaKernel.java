package dev.qlinear.exllama;

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
 * An exllama-style GPTQ kernel written in CUDA C ({@code src/main/cuda/exllama.cu}): {@code y = x · Ŵ + bias} with
 * {@code Ŵ[k, n] = (q[k, n] - z) · s[g(k), n]}, z = 8 for uint4b8 and 128 for uint8b128, fp16 activations, scales
 * and outputs, group sizes 32, 64, 128, 256 and channelwise, act-order when K is not split across ranks.
 *
 * <p><b>Layout {@value #LAYOUT}</b> ({@link #preparedLayout()}; core's {@code ExllamaLayout} is its reference
 * packer). With pf = 32 / bits codes per word (8 or 4) and G the group size (K when channelwise):
 * <ul>
 *   <li>{@code perm}, int32 {@code [K]}, only under act-order: the rows sorted by {@code g_idx}, stably (equal groups
 *       keep ascending rows). Permuted row r is row {@code perm[r]}; without act-order it is row r.</li>
 *   <li>{@code codes}, int32 {@code [K / pf, N]}: bits {@code [bits · i, bits · i + bits)} of word (w, n) hold the code
 *       of permuted row {@code pf · w + e(i)} at column n, with {@code e = [0, 2, 4, 6, 1, 3, 5, 7]} for 4-bit codes
 *       (the per-word shuffle that puts rows 2p and 2p + 1 at bits 4p and 16 + 4p) and {@code e(i) = i} for 8-bit.</li>
 *   <li>{@code scales}, float16 {@code [K / G, N]}: the scale of group g at column n, rounded to nearest-even float16
 *       (exact for float16 scales).</li>
 * </ul>
 * The kernel reads group {@code r div G} for permuted row r, which holds because GPTQ act-order puts exactly G rows in
 * every group; {@code prepare} refuses a group index that does not.
 *
 * <p><b>Apply.</b> Up to {@value DecodePlan#MAX_ROWS} rows, the decode kernel: a persistent grid streams
 * the packed words through a cp.async pipeline in shared memory, shares the layer's (column block, stage of K) units
 * stream-K so every block moves the same bytes, and multiplies with {@code mma.sync} taking the weights as the A operand
 * (16 columns) and up to 8 rows of activations as B; codes are dequantized to exact integers ({@code 0x64006400} half2
 * trick) and each group's scale multiplies the float32 sums once. The column blocks shared by several blocks are summed
 * from their float32 partial sums, in block order, by a second kernel launched right after. Under
 * act-order, or for an activation that is not 16-byte aligned, a gather kernel first writes a contiguous, permuted copy
 * into the workspace. Up to {@value TiledPlan#MAX_ROWS} rows on a 9.0 device running the sm_90a image, for 4-bit layers
 * with K and the group a multiple of 64 and N of 128, the tiled kernel: warpgroup MMA ({@code wgmma}) with the
 * dequantized weights as the A operand in registers and the activations as B in 128-byte swizzled shared memory, fed by
 * a producer warp through TMA (the activation and the words as tensor maps, the scales as a bulk copy) and mbarriers;
 * whole waves of whole tiles, then the remaining tiles with K split to fill a wave and the same split-order reduction
 * ({@link TiledPlan}).
 * Otherwise, up to {@value ExllamaSettings#FUSED_MAX_ROWS_PROPERTY} rows (default
 * {@value ExllamaSettings#DEFAULT_FUSED_MAX_ROWS}), the fused kernel: warps stream 128-bit loads of packed words,
 * dequantize them in registers and multiply with {@code mma.sync} against activations staged in shared memory, gathered
 * through {@code perm}; K is split across blocks when N alone cannot fill the GPU, with float32 partial sums reduced in
 * split order by a second kernel, which adds the bias. Above that, the whole fp16 weight is dequantized into the
 * stream's workspace ({@code 2 · K · N} bytes, reserved by {@code prepare}) and multiplied by the device's dense GEMM
 * (cuBLAS), then a kernel adds the bias. On a device without a dense GEMM the fused kernel runs every M above 16.
 *
 * <p><b>Tolerance.</b> Products are accumulated in fp32 (tensor cores, or cuBLAS with fp32 compute) in an order that
 * differs from the reference's; the fused and dequantize paths round each dequantized weight to fp16 once, the decode
 * kernel scales the fp32 group sums instead: {@link ToleranceClass#RELATIVE_MEAN_ERROR}. Results do not depend on
 * timing: fixed summation orders.
 *
 * <p><b>Platforms.</b> Declared for CUDA sm_60 and newer, as exllama is; {@link #supports} refuses architectures no
 * shipped image runs on (the build makes SASS sm_80 and sm_90a and PTX compute_80, so sm_80 and newer) and every
 * CUDA platform when the jar has no images.
 */
public final class ExllamaKernel implements LinearKernel<WeightOnlyConfig> {

    static final String ID = "exllama";
    static final String LAYOUT = "exllama-gptq";
    static final String VERSION = "0.1.0";
    /** Below a Marlin-class kernel, above a generic Triton fallback. */
    static final int PRIORITY = 200;
    static final Set<ScalarType> WEIGHT_TYPES = Set.of(ScalarType.UINT4B8, ScalarType.UINT8B128);
    static final Set<Integer> GROUP_SIZES = Set.of(WeightOnlyConfig.CHANNELWISE, 32, 64, 128, 256);
    /** A quad of 4-bit codes spans 32 rows of K. */
    static final int K_ALIGNMENT = 32;
    /** Outputs are stored 8 at a time. */
    static final int N_ALIGNMENT = 8;

    private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(ID, ID, VERSION, List.of(PlatformSupport.of("cuda:sm_60+", PRIORITY)),
            new WeightOnlyCapabilities(WEIGHT_TYPES, Set.of(ScalarType.FLOAT16), Set.of(ScalarType.FLOAT16), GROUP_SIZES, false, true, K_ALIGNMENT,
                    N_ALIGNMENT),
            ToleranceClass.RELATIVE_MEAN_ERROR, ExllamaSettings.MAX_ROWS);

    private final KernelImages images;
    private final ExllamaSettings settings;
    /** The image, loaded once per device for the plugin's lifetime. */
    private final Map<Device, ExllamaFunctions> loaded = new IdentityHashMap<>();

    /** The kernel with the images of its own jar and the settings of the system properties. */
    public ExllamaKernel() {
        this(KernelImages.load(ExllamaKernel.class.getClassLoader(), ExllamaFunctions.IMAGE, ExllamaFunctions.TARGETS), ExllamaSettings.fromSystemProperties());
    }

    ExllamaKernel(KernelImages images, ExllamaSettings settings) {
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
        return Verdict.checks()
                .require(WEIGHT_TYPES.contains(config.weightType()), "weight type", "one of [uint4b8, uint8b128]", config.weightType().name())
                .require(config.activationType().equals(ScalarType.FLOAT16), "activation type", "float16", config.activationType().name())
                .require(config.outputType().equals(ScalarType.FLOAT16), "output type", "float16", config.outputType().name())
                .require(!config.zeroPoints(), "zero points", "none (uint4b8 and uint8b128 hold their zero point in the type)", "zero points")
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
     * per device) and reserves the workspace. On a device that allocates host memory the layer only holds the layout.
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
            ExllamaPacker.Packed packed = ExllamaPacker.pack(config, weightOnly, arena);
            return new ExllamaLayer(config, packed, device, this::functionsOn, images, settings);
        }
    }

    private ExllamaFunctions functionsOn(Device device) {
        synchronized (loaded) {
            return loaded.computeIfAbsent(device, key -> ExllamaFunctions.load(key, images));
        }
    }

    /**
     * Queues the layer on the stream. The input is fp16 {@code [M, K]} in device memory with unit stride along K (any
     * row stride), the output fp16 {@code [M, N]}, contiguous and 16-byte aligned, in device memory.
     */
    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(layer, "layer is null");
        if (!(layer instanceof ExllamaLayer prepared)) {
            throw new IllegalArgumentException(ID + " applies layers it prepared, got " + layer.getClass().getName());
        }
        prepared.apply(input, output, stream);
    }

    @Override
    public String toString() {
        return ID;
    }
}
