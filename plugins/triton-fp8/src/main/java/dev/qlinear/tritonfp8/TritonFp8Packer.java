package dev.qlinear.tritonfp8;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.device.HostBuffer;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.HostTensors;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Optional;

import static dev.qlinear.spi.weights.HostTensors.requireThat;
import static java.util.Objects.requireNonNull;

/**
 * Checks a layer's canonical scaled-mm weights and lays them out for upload: the weight stays {@code [N, K]} (K
 * contiguous) and its fp32 scales keep the checkpoint's shape ({@code [N, 1]} per channel, {@code [1]} per tensor), so
 * the layout is core's {@code canonical} one. Where the kernel quantizes activations to e4m3fnuz (gfx942), an e4m3fn
 * weight is converted as vLLM's {@code normalize_e4m3fn_to_e4m3fnuz} does (KERNELS.md §1.3): the same bytes read as
 * e4m3fnuz, whose values are half the e4m3fn ones, with {@code 0x80} (-0 in e4m3fn, NaN in e4m3fnuz) made {@code 0x00}
 * and the weight scales doubled; an e4m3fn static input scale is doubled likewise, so that {@code x / (2 s)} in
 * e4m3fnuz is the code of {@code x / s} in e4m3fn.
 */
final class TritonFp8Packer {

    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final byte FNUZ_NAN = (byte) 0x80;

    private TritonFp8Packer() {
    }

    /**
     * A layer laid out in host memory, ready to upload.
     *
     * @param weight the codes {@code [N, K]}, of the type the kernel reads (e4m3fnuz when converted)
     * @param weightScale fp32 scales in the checkpoint's shape, doubled when converted
     * @param inputScale the fp32 static input scale {@code [1]}, when the activation scales are static
     * @param bias the bias {@code [N]} in the output type, when the layer has one
     */
    record Packed(HostBuffer weight, HostBuffer weightScale, Optional<HostBuffer> inputScale, Optional<HostBuffer> bias) {
        Packed {
            requireNonNull(weight, "weight is null");
            requireNonNull(weightScale, "weightScale is null");
            requireNonNull(inputScale, "inputScale is null");
            requireNonNull(bias, "bias is null");
        }
    }

    /**
     * Checks and lays out the weights of a layer the kernel accepted.
     *
     * @param quantizedType the type the kernel quantizes activations to on the layer's device: e4m3fn, or e4m3fnuz
     * @throws IllegalArgumentException naming the tensor, the rule and the value when the weights do not match the
     *         config, or a weight code is NaN
     */
    static Packed pack(ScaledMmConfig config, QuantizedWeights.ScaledMm weights, ScalarType quantizedType, Arena arena) {
        requireNonNull(config, "config is null");
        requireNonNull(weights, "weights is null");
        requireNonNull(quantizedType, "quantizedType is null");
        requireNonNull(arena, "arena is null");
        int k = config.k();
        int n = config.n();
        ScalarType weightType = config.weightQuant().type();
        boolean toFnuz = quantizedType.equals(ScalarType.FLOAT8_E4M3FNUZ);
        boolean convertWeight = toFnuz && weightType.equals(ScalarType.FLOAT8_E4M3FN);
        boolean doubleInputScale = toFnuz && config.activationQuant().type().equals(ScalarType.FLOAT8_E4M3FN);

        Tensor source = weights.weight();
        HostTensors.requireShape(source, "weight", weightType, n, k);
        HostBuffer weight = HostBuffer.allocate(arena, convertWeight ? ScalarType.FLOAT8_E4M3FNUZ : weightType, n, k);
        copyCodes(source, weight.segment(), n, k);
        requireFinite(weight.segment(), weightType, k);
        if (convertWeight) {
            toFnuz(weight.segment());
        }

        boolean perChannel = config.weightQuant().groupShape().equals(GroupShape.PER_CHANNEL);
        HostBuffer weightScale = scales(weights.weightScale(), perChannel ? n : 1, perChannel, convertWeight, arena);

        Optional<HostBuffer> inputScale = Optional.empty();
        if (config.activationQuant().staticScale()) {
            Tensor scale = weights.inputScale().orElseThrow(() -> new IllegalArgumentException(
                    "static activation scales need the weights' input scale, got none"));
            requireThat(scale.dtype().equals(ScalarType.FLOAT32) && scale.elementCount() == 1, "input scale", "one float32 value",
                    scale.dtype().name() + Arrays.toString(shape(scale)));
            float value = HostTensors.segment(scale, "input scale").get(FLOAT, 0);
            requireThat(value > 0 && Float.isFinite(value), "input scale", "finite and positive", String.valueOf(value));
            HostBuffer buffer = HostBuffer.allocate(arena, ScalarType.FLOAT32, 1);
            buffer.segment().set(FLOAT, 0, doubleInputScale ? doubled(value, "input scale") : value);
            inputScale = Optional.of(buffer);
        }

        requireThat(weights.bias().isPresent() == config.bias(), "bias of the weights", config.bias() ? "present" : "absent",
                weights.bias().isPresent() ? "present" : "absent");
        Optional<HostBuffer> bias = weights.bias().map(tensor -> bias(tensor, config.outputType(), n, arena));
        return new Packed(weight, weightScale, inputScale, bias);
    }

