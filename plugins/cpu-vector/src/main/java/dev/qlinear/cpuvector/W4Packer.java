package dev.qlinear.cpuvector;

import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;
import dev.qlinear.spi.weights.WeightLayout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.qlinear.cpuvector.W4Geometry.BLOCK;
import static dev.qlinear.cpuvector.W4Geometry.SLOTS_PER_WORD;

/** Repacks canonical weights into the {@value W4Geometry#LAYOUT} layout: the kernel's own, fast packer. */
final class W4Packer {

    private W4Packer() {
    }

    static W4Layer pack(WeightOnlyConfig config, QuantizedWeights.WeightOnly weights, Device device) {
        WeightLayout layout = weights.layout();
        int k = config.k();
        int n = config.n();
        requireThat(layout.weightType().equals(config.weightType()), "weight type of the weights", config.weightType().name(), layout.weightType().name());
        requireThat(layout.k() == k && layout.n() == n, "shape of the weights", "K=" + k + " N=" + n, "K=" + layout.k() + " N=" + layout.n());
        requireThat(layout.hasZeroPoints() == config.zeroPoints(), "zero points of the weights", config.zeroPoints() ? "present" : "absent",
                layout.hasZeroPoints() ? "present" : "absent");
        requireThat(layout.actOrder() == config.actOrder(), "group index of the weights", config.actOrder() ? "present" : "absent",
                layout.actOrder() ? "present" : "absent");
        requireThat(layout.packFactor() == SLOTS_PER_WORD, "codes per word", "8 (4-bit codes)", String.valueOf(layout.packFactor()));
        int groups = layout.groupCount();
        int[] groupOfRow = weights.groupIndex().map(index -> readInts(index, k, "group index")).orElseGet(() -> W4Geometry.consecutiveGroups(k, layout.groupSize()));
        W4Geometry geometry = W4Geometry.of(k, n, groups, groupOfRow);

        Tensor codes = weights.codes();
        requireThat(codes.dtype().equals(ScalarType.INT32), "dtype of the codes", "int32", codes.dtype().name());
        requireShape(codes, "codes", (k + SLOTS_PER_WORD - 1) / SLOTS_PER_WORD, n);
        requireShape(weights.scales(), "scales", groups, n);
        ScalarType scaleType = weights.scales().dtype();
        requireThat(scaleType.equals(ScalarType.FLOAT16) || scaleType.equals(ScalarType.BFLOAT16) || scaleType.equals(ScalarType.FLOAT32),
                "dtype of the scales", "float16, bfloat16 or float32", scaleType.name());
        weights.zeroPoints().ifPresent(zeros -> {
            requireThat(zeros.dtype().equals(ScalarType.UINT8), "dtype of the zero points", "uint8", zeros.dtype().name());
            requireShape(zeros, "zero points", groups, n);
        });
        float[] bias = new float[geometry.blocks() * BLOCK];
        weights.bias().ifPresent(tensor -> System.arraycopy(HalfFloats.readVector(tensor, n, "bias"), 0, bias, 0, n));

        Object owner = new Object();
        try {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("codes", packCodes(geometry, codes, device, owner));
            packScales(geometry, weights, layout.weightType(), device, owner, tensors);
            tensors.put("slot_rows", intTensor(geometry.slotRows(), device, owner));
            tensors.put("group_words", intTensor(geometry.groupWords(), device, owner));
            return new W4Layer(config, geometry, device, owner, tensors, bias);
        }
        catch (RuntimeException | Error e) {
            device.release(owner);
            throw e;
        }
    }

    private static Tensor packCodes(W4Geometry geometry, Tensor canonical, Device device, Object owner) {
        int n = geometry.n();
        int words = geometry.words();
        Tensor packed = device.allocate(owner, ScalarType.INT32, geometry.blocks(), words, BLOCK);
        MemorySegment target = HalfFloats.hostSegment(packed, "prepared codes");
        MemorySegment source = HalfFloats.hostSegment(canonical, "codes");
        long rowStride = canonical.stride(0);
        long columnStride = canonical.stride(1);
        boolean copyWords = geometry.slotsAreRows();
        int[] slotRows = geometry.slotRows();
        for (int block = 0; block < geometry.blocks(); block++) {
            int columns = Math.min(BLOCK, n - block * BLOCK);
            for (int word = 0; word < words; word++) {
                long at = ((long) block * words + word) * BLOCK;
                for (int lane = 0; lane < columns; lane++) {
                    long column = (long) block * BLOCK + lane;
                    int value;
                    if (copyWords) {
                        value = source.getAtIndex(HalfFloats.INT, word * rowStride + column * columnStride);
                    }
                    else {
                        value = 0;
                        for (int slot = 0; slot < SLOTS_PER_WORD; slot++) {
                            int row = slotRows[word * SLOTS_PER_WORD + slot];
                            if (row != W4Geometry.EMPTY_SLOT) {
                                int canonicalWord = source.getAtIndex(HalfFloats.INT, (row >>> 3) * rowStride + column * columnStride);
                                value |= ((canonicalWord >>> ((row & 7) * 4)) & 0xF) << (slot * 4);
                            }
                        }
                    }
                    target.setAtIndex(HalfFloats.INT, at + lane, value);
                }
            }
        }
        return packed;
    }

