package dev.qlinear.tritonw4a16;

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
import dev.qlinear.spi.triton.TritonImages;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * The W4A16 kernel written in Triton ({@code src/main/triton/w4a16.py}), compiled ahead of time into the images of
 * this jar: {@code y = x · Ŵ + bias} with {@code Ŵ[k, n] = (q[k, n] - z) · s[g(k), n]}, z = 8 for uint4b8 and the
 * stored zero point for uint4, formed in the activation type (float16 or bfloat16) as the reference does, multiplied
 * with float32 accumulation; outputs in the activation type. Group sizes 32, 64, 128, 256 and channelwise (-1 or the
 * full K); an unsharded layer may end in a partial group (K not a multiple of G: {@code ceil(K / G)} groups), since
 * a K tile never straddles a group. K and N multiples of 8: the images are compiled for N, K, the row strides and the
 * group size being multiples of 8 and every pointer 16-byte aligned ({@code src/main/triton/variants.py}), which lets
 * them move 16 bytes at a time.
 *
 * <p><b>Layout {@value #LAYOUT}</b> ({@link #preparedLayout()}; core's {@code TritonW4a16Layout} is its reference
 * packer), with G the group size (K when channelwise) and {@code groups = ceil(K / G)}:
 * <ul>
 *   <li>{@code codes}, int32 {@code [ceil(K / 8), N]}: bits {@code [4i, 4i + 4)} of word (r, n) hold the code of row
 *       {@code 8r + i} at column n; rows K and beyond hold 0. Columns are contiguous, so a tile's loads are runs of
 *       whole words.</li>
 *   <li>{@code scales}, the activation type, {@code [groups, N]}: the scale of group g at column n, rounded to
 *       nearest-even in that type (exact when the checkpoint's scales are of that type).</li>
 *   <li>{@code zero_points}, uint8 {@code [groups, N]}, only for uint4 with zero points: the zero point z of group g
 *       at column n, with {@code W = (q - z) · s}.</li>
 * </ul>
 * The bias, when the layer has one, is kept in the activation type beside the layout.
 *
 * <p><b>Apply.</b> {@link TritonW4a16Variants} picks the tile by M and splits K when the output tiles alone leave
 * multiprocessors idle; split partial sums go through the stream's workspace (reserved by {@code prepare}) to the
 * reduction, which adds them in split order and the bias. The variants are loaded through the host
 * ({@link Device#loadTriton}), lazily, once per device.
 *
 * <p><b>Tolerance.</b> The dequantized weight is rounded to the activation type before the dot product, as in vLLM's
 * Triton W4A16: {@link ToleranceClass#FUSED_16BIT}.
 *
 * <p><b>Platforms.</b> CUDA sm_80 and newer at the lowest CUDA W4A16 priority (exllama is 200, marlin 300): the
 * fallback for layers the others refuse (K not a multiple of 128, bf16, zero points). On ROCm it comes first, where
 * the jar has images for the architecture; {@link #supports} refuses one it has none for, saying how to build them.
 */
public final class TritonW4a16Kernel implements LinearKernel<WeightOnlyConfig> {

    static final String ID = "triton-w4a16";
    static final String LAYOUT = "triton-w4a16-kn8";
    static final String VERSION = "0.1.0";
    /** The lowest CUDA W4A16 kernel: below exllama (200) and marlin (300). */
    static final int CUDA_PRIORITY = 100;
    /** First on ROCm. */
    static final int ROCM_PRIORITY = 400;
    /** The ROCm architectures Triton compiles for: CDNA 2 to 4 and RDNA 3 to 4. */
    static final String ROCM_ARCHITECTURES = "rocm:gfx90a,gfx942,gfx950,gfx1100,gfx1101,gfx1102,gfx1150,gfx1151,gfx1200,gfx1201";
    static final Set<ScalarType> WEIGHT_TYPES = Set.of(ScalarType.UINT4B8, ScalarType.UINT4);
    static final Set<ScalarType> ACTIVATION_TYPES = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    static final Set<Integer> GROUP_SIZES = Set.copyOf(TritonW4a16Variants.GROUP_SIZES);
    /** The images assume K a multiple of 8 (variants.py's divisibility); K tails within a tile are masked. */
    static final int K_ALIGNMENT = 8;
    /** The images assume N a multiple of 8: 16-byte loads of scales and stores of outputs. */
    static final int N_ALIGNMENT = 8;
    static final int MAX_ROWS = 1 << 16;

    private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(ID, ID, VERSION,
            List.of(PlatformSupport.of("cuda:sm_80+", CUDA_PRIORITY), PlatformSupport.of(ROCM_ARCHITECTURES, ROCM_PRIORITY)),
            new WeightOnlyCapabilities(WEIGHT_TYPES, ACTIVATION_TYPES, ACTIVATION_TYPES, GROUP_SIZES, true, false, K_ALIGNMENT, N_ALIGNMENT, true),
            ToleranceClass.FUSED_16BIT, MAX_ROWS);

    private final TritonImages images;
    /** The variants loaded on each device, each once, for the plugin's lifetime. */
    private final Map<Device, Map<String, TritonKernel>> loaded = new IdentityHashMap<>();

    /** The kernel with the images of its own jar. */
    public TritonW4a16Kernel() {
        this(TritonImages.load(TritonW4a16Kernel.class.getClassLoader(), TritonW4a16Variants.DIRECTORY));
    }

    TritonW4a16Kernel(TritonImages images) {
        this.images = requireNonNull(images, "images is null");
    }

    @Override
    public KernelDescriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Refuses a platform no variant has an image for, naming the images there are and how to build them. */
    @Override
    public Verdict supports(Platform platform) {
        requireNonNull(platform, "platform is null");
        List<String> all = TritonW4a16Variants.all();
        boolean any = all.stream().anyMatch(variant -> images.targetFor(variant, platform).isPresent());
        return any ? Verdict.accepted() : images.check(platform, all);
    }

    @Override
    public Optional<String> preparedLayout() {
        return Optional.of(LAYOUT);
    }

    @Override
    public Verdict canImplement(WeightOnlyConfig config, Platform platform) {
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
        // the layer's variants have names only for the activation types and group sizes the table knows
        boolean named = ACTIVATION_TYPES.contains(config.activationType()) && GROUP_SIZES.contains(groupSize(config));
        Verdict platformChecks = named ? images.check(platform, variants(config)) : supports(platform);
        return Verdict.checks().add(platformChecks).add(layerChecks(config)).verdict();
    }

    /** Every variant the table may choose for the layer. */
    static List<String> variants(WeightOnlyConfig config) {
        return TritonW4a16Variants.variants(config.activationType(), config.zeroPoints(), groupSize(config));
    }

    /** The config's group size, -1 when channelwise (G = -1 or the full K). */
    static int groupSize(WeightOnlyConfig config) {
        return config.isChannelwise() ? WeightOnlyConfig.CHANNELWISE : config.groupSize();
    }

    /** Every constraint on the layer itself, whatever the platform. */
    static Verdict layerChecks(WeightOnlyConfig config) {
        int groupSize = groupSize(config);
        ScalarType weightType = config.weightType();
        boolean uint4 = weightType.equals(ScalarType.UINT4);
        return Verdict.checks()
                .require(WEIGHT_TYPES.contains(weightType), "weight type", "one of [uint4, uint4b8]", weightType.name())
                .require(ACTIVATION_TYPES.contains(config.activationType()), "activation type", "one of [bfloat16, float16]", config.activationType().name())
                .require(config.outputType().equals(config.activationType()), "output type", "the activation type (" + config.activationType().name() + ")",
                        config.outputType().name())
                .require(!uint4 || config.zeroPoints(), "zero points", "zero points with uint4 (W = (q - z) * s)", "none")
                .require(!config.actOrder(), "act-order", "none (activation reordering (g_idx) is not supported)", "act-order (g_idx)")
                .require(GROUP_SIZES.contains(groupSize), "group size", "one of " + new TreeSet<>(GROUP_SIZES),
                        groupSize == WeightOnlyConfig.CHANNELWISE ? "-1 (channelwise)" : String.valueOf(groupSize))
                .require(groupSize == WeightOnlyConfig.CHANNELWISE || !config.isRowParallel() || config.k() % groupSize == 0, "partition K",
                        "a multiple of the group size " + groupSize + " in a row-parallel partition (only an unsharded layer may end in a partial group)",
                        "partition K=" + config.k() + " of full K=" + config.fullShape().k())
                .require(config.k() % K_ALIGNMENT == 0, "K alignment", "K % " + K_ALIGNMENT + " == 0", "K=" + config.k())
                .require(config.n() % N_ALIGNMENT == 0, "N alignment", "N % " + N_ALIGNMENT + " == 0", "N=" + config.n())
                .verdict();
    }

    /**
     * Packs the weights on the host and uploads them with the layer as owner; on a GPU also loads the layer's
     * variants (once per device) and reserves the workspace. On a device that allocates host memory the layer only
     * holds the layout.
     *
     * @throws IllegalArgumentException naming every unmet constraint of the layer, a platform without the layer's
     *         images, or weights that do not match the config
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
            TritonW4a16Packer.Packed packed = TritonW4a16Packer.pack(config, weightOnly, arena);
            return new TritonW4a16Layer(config, packed, device, this::kernelOn, images);
        }
    }

    /** Variant {@code variant} loaded on the device, the first time it is asked for there. */
    private TritonKernel kernelOn(Device device, String variant) {
        synchronized (loaded) {
            return loaded.computeIfAbsent(device, key -> new HashMap<>()).computeIfAbsent(variant, name -> device.loadTriton(images, name));
        }
    }

    /**
     * Queues the layer on the stream. The input is {@code [M, K]} of the activation type in device memory with unit
     * stride along K, the output {@code [M, N]} of the same type with unit stride along N; both 16-byte aligned with
     * row strides that are multiples of 8 elements (any such stride), as the images assume.
     */
    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(layer, "layer is null");
        if (!(layer instanceof TritonW4a16Layer prepared)) {
            throw new IllegalArgumentException(ID + " applies layers it prepared, got " + layer.getClass().getName());
        }
        prepared.apply(input, output, stream);
    }

    @Override
    public String toString() {
        return ID;
    }
}
