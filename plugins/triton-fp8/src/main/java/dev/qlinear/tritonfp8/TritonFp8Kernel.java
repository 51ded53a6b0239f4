package dev.qlinear.tritonfp8;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.QuantKey;
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
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.Vendor;
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

import static java.util.Objects.requireNonNull;

/**
 * FP8 W8A8 written in Triton ({@code src/main/triton/fp8.py}), compiled ahead of time:
 * {@code y[m, n] = s_a(m) · s_w(n) · Σ_k A_q[m, k] · W_q[n, k] + bias[n]} with e4m3fn weights {@code [N, K]},
 * per-channel or per-tensor fp32 weight scales, fp16 or bf16 inputs and outputs, bias fused. Activations arrive in 16
 * bits and are quantized by the kernel's own first launch: per token dynamically ({@code s = max(amax / 448,
 * 1 / (448 · 512))}, as core's {@code Fp8Reference}), or with the checkpoint's static per-tensor input scale.
 * A dynamic per-tensor scale would need the maximum of the whole batch before any row is quantized, which the
 * row-parallel quantize kernel does not compute, so {@link #canImplement} refuses it.
 *
 * <p><b>Layout {@value #LAYOUT}</b> ({@link #preparedLayout()}; core's {@code CanonicalLayout} is its reference packer):
 * {@code weight}, the codes {@code [N, K]} as the checkpoint holds them (K contiguous: the K-major B operand FP8 tensor
 * cores read), and {@code weight_scale}, fp32 in the checkpoint's shape ({@code [N, 1]} per channel, {@code [1]} per
 * tensor). The static input scale and the bias are uploaded beside them.
 *
 * <p><b>Apply</b> ({@link TritonFp8Launcher}): up to 1024 rows a chunk, {@code fp8_quantize} writes the fp8 rows and
 * their scales into the stream's workspace, {@code fp8_gemm} multiplies them with the tile of the chunk's M (16 x 64
 * up to 16 rows, 64 x 128 up to 64, 128 x 128 up to 256, 256 x 128 above unless 128 x 128 fills the multiprocessors'
 * waves better; {@link TritonFp8Variants}), splitting K
 * where the tiles alone leave multiprocessors idle, and {@code fp8_reduce} adds the split partial sums in split order.
 * Results do not depend on timing.
 *
 * <p><b>Tolerance.</b> Quantization rounds {@code x / s} computed in fp32 where the reference rounds it in double, which
 * differs only at rare ties; the products are exact and summed in fp32 in an order unlike the reference's exact sum.
 * Hopper's FP8 tensor cores add in reduced precision, so the images fold their sums into the fp32 accumulator every
 * {@code BLOCK_K} ({@code PROMOTE_K}, which {@code prepare} checks): on an H100, images without it were measured off by
 * up to 0.6 % of a row's largest output at K = 4096, with it by 0.02 %. {@link ToleranceClass#FP8_W8A8}.
 *
 * <p><b>Platforms.</b> CUDA sm_89 and newer (FP8 tensor cores), priority {@value #CUDA_PRIORITY}, where images of every
 * variant run (SASS sm_89 and sm_90a, PTX compute_89). ROCm gfx942 (MI300) and gfx950 (MI350), priority
 * {@value #ROCM_PRIORITY}, below a native kernel such as aiter's, where the jar carries images for the architecture
 * ({@link TritonImages#check} names the pipeline that builds them). MI300's FP8 format is e4m3fnuz: there activations
 * are quantized to e4m3fnuz saturating at ±240 (the {@code _fnuz} variants), e4m3fnuz checkpoints are taken as they
 * are and e4m3fn ones converted at {@code prepare} ({@link TritonFp8Packer}: KERNELS.md §1.3, codes reinterpreted with
 * {@code 0x80} made {@code 0x00}, weight scales and a static input scale doubled), so that their layout is no longer
 * the canonical one. CUDA and gfx950 take e4m3fn only.
 */