    /**
     * The e4m3fnuz byte of an e4m3fn byte, {@code normalize_e4m3fn_to_e4m3fnuz}'s first two steps: the same bits,
     * except {@code 0x80} (-0, which is NaN in e4m3fnuz) becomes {@code 0x00}.
     */
    static byte toFnuz(byte e4m3fn) {
        return e4m3fn == FNUZ_NAN ? 0 : e4m3fn;
    }

    /** Whether an 8-bit code is NaN in the type: {@code 0x7F} and {@code 0xFF} in e4m3fn, {@code 0x80} in e4m3fnuz. */
    static boolean isNan(byte code, ScalarType type) {
        if (type.equals(ScalarType.FLOAT8_E4M3FNUZ)) {
            return code == FNUZ_NAN;
        }
        if (type.equals(ScalarType.FLOAT8_E4M3FN)) {
            return (code & 0x7F) == 0x7F;
        }
        throw new IllegalArgumentException("the kernel reads e4m3fn or e4m3fnuz codes, got " + type.name());
    }

    private static void toFnuz(MemorySegment codes) {
        for (long i = 0; i < codes.byteSize(); i++) {
            byte code = codes.get(ValueLayout.JAVA_BYTE, i);
            if (code == FNUZ_NAN) {
                codes.set(ValueLayout.JAVA_BYTE, i, toFnuz(code));
            }
        }
    }

    /** The codes in row-major order, whatever the source's strides. */
    private static void copyCodes(Tensor source, MemorySegment target, int n, int k) {
        MemorySegment from = HostTensors.segment(source, "weight");
        if (source.isContiguous()) {
            MemorySegment.copy(from, 0, target, 0, (long) n * k);
            return;
        }
        long rowStride = source.stride(0);
        long columnStride = source.stride(1);
        for (long row = 0; row < n; row++) {
            for (long column = 0; column < k; column++) {
                target.set(ValueLayout.JAVA_BYTE, row * k + column, from.get(ValueLayout.JAVA_BYTE, row * rowStride + column * columnStride));
            }
        }
    }

    private static void requireFinite(MemorySegment codes, ScalarType type, int k) {
        for (long i = 0; i < codes.byteSize(); i++) {
            byte code = codes.get(ValueLayout.JAVA_BYTE, i);
            if (isNan(code, type)) {
                throw new IllegalArgumentException("weight code 0x" + Integer.toHexString(code & 0xFF) + " at [" + i / k + ", " + i % k + "] is NaN in "
                        + type.name() + "; FP8 weights must be finite");
            }
        }
    }

    /** The scales in the checkpoint's shape ({@code [N, 1]} or {@code [N]}; {@code [1]} or {@code [1, 1]}), doubled when converted. */
    private static HostBuffer scales(Tensor source, int count, boolean perChannel, boolean doubled, Arena arena) {
        long[] shape = shape(source);
        boolean fits = source.rank() == 1 ? shape[0] == count : source.rank() == 2 && shape[0] == count && shape[1] == 1;
        requireThat(source.dtype().equals(ScalarType.FLOAT32) && fits, "weight scale", "float32 " + (perChannel ? "[N=" + count + ", 1]" : "[1]"),
                source.dtype().name() + Arrays.toString(shape));
        MemorySegment from = HostTensors.segment(source, "weight scale");
        HostBuffer target = HostBuffer.allocate(arena, ScalarType.FLOAT32, shape);
        long stride = source.stride(0);
        for (int i = 0; i < count; i++) {
            float scale = from.getAtIndex(FLOAT, i * stride);
            requireThat(Float.isFinite(scale), "weight scale at " + i, "finite", String.valueOf(scale));
            target.segment().setAtIndex(FLOAT, i, doubled ? doubled(scale, "weight scale at " + i) : scale);
        }
        return target;
    }

    private static HostBuffer bias(Tensor source, ScalarType outputType, int n, Arena arena) {
        requireThat(source.dtype().equals(outputType) && source.rank() == 1 && source.size(0) == n, "bias", outputType.name() + "[N=" + n + "]",
                source.dtype().name() + Arrays.toString(shape(source)));
        MemorySegment from = HostTensors.segment(source, "bias");
        HostBuffer target = HostBuffer.allocate(arena, outputType, n);
        long stride = source.stride(0);
        for (int i = 0; i < n; i++) {
            target.segment().setAtIndex(HALF, i, from.getAtIndex(HALF, i * stride));
        }
        return target;
    }

    private static float doubled(float scale, String what) {
        float doubled = scale * 2;
        requireThat(Float.isFinite(doubled), what + " doubled for e4m3fnuz", "finite in float32", scale + " * 2 overflows");
        return doubled;
    }

    private static long[] shape(Tensor tensor) {
        long[] shape = new long[tensor.rank()];
        for (int dimension = 0; dimension < shape.length; dimension++) {
            shape[dimension] = tensor.size(dimension);
        }
        return shape;
    }
}