    private static void packScales(W4Geometry geometry, QuantizedWeights.WeightOnly weights, ScalarType weightType, Device device, Object owner,
            Map<String, Tensor> tensors) {
        int n = geometry.n();
        int groups = geometry.groups();
        Tensor scales = weights.scales();
        MemorySegment scaleSource = HalfFloats.hostSegment(scales, "scales");
        MemorySegment zeroSource = weights.zeroPoints().map(zeros -> HalfFloats.hostSegment(zeros, "zero points")).orElse(null);
        Tensor zeros = weights.zeroPoints().orElse(null);
        int maxCode = (1 << weightType.sizeBits()) - 1;
        Tensor packedScales = device.allocate(owner, ScalarType.FLOAT32, geometry.blocks(), groups, BLOCK);
        Tensor packedZeroScales = device.allocate(owner, ScalarType.FLOAT32, geometry.blocks(), groups, BLOCK);
        MemorySegment scaleTarget = HalfFloats.hostSegment(packedScales, "prepared scales");
        MemorySegment zeroScaleTarget = HalfFloats.hostSegment(packedZeroScales, "prepared zero scales");
        for (int block = 0; block < geometry.blocks(); block++) {
            for (int group = 0; group < groups; group++) {
                long at = ((long) block * groups + group) * BLOCK;
                for (int lane = 0; lane < BLOCK; lane++) {
                    int column = block * BLOCK + lane;
                    if (column >= n) {
                        // Padding columns hold +0 in both, never -0.
                        scaleTarget.setAtIndex(HalfFloats.INT, at + lane, 0);
                        zeroScaleTarget.setAtIndex(HalfFloats.INT, at + lane, 0);
                        continue;
                    }
                    float scale = HalfFloats.read(scaleSource, scales.dtype(), group * scales.stride(0) + column * scales.stride(1));
                    int zero = weightType.bias();
                    if (zeroSource != null) {
                        zero = Byte.toUnsignedInt(zeroSource.get(ValueLayout.JAVA_BYTE, group * zeros.stride(0) + column * zeros.stride(1)));
                        if (zero > maxCode) {
                            throw new IllegalArgumentException("zero point " + zero + " of group " + group + ", column " + column
                                    + " is outside [0, " + maxCode + "] of " + weightType);
                        }
                    }
                    scaleTarget.setAtIndex(HalfFloats.FLOAT, at + lane, scale);
                    zeroScaleTarget.setAtIndex(HalfFloats.FLOAT, at + lane, (float) -zero * scale);
                }
            }
        }
        tensors.put("scales", packedScales);
        tensors.put("zero_scales", packedZeroScales);
    }

    private static Tensor intTensor(int[] values, Device device, Object owner) {
        Tensor tensor = device.allocate(owner, ScalarType.INT32, values.length);
        MemorySegment.copy(values, 0, HalfFloats.hostSegment(tensor, "prepared indices"), HalfFloats.INT, 0, values.length);
        return tensor;
    }

    private static int[] readInts(Tensor tensor, int count, String what) {
        requireThat(tensor.dtype().equals(ScalarType.INT32), "dtype of the " + what, "int32", tensor.dtype().name());
        requireThat(tensor.elementCount() == count, "size of the " + what, String.valueOf(count), String.valueOf(tensor.elementCount()));
        MemorySegment segment = HalfFloats.hostSegment(tensor, what);
        long stride = tensor.rank() == 0 ? 1 : tensor.stride(tensor.rank() - 1);
        int[] values = new int[count];
        for (int i = 0; i < count; i++) {
            values[i] = segment.getAtIndex(HalfFloats.INT, i * stride);
        }
        return values;
    }

    private static void requireShape(Tensor tensor, String what, long rows, long columns) {
        requireThat(tensor.rank() == 2 && tensor.size(0) == rows && tensor.size(1) == columns, "shape of the " + what,
                "[" + rows + ", " + columns + "]", shape(tensor));
    }

    private static String shape(Tensor tensor) {
        StringBuilder text = new StringBuilder("[");
        for (int dimension = 0; dimension < tensor.rank(); dimension++) {
            text.append(dimension == 0 ? "" : ", ").append(tensor.size(dimension));
        }
        return text.append(']').toString();
    }

    static void requireThat(boolean condition, String what, String expected, String actual) {
        if (!condition) {
            throw new IllegalArgumentException(what + " must be " + expected + ", got " + actual);
        }
    }
}
