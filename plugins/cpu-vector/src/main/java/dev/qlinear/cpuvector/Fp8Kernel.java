package dev.qlinear.cpuvector;

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
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import static dev.qlinear.cpuvector.Fp8Layer.BLOCK;
import static dev.qlinear.cpuvector.Fp8Layer.K_STEP;
import static java.util.Objects.requireNonNull;

/**
 * FP8 W8A8 on the CPU: {@code y[m, n] = s_a(m) · s_w(n) · Σ_k A_q[m, k] · W_q[n, k] + bias[n]} with e4m3fn weights
 * {@code [N, K]} and per-channel or per-tensor fp32 weight scales. Activations (fp16 or bf16) are quantized inside
 * {@code apply}: per token dynamically, per tensor dynamically, or per tensor with the checkpoint's static scale,
 * exactly as core's {@code Fp8Reference} does ({@link Fp8Job}). Outputs fp16 or bf16.
 *
 * <p>Subnormal weight codes (exponent field 0) would decode to subnormal floats, which cost this CPU's FMA units a
 * micro-code assist of some 70 times the normal latency. {@code prepare} therefore stores each as the normal code
 * {@code 2^-6} larger in magnitude and records it per column; {@code apply} subtracts {@code 2^-6 · a[k]} for each
 * such code after the dot product, in ascending k, so the arithmetic stays exact and fixed.
 *
 * <p>Accuracy: each product of two e4m3 values is exact in float32; the K products of an output are summed in fp32
 * in four chains ({@link Fp8Compute}), which bounds the error of the sum by {@code (K/4 + 2 + c) · 2^-24 · Σ_k |A_q · W'_q|}
 * ({@code W'} being W with subnormal codes raised by {@code 2^-6}, c the number of those in the column);
 * the scales are applied with one fp32 product and one fused multiply-add with the bias, then the result is rounded
 * to the output type. The reference sums exactly, so the kernel is held to {@link ToleranceClass#FP8_W8A8}, whose
 * criterion covers the quantization steps the two share and this summation error many times over.
 */
public final class Fp8Kernel implements LinearKernel<ScaledMmConfig> {

