package dev.qlinear.aiterfp8;

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
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.DeviceProperties;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * FP8 W8A8 with per-token activation and per-channel weight scales ("PTPC") through aiter's pre-shuffled CK GEMM on
 * AMD MI300 (gfx942) and MI350 (gfx950), as vLLM's {@code AiterPreshuffledPerTokenFp8} kernel runs it (KERNELS.md
 * §3.6): {@code y[m, n] = s_a(m) · s_w(n) · Σ_k A_q[m, k] · W_q[n, k] + bias[n]}, bf16 in and out. The host calls the
 * shim {@code libqlinear_aiter_fp8.so} that {@value AiterInstallation#BUILD_SCRIPT} builds against an aiter source tree
 * ({@link AiterInstallation}); its C ABI is {@code src/main/hip/qlinear_aiter_fp8.h} ({@link AiterShimAbi}).
 *
 * <p><b>Selection.</b> Only shapes aiter has tuned are taken: {@link #canImplement} asks aiter's tuned-GEMM CSV
 * ({@link TunedGemmTable}) for a row of the layer's (N, K) with the platform's weight dtype, a CK instance compiled into
 * the shim and, on a detected device, its compute units; other shapes are refused with the CSV and the shape named, so
 * that the next kernel runs them. The (16, 16) shuffle needs {@code N % 16 == 0} and {@code K % 32 == 0} (vLLM checks
 * {@code K % 16}, which lets a K of 16 mod 32 fail at load). {@value AiterSettings#USE_AITER} switches the kernel off.
 *
 * <p><b>Layout {@value #LAYOUT}</b> ({@link #preparedLayout()}; core's {@code AiterPreshuffleLayout} is its reference):
 * {@code weight}, the codes pre-shuffled by {@link AiterFp8Packer}, and {@code weight_scale}, fp32 {@code [N]}. On gfx942
 * e4m3fn checkpoints are converted to e4m3fnuz first (codes reinterpreted, {@code 0x80} made {@code 0x00}, scales doubled);
 * gfx950 takes e4m3fn only. The bias (bf16 {@code [N]}) is uploaded beside them.
 *
 * <p><b>Apply</b> ({@link AiterFp8Launcher}): per pass of up to 1024 rows, the shim quantizes the rows per token
 * (saturating at ±240 in e4m3fnuz on gfx942, ±448 in e4m3fn on gfx950) into the stream's workspace, runs the GEMM with
 * the tuned row's kernelId and splitK for the pass's M (the row of the smallest tuned M at least M, else the largest),
 * and adds the bias in place. {@link ToleranceClass#FP8_W8A8}: the activations are quantized on the device in fp32 and
 * the GEMM sums in fp32 in CK's order.
 *
 * <p><b>Platforms.</b> {@code rocm:gfx942,gfx950} at priority {@value #ROCM_PRIORITY}, above the Triton FP8 kernel's 100
 * there: aiter's tuned instances are the native choice on MI300/MI350.
 */
public final class AiterFp8Kernel implements LinearKernel<ScaledMmConfig> {

    static final String ID = "aiter-fp8";
    static final String VERSION = "0.1.0";
    static final String LAYOUT = "aiter-preshuffle-16x16";
    static final int ROCM_PRIORITY = 300;
    static final String MI300 = "gfx942";
    static final String MI350 = "gfx950";
    static final Set<ScalarType> FP8_TYPES = Set.of(ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT8_E4M3FNUZ);
    /** The (16, 16) shuffle's 32-byte K tiles. */
    static final int K_ALIGNMENT = 32;
    /** The (16, 16) shuffle's 16-row tiles. */
    static final int N_ALIGNMENT = 16;
    static final int MAX_ROWS = 1 << 16;

    private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(ID, ID, VERSION,
            List.of(PlatformSupport.of("rocm:" + MI300 + "," + MI350, ROCM_PRIORITY)),
            new ScaledMmCapabilities(FP8_TYPES, FP8_TYPES, Set.of(GroupShape.PER_CHANNEL), Set.of(GroupShape.PER_TOKEN), false, true,
                    Set.of(ScalarType.BFLOAT16), Set.of(ScalarType.BFLOAT16), true, K_ALIGNMENT, N_ALIGNMENT),
            ToleranceClass.FP8_W8A8, MAX_ROWS);

    private final AiterSettings settings;
    private final TunedGemmTables tables = new TunedGemmTables();
    /** The shim, loaded once per device for the plugin's lifetime. */
    private final Map<Device, AiterShim> shims = new IdentityHashMap<>();

    /** The kernel with the settings of an environment such as {@link System#getenv()}. */
    AiterFp8Kernel(AiterSettings settings) {
        this.settings = requireNonNull(settings, "settings is null");
    }

    @Override
    public KernelDescriptor descriptor() {
        return DESCRIPTOR;
    }

    @Override
    public Optional<String> preparedLayout() {
        return Optional.of(LAYOUT);
    }

    /** ROCm gfx942 or gfx950, then aiter switched on, then an installation with the tuned-GEMM CSV, the kernel list and the shim. */
    @Override
    public Verdict supports(Platform platform) {
        requireNonNull(platform, "platform is null");
        if (platformType(platform).isEmpty()) {
            return Verdict.refused(architecture(platform));
        }
        Verdict enabled = settings.enabled();
        if (!enabled.isAccepted()) {
            return enabled;
        }
        return AiterInstallation.locate(settings).map(AiterInstallation::check).orElseGet(() -> Verdict.refused(AiterInstallation.notFound(settings)));
    }

    @Override
    public Verdict canImplement(ScaledMmConfig config, Platform platform) {
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
        Optional<ScalarType> platformType = platformType(platform);
        Verdict.Checks checks = Verdict.checks();
        if (platformType.isEmpty()) {
            checks.add(Verdict.refused(architecture(platform)));
        }
        checks.add(layerChecks(config, platform));
        platformType.ifPresent(type -> checks.add(tunedCheck(config, platform, type)));
        return checks.verdict();
    }

    /**
     * The FP8 type of the platform's matrix cores where the kernel runs: e4m3fnuz on gfx942, e4m3fn on gfx950; empty
     * elsewhere.
     */
    static Optional<ScalarType> platformType(Platform platform) {
        return switch (platform.architecture()) {
            case Architecture.Rocm rocm -> rocm.name().equals(MI300) || rocm.name().equals(MI350) ? rocm.fp8Type() : Optional.empty();
            case Architecture.Cuda cuda -> Optional.empty();
            case Architecture.Cpu cpu -> Optional.empty();
        };
    }

    /** {@code torch.float8_e4m3fnuz} or {@code torch.float8_e4m3fn}: how aiter's CSV names the weight dtype in {@code q_dtype_w}. */
    static String torchType(ScalarType type) {
        return "torch." + type.name();
    }

    private static Reason architecture(Platform platform) {
        return new Reason("platform", "ROCm " + MI300 + " (MI300) or " + MI350 + " (MI350), whose FP8 matrix cores aiter's CK GEMMs use", platform.spec());
    }

    /** Every constraint on the layer itself; the FP8 types accepted depend on the platform. */
    static Verdict layerChecks(ScaledMmConfig config, Platform platform) {
        QuantKey weight = config.weightQuant();
        QuantKey activation = config.activationQuant();
        Set<ScalarType> fp8 = acceptedTypes(platform);
        return Verdict.checks()
                .require(fp8.contains(weight.type()), "weight type", expectedTypes(platform), weight.type().name())
                .require(weight.scaleType().equals(ScalarType.FLOAT32), "weight scale type", "float32", weight.scaleType().name())
                .require(weight.groupShape().equals(GroupShape.PER_CHANNEL), "weight scales", "per-channel (aiter's per-token x per-channel GEMM)",
                        weight.groupShape().toString())
                .require(weight.symmetric(), "weight zero point", "symmetric", "asymmetric")
                .require(fp8.contains(activation.type()), "activation type", expectedTypes(platform), activation.type().name())
                .require(activation.scaleType().equals(ScalarType.FLOAT32), "activation scale type", "float32", activation.scaleType().name())
                .require(activation.groupShape().equals(GroupShape.PER_TOKEN), "activation scales", "per-token (aiter's per-token x per-channel GEMM)",
                        activation.groupShape().toString())
                .require(!activation.staticScale(), "activation scales", "dynamic (each row quantized on every call)", "static")
                .require(activation.symmetric(), "activation zero point", "symmetric", "asymmetric")
                .require(config.inputType().equals(ScalarType.BFLOAT16), "input type", "bfloat16", config.inputType().name())
                .require(config.outputType().equals(ScalarType.BFLOAT16), "output type", "bfloat16 (aiter's pre-shuffled GEMM writes bf16)",
                        config.outputType().name())
                .require(config.n() % N_ALIGNMENT == 0, "N alignment", "N % " + N_ALIGNMENT + " == 0 (the (16, 16) shuffle's 16-row tiles)", "N=" + config.n())
                .require(config.k() % K_ALIGNMENT == 0, "K alignment", "K % " + K_ALIGNMENT + " == 0 (the (16, 16) shuffle's 32-byte K tiles)", "K=" + config.k())
                .verdict();
    }

    /** Both on gfx942, which converts e4m3fn checkpoints; e4m3fn on gfx950; the declared types elsewhere, which the platform check refuses. */
    private static Set<ScalarType> acceptedTypes(Platform platform) {
        return platform.architecture() instanceof Architecture.Rocm rocm && rocm.name().equals(MI350) ? Set.of(ScalarType.FLOAT8_E4M3FN) : FP8_TYPES;
    }

    private static String expectedTypes(Platform platform) {
        return acceptedTypes(platform).size() > 1
                ? "one of [float8_e4m3fn, float8_e4m3fnuz]"
                : "float8_e4m3fn (" + MI350 + " takes e4m3fn; e4m3fnuz is the MI300 encoding)";
    }

    /** A tuned row for the layer's (N, K) on the platform, with the CSV and the shape named when there is none. */
    private Verdict tunedCheck(ScaledMmConfig config, Platform platform, ScalarType platformType) {
        String shape = "N=" + config.n() + ", K=" + config.k();
        Optional<AiterInstallation> installation = AiterInstallation.locate(settings);
        if (installation.isEmpty()) {
            return Verdict.refused(new Reason("tuned GEMM", "a row for " + shape + " in aiter's tuned-GEMM CSV",
                    "no aiter installation (" + AiterInstallation.notFound(settings).message() + ")"));
        }
        AiterInstallation found = installation.get();
        Verdict files = found.checkTunedGemm();
        if (!files.isAccepted()) {
            return Verdict.refused(new Reason("tuned GEMM", "a row for " + shape + " in " + found.tunedGemmCsv(),
                    "no table to look in (" + String.join("; ", files.reasons().stream().map(Reason::message).toList()) + ")"));
        }
        TunedGemmTable.Key key = key(platform, platformType);
        TunedGemmTable table = tables.table(found.tunedGemmCsv(), found.kernelList(), key);
        if (table.unreadable().isPresent()) {
            return Verdict.refused(new Reason("tuned GEMM", "a row for " + shape + " in " + found.tunedGemmCsv(), table.unreadable().get()));
        }
        if (table.shape(config.n(), config.k()).isEmpty()) {
            return Verdict.refused(new Reason("tuned GEMM", "a row for " + shape + " with " + key.describe() + " and a kernelId listed in "
                    + found.kernelList() + ", in the tuned-GEMM CSV " + found.tunedGemmCsv() + " (aiter's pre-shuffled GEMM is chosen for tuned shapes only)",
                    "none for " + shape));
        }
        return Verdict.accepted();
    }

    /** The rows a platform keeps: its weight dtype and architecture, and a detected device's compute units. */
    static TunedGemmTable.Key key(Platform platform, ScalarType platformType) {
        OptionalInt computeUnits = platform.device().map(DeviceProperties::computeUnits).map(OptionalInt::of).orElse(OptionalInt.empty());
        return new TunedGemmTable.Key(torchType(platformType), platform.architecture().name(), computeUnits);
    }

    /**
     * Checks, packs and uploads the weights with the layer as owner; on a device that calls host libraries also loads
     * the shim (once per device) and reserves the workspace. The shim is not needed to prepare: on a device standing in
     * for the GPU the layer holds the layout only.
     *
     * @throws IllegalArgumentException naming every constraint the layer or platform does not meet, or weights that
     *         do not match the config
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
        ScalarType platformType = platformType(platform).orElseThrow();
        AiterInstallation installation = AiterInstallation.locate(settings).orElseThrow();
        TunedGemmTable.TunedShape tuned = tables.table(installation.tunedGemmCsv(), installation.kernelList(), key(platform, platformType))
                .shape(config.n(), config.k()).orElseThrow();
        try (Arena arena = Arena.ofConfined()) {
            AiterFp8Packer.Packed packed = AiterFp8Packer.pack(config, scaledMm, platformType, arena);
            return new AiterFp8Layer(config, packed, device, tuned, platformType, on -> shimOn(on, installation), MAX_ROWS);
        }
    }

    private AiterShim shimOn(Device device, AiterInstallation installation) {
        synchronized (shims) {
            AiterShim shim = shims.get(device);
            if (shim == null) {
                shim = AiterShim.load(device, installation.shimLibrary());
                shims.put(device, shim);
            }
            return shim;
        }
    }

    /**
     * Queues the layer on the stream. The input is bf16 {@code [M, K]} in device memory with unit stride along K (rows
     * may be strided), the output bf16 {@code [M, N]}, contiguous.
     *
     * @throws UnsupportedOperationException for a layer prepared where the shim cannot run (host memory standing in for
     *         the GPU, or a device that calls no host libraries)
     */
    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(layer, "layer is null");
        if (!(layer instanceof AiterFp8Layer prepared)) {
            throw new IllegalArgumentException(ID + " applies layers it prepared, got " + layer.getClass().getName());
        }
        prepared.apply(input, output, stream);
    }

    @Override
    public String toString() {
        return ID;
    }
}
