package dev.qlinear.core.format;

import dev.qlinear.core.weights.QuantizedMatrix;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;

/** Random logical weights for format tests: every code, scale bit pattern and zero point drawn fresh. */
final class RandomMatrices {

    private RandomMatrices() {
    }

    /**
     * @param minZero the smallest zero point to draw (GPTQ v1 cannot store 0)
     */
    static QuantizedMatrix random(Random random, ScalarType type, int k, int n, int groupSize, boolean zeroPoints, boolean actOrder, ScalarType scaleType,
            int minZero) {
        int max = (1 << type.sizeBits()) - 1;
        int groups = groupSize == -1 ? 1 : k / groupSize;
        int[] codes = random.ints((long) k * n, 0, max + 1).toArray();
        int[] scales = new int[groups * n];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = scaleBits(random, scaleType);
        }
        Optional<int[]> zeros = zeroPoints ? Optional.of(random.ints((long) groups * n, minZero, max + 1).toArray()) : Optional.empty();
        Optional<int[]> groupIndex = actOrder ? Optional.of(actOrderIndex(random, k, groupSize)) : Optional.empty();
        return new QuantizedMatrix(type, k, n, groupSize, scaleType, codes, scales, zeros, groupIndex);
    }

    /** A positive finite scale: any exponent from tiny to about 2, any mantissa bits. */
    private static int scaleBits(Random random, ScalarType scaleType) {
        if (scaleType.equals(ScalarType.FLOAT16)) {
            return (random.nextInt(1, 16) << 10) | random.nextInt(1 << 10);
        }
        if (scaleType.equals(ScalarType.BFLOAT16)) {
            return (random.nextInt(100, 128) << 7) | random.nextInt(1 << 7);
        }
        return Float.floatToRawIntBits((float) random.nextDouble(1e-4, 2));
    }

    /** GPTQ act-order: rows in a random order, the j-th block of G of them forms group j. */
    static int[] actOrderIndex(Random random, int k, int groupSize) {
        List<Integer> order = new ArrayList<>();
        for (int row = 0; row < k; row++) {
            order.add(row);
        }
        Collections.shuffle(order, random);
        int[] index = new int[k];
        for (int position = 0; position < k; position++) {
            index[order.get(position)] = groupSize == -1 ? 0 : position / groupSize;
        }
        return index;
    }
}