    static final String ID = "cpu-vector-fp8";
    static final Set<ScalarType> SIXTEEN_BIT = Set.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    static final Set<GroupShape> WEIGHT_SCALES = Set.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR);
    static final Set<GroupShape> ACTIVATION_SCALES = Set.of(GroupShape.PER_TOKEN, GroupShape.PER_TENSOR);
    static final int MAX_ROWS = 1 << 16;

    private static final KernelDescriptor DESCRIPTOR = new KernelDescriptor(ID, CpuVectorProvider.FAMILY, CpuVectorProvider.VERSION,
            List.of(PlatformSupport.of("cpu", CpuVectorProvider.PRIORITY)),
            new ScaledMmCapabilities(Set.of(ScalarType.FLOAT8_E4M3FN), Set.of(ScalarType.FLOAT8_E4M3FN), WEIGHT_SCALES, ACTIVATION_SCALES,
                    true, true, SIXTEEN_BIT, SIXTEEN_BIT, true, 1, 1),
            ToleranceClass.FP8_W8A8, MAX_ROWS);

    private final Supplier<WorkerTeam> team;
    private Fp8Job job;

    public Fp8Kernel() {
        this(WorkerTeam::shared);
    }

    /** A kernel computing on its own team, for tests of thread-count independence. */
    Fp8Kernel(WorkerTeam team) {
        this(() -> team);
        requireNonNull(team, "team is null");
    }

    private Fp8Kernel(Supplier<WorkerTeam> team) {
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
    public Verdict canImplement(ScaledMmConfig config, Platform platform) {
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
        QuantKey weight = config.weightQuant();
        QuantKey activation = config.activationQuant();
        return Verdict.checks()
                .add(VectorModule.check(platform))
                .require(weight.type().equals(ScalarType.FLOAT8_E4M3FN), "weight type", "float8_e4m3fn", weight.type().name())
                .require(weight.scaleType().equals(ScalarType.FLOAT32), "weight scale type", "float32", weight.scaleType().name())
                .require(WEIGHT_SCALES.contains(weight.groupShape()), "weight scales", "one of [per-channel, per-tensor]", weight.groupShape().toString())
                .require(weight.symmetric(), "weight zero point", "symmetric", "asymmetric")
                .require(activation.type().equals(ScalarType.FLOAT8_E4M3FN), "activation type", "float8_e4m3fn", activation.type().name())
                .require(activation.scaleType().equals(ScalarType.FLOAT32), "activation scale type", "float32", activation.scaleType().name())
                .require(ACTIVATION_SCALES.contains(activation.groupShape()), "activation scales", "one of [per-tensor, per-token]",
                        activation.groupShape().toString())
                .require(!activation.staticScale() || activation.groupShape().isPerTensor(), "static activation scales", "per-tensor",
                        activation.groupShape().toString())
                .require(activation.symmetric(), "activation zero point", "symmetric", "asymmetric")
                .require(SIXTEEN_BIT.contains(config.inputType()), "input type", "one of [bfloat16, float16]", config.inputType().name())
                .require(SIXTEEN_BIT.contains(config.outputType()), "output type", "one of [bfloat16, float16]", config.outputType().name())
                .verdict();
    }

    @Override
    public PreparedLayer prepare(ScaledMmConfig config, QuantizedWeights weights, Device device) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(device, "device is null");
        Verdict verdict = canImplement(config, device.platform());
        if (!verdict.isAccepted()) {
            throw new IllegalArgumentException(ID + " cannot run " + config + ": " + verdict);
        }
        if (!(weights instanceof QuantizedWeights.ScaledMm scaledMm)) {
            throw new IllegalArgumentException(ID + " prepares scaled-mm weights, got " + weights.getClass().getSimpleName());
        }
        int k = config.k();
        int n = config.n();
        int blocks = (n + BLOCK - 1) / BLOCK;
        Tensor weight = scaledMm.weight();
        W4Packer.requireThat(weight.dtype().storageBytes() == 1 && weight.dtype().sizeBits() == 8, "dtype of the weight", "float8_e4m3fn codes",
                weight.dtype().name());
        W4Packer.requireThat(weight.rank() == 2 && weight.size(0) == n && weight.size(1) == k, "shape of the weight", "[N=" + n + ", K=" + k + "]",
                Shapes.describe(weight));
        boolean perChannel = config.weightQuant().groupShape().equals(GroupShape.PER_CHANNEL);
        float[] weightScales = new float[blocks * BLOCK];
        float[] scales = HalfFloats.readVector(scaledMm.weightScale(), perChannel ? n : 1, "weight scale");
        for (int column = 0; column < n; column++) {
            weightScales[column] = scales[perChannel ? column : 0];
        }
        float[] bias = new float[blocks * BLOCK];
        W4Packer.requireThat(scaledMm.bias().isPresent() == config.bias(), "bias of the weights", config.bias() ? "present" : "absent",
                scaledMm.bias().isPresent() ? "present" : "absent");
        scaledMm.bias().ifPresent(tensor -> System.arraycopy(HalfFloats.readVector(tensor, n, "bias"), 0, bias, 0, n));
        float inputScale = Float.NaN;
        if (config.activationQuant().staticScale()) {
            Tensor scale = scaledMm.inputScale().orElseThrow(() -> new IllegalArgumentException(
                    "static activation scales need the weights' input scale, got none"));
            inputScale = HalfFloats.readVector(scale, 1, "input scale")[0];
            if (!(inputScale > 0) || Float.isInfinite(inputScale)) {
                throw new IllegalArgumentException("input scale must be finite and positive, got " + inputScale);
            }
        }

        int paddedK = (k + K_STEP - 1) / K_STEP * K_STEP;
        Object owner = new Object();
        try {
            Tensor codes = device.allocate(owner, ScalarType.FLOAT8_E4M3FN, blocks, paddedK, BLOCK);
            MemorySegment target = HalfFloats.hostSegment(codes, "prepared codes");
            MemorySegment source = HalfFloats.hostSegment(weight, "weight");
            long rowStride = weight.stride(0);
            long columnStride = weight.stride(1);
            byte[] column = new byte[k];
            Fp8Layer.Corrections.Builder corrections = new Fp8Layer.Corrections.Builder(blocks * BLOCK);
            for (int row = 0; row < n; row++) {
                for (int inner = 0; inner < k; inner++) {
                    byte code = source.get(ValueLayout.JAVA_BYTE, row * rowStride + inner * columnStride);
                    if (E4m3.isNan(code)) {
                        throw new IllegalArgumentException("weight code 0x" + Integer.toHexString(code & 0xFF) + " at [" + row + ", " + inner
                                + "] is NaN in float8_e4m3fn; FP8 weights must be finite");
                    }
                    if (E4m3.isSubnormal(code)) {
                        // stored as the normal code 2^-6 larger in magnitude; the kernel subtracts 2^-6 · a[k] again
                        corrections.add(row, inner, code < 0);
                        code |= E4m3.SMALLEST_NORMAL_EXPONENT_FIELD;
                    }
                    column[inner] = code;
                }
                long base = (long) (row / BLOCK) * paddedK * BLOCK + row % BLOCK;
                for (int inner = 0; inner < k; inner++) {
                    target.set(ValueLayout.JAVA_BYTE, base + (long) inner * BLOCK, column[inner]);
                }
            }
            return new Fp8Layer(config, device, owner, codes, paddedK, weightScales, bias, inputScale, corrections.build());
        }
        catch (RuntimeException | Error e) {
            device.release(owner);
            throw e;
        }
    }

    @Override
    public void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream) {
        requireNonNull(layer, "layer is null");
        requireNonNull(stream, "stream is null");
        if (!(layer instanceof Fp8Layer prepared)) {
            throw new IllegalArgumentException(ID + " applies layers it prepared, got " + layer.getClass().getName());
        }
        if (prepared.isClosed()) {
            throw new IllegalStateException("layer " + prepared + " is closed");
        }
        ScaledMmConfig config = prepared.config();
        int rows = Shapes.rows(input, config.k(), config.inputType(), MAX_ROWS);
        Shapes.requireOutput(output, rows, config.n(), config.outputType());
        synchronized (this) {
            if (job == null) {
                VectorModule.require();
                job = new Fp8Job(team.get());
            }
            job.run(prepared, input, output, rows);
        }
    }

    @Override
    public String toString() {
        return ID;
    }
}