public final class TritonFp8Kernel implements LinearKernel<ScaledMmConfig> {

    static final String ID = "triton-fp8";
    static final String VERSION = "0.1.0";
    static final String LAYOUT = "canonical";
    /** Where the jar keeps the images and their {@code images.list}: {@code RESOURCE_DIR} of {@code variants.py}. */
    static final String IMAGES = "dev/qlinear/tritonfp8/triton";
    /** Below a CUTLASS-class FP8 kernel, above generic fallbacks. */
    static final int CUDA_PRIORITY = 200;
    /** A fallback below a native ROCm kernel such as aiter's. */
    static final int ROCM_PRIORITY = 100;
    /** FP8 tensor cores start at sm_89 (Ada); images are built for it. */
    static final int MIN_CUDA_CAPABILITY = 89;
    /** MI300: FP8 matrix cores in e4m3fnuz. */
    static final String MI300 = "gfx942";
    /** MI350: FP8 matrix cores in e4m3fn. */
    static final String MI350 = "gfx950";
    static final Set<ScalarType> FP8_TYPES = Set.of(ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT8_E4M3FNUZ);
    static final Set<ScalarType> SIXTEEN_BIT = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    static final Set<GroupShape> WEIGHT_SCALES = Set.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR);
    static final Set<GroupShape> ACTIVATION_SCALES = Set.of(GroupShape.PER_TOKEN, GroupShape.PER_TENSOR);
    /** FP8 MMA instructions take K in steps of 16 (32 bytes); the weight's rows and the outputs stay 16-byte aligned. */
    static final int K_ALIGNMENT = 16;
    static final int N_ALIGNMENT = 16;
    static final int MAX_ROWS = 1 << 16;

    private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(ID, ID, VERSION,
            List.of(PlatformSupport.of("cuda:sm_89+", CUDA_PRIORITY), PlatformSupport.of("rocm:" + MI300 + "," + MI350, ROCM_PRIORITY)),
            new ScaledMmCapabilities(FP8_TYPES, FP8_TYPES, WEIGHT_SCALES, ACTIVATION_SCALES, true, true, SIXTEEN_BIT, SIXTEEN_BIT, true, K_ALIGNMENT,
                    N_ALIGNMENT),
            ToleranceClass.FP8_W8A8, MAX_ROWS);

    private final TritonImages images;
    /** The variants loaded, once per device and name for the plugin's lifetime. */
    private final Map<Device, Map<String, TritonKernel>> loaded = new IdentityHashMap<>();

    /** The kernel with the images of its own jar. */
    public TritonFp8Kernel() {
        this(TritonImages.load(TritonFp8Kernel.class.getClassLoader(), IMAGES));
    }

    TritonFp8Kernel(TritonImages images) {
        this.images = requireNonNull(images, "images is null");
    }

    @Override
    public KernelDescriptor descriptor() {
        return DESCRIPTOR;
    }

    /** Refuses CUDA below sm_89, ROCm architectures other than gfx942 and gfx950, CPUs, and platforms no image of some variant runs on. */
    @Override
    public Verdict supports(Platform platform) {
        requireNonNull(platform, "platform is null");
        return platformChecks(platform, quantizedType(platform).map(type -> TritonFp8Variants.all(isFnuz(type))).orElse(List.of()));
    }

    @Override
    public Optional<String> preparedLayout() {
        return Optional.of(LAYOUT);
    }

    @Override
    public Verdict canImplement(ScaledMmConfig config, Platform platform) {
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
        Optional<ScalarType> quantized = quantizedType(platform);
        boolean typesDeclared = SIXTEEN_BIT.contains(config.inputType()) && SIXTEEN_BIT.contains(config.outputType());
        List<String> variants = quantized.map(type -> typesDeclared
                ? TritonFp8Variants.forLayer(config.inputType(), config.outputType(), isFnuz(type))
                : TritonFp8Variants.all(isFnuz(type))).orElse(List.of());
        return Verdict.checks().add(platformChecks(platform, variants)).add(layerChecks(config, platform)).verdict();
    }

    /**
     * The type activations are quantized to on a platform the kernel runs on: e4m3fn on CUDA sm_89+ and gfx950,
     * e4m3fnuz on gfx942; empty elsewhere.
     */
    static Optional<ScalarType> quantizedType(Platform platform) {
        return switch (platform.architecture()) {
            case Architecture.Cuda cuda -> cuda.capability() >= MIN_CUDA_CAPABILITY ? Optional.of(ScalarType.FLOAT8_E4M3FN) : Optional.empty();
            case Architecture.Rocm rocm -> switch (rocm.name()) {
                case MI300 -> Optional.of(ScalarType.FLOAT8_E4M3FNUZ);
                case MI350 -> Optional.of(ScalarType.FLOAT8_E4M3FN);
                default -> Optional.empty();
            };
            case Architecture.Cpu cpu -> Optional.empty();
        };
    }

    private Verdict platformChecks(Platform platform, List<String> variants) {
        return switch (platform.architecture()) {
            case Architecture.Cuda cuda -> cuda.capability() < MIN_CUDA_CAPABILITY
                    ? Verdict.checks().require(false, "CUDA architecture", "sm_" + MIN_CUDA_CAPABILITY + " or newer (FP8 tensor cores)", cuda.name()).verdict()
                    : images.check(platform, variants);
            case Architecture.Rocm rocm -> quantizedType(platform).isEmpty()
                    ? Verdict.checks().require(false, "ROCm architecture", "one of [" + MI300 + ", " + MI350 + "] (FP8 matrix cores)", rocm.name()).verdict()
                    : images.check(platform, variants);
            case Architecture.Cpu cpu -> images.check(platform, variants);
        };
    }

    /** Every constraint on the layer itself; the FP8 types depend on the platform's format. */
    static Verdict layerChecks(ScaledMmConfig config, Platform platform) {
        QuantKey weight = config.weightQuant();
        QuantKey activation = config.activationQuant();
        GroupShape activationScales = activation.groupShape();
        return Verdict.checks()
                .require(acceptedTypes(platform).contains(weight.type()), "weight type", expectedTypes(platform, weight.type()), weight.type().name())
                .require(weight.scaleType().equals(ScalarType.FLOAT32), "weight scale type", "float32", weight.scaleType().name())
                .require(WEIGHT_SCALES.contains(weight.groupShape()), "weight scales", "one of [per-channel, per-tensor]", weight.groupShape().toString())
                .require(weight.symmetric(), "weight zero point", "symmetric", "asymmetric")
                .require(acceptedTypes(platform).contains(activation.type()), "activation type", expectedTypes(platform, activation.type()),
                        activation.type().name())
                .require(activation.scaleType().equals(ScalarType.FLOAT32), "activation scale type", "float32", activation.scaleType().name())
                .require(ACTIVATION_SCALES.contains(activationScales), "activation scales", "one of [per-token, per-tensor]", activationScales.toString())
                .require(!activation.staticScale() || activationScales.isPerTensor(), "static activation scales", "per-tensor", activationScales.toString())
                .require(activation.staticScale() || !activationScales.isPerTensor(), "dynamic activation scales",
                        "per-token (the kernel quantizes each row on its own; a dynamic per-tensor scale needs the whole batch's maximum first)",
                        activationScales.toString())
                .require(activation.symmetric(), "activation zero point", "symmetric", "asymmetric")
                .require(SIXTEEN_BIT.contains(config.inputType()), "input type", "one of [bfloat16, float16]", config.inputType().name())
                .require(SIXTEEN_BIT.contains(config.outputType()), "output type", "one of [bfloat16, float16]", config.outputType().name())
                .require(config.k() % K_ALIGNMENT == 0, "K alignment", "K % " + K_ALIGNMENT + " == 0", "K=" + config.k())
                .require(config.n() % N_ALIGNMENT == 0, "N alignment", "N % " + N_ALIGNMENT + " == 0", "N=" + config.n())
                .verdict();
    }

    /**
     * e4m3fn on CUDA and gfx950; both on gfx942, which converts e4m3fn checkpoints; the declared types on other ROCm
     * targets and CPUs, which the platform checks refuse already.
     */
    private static Set<ScalarType> acceptedTypes(Platform platform) {
        return switch (platform.architecture()) {
            case Architecture.Cuda cuda -> Set.of(ScalarType.FLOAT8_E4M3FN);
            case Architecture.Rocm rocm -> rocm.name().equals(MI350) ? Set.of(ScalarType.FLOAT8_E4M3FN) : FP8_TYPES;
            case Architecture.Cpu cpu -> FP8_TYPES;
        };
    }

    private static String expectedTypes(Platform platform, ScalarType actual) {
        if (acceptedTypes(platform).size() > 1) {
            return "one of [float8_e4m3fn, float8_e4m3fnuz]";
        }
        if (!actual.equals(ScalarType.FLOAT8_E4M3FNUZ)) {
            return "float8_e4m3fn";
        }
        String here = platform.vendor() == Vendor.CUDA ? "CUDA FP8 tensor cores take e4m3fn" : platform.architecture().name() + " takes e4m3fn";
        return "float8_e4m3fn (e4m3fnuz is the ROCm MI300 encoding; " + here + ")";
    }

    private static boolean isFnuz(ScalarType type) {
        return type.equals(ScalarType.FLOAT8_E4M3FNUZ);
    }

    /**
     * Checks and uploads the weights with the layer as owner (converted to e4m3fnuz on gfx942); on a GPU also loads
     * the layer's variants (once per device) and reserves the workspace. On a device that allocates host memory the
     * layer only holds the layout.
     *
     * @throws IllegalArgumentException naming every constraint the layer or platform does not meet, or weights that
     *         do not match the config
     * @throws IllegalStateException when an image in the jar does not keep the launch contract of {@code fp8.py}
     */
    @Override
    public PreparedLayer prepare(ScaledMmConfig config, QuantizedWeights weights, Device device) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(device, "device is null");
        Platform platform = device.platform();
        Verdict verdict = canImplement(config, platform);
        if (!verdict.isAccepted()) {
            throw new IllegalArgumentException(ID + " cannot prepare this layer on " + platform.spec() + ": " + verdict);
        }
        if (!(weights instanceof QuantizedWeights.ScaledMm scaledMm)) {
            throw new IllegalArgumentException(ID + " prepares scaled-mm weights, got " + weights.getClass().getSimpleName());
        }
        ScalarType quantized = quantizedType(platform).orElseThrow();
        try (Arena arena = Arena.ofConfined()) {
            TritonFp8Packer.Packed packed = TritonFp8Packer.pack(config, scaledMm, quantized, arena);
            return new TritonFp8Layer(config, packed, device,
                    on -> TritonFp8Functions.load(variant -> kernelOn(on, variant), config.inputType(), config.outputType(), quantized), MAX_ROWS);
        }
    }

    private TritonKernel kernelOn(Device device, String variant) {
        synchronized (loaded) {
            return loaded.computeIfAbsent(device, key -> new HashMap<>()).computeIfAbsent(variant, name -> device.loadTriton(images, name));
        }
    }

    /**
     * Queues the layer on the stream. The input is {@code [M, K]} of the layer's input type in device memory with unit
     * stride along K, the output {@code [M, N]} of its output type with unit stride along N; both start 16-byte aligned
     * and have row strides of a multiple of 8 elements, as the images are compiled for.
     */
    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(layer, "layer is null");
        if (!(layer instanceof TritonFp8Layer prepared)) {
            throw new IllegalArgumentException(ID + " applies layers it prepared, got " + layer.getClass().getName());
        }
        prepared.apply(input, output, stream);
    }

    @Override
    public String toString() {
        return ID;
    }
}
