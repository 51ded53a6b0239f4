package dev.qlinear.spi.device;

import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

final class TestTensor {

    /** A tensor that is only its shape and strides, to exercise the interface's default methods. */
    private record ShapeOnly(long[] sizes, long[] strides) implements Tensor {
        @Override
        public ScalarType dtype() {
            return ScalarType.FLOAT16;
        }

        @Override
        public int rank() {
            return sizes.length;
        }

        @Override
        public long size(int dimension) {
            return sizes[dimension];
        }

        @Override
        public long stride(int dimension) {
            return strides[dimension];
        }

        @Override
        public MemoryKind memory() {
            return MemoryKind.DEVICE;
        }

        @Override
        public long address() {
            return 0;
        }

        @Override
        public Optional<MemorySegment> hostSegment() {
            return Optional.empty();
        }
    }

    @Test
    void elementCountIsTheProductOfSizes() {
        assertThat(new ShapeOnly(new long[] {4, 3, 2}, new long[] {6, 2, 1}).elementCount()).isEqualTo(24);
        assertThat(new ShapeOnly(new long[] {}, new long[] {}).elementCount()).isEqualTo(1);
        assertThat(new ShapeOnly(new long[] {4, 0}, new long[] {1, 1}).elementCount()).isZero();
    }

    @Test
    void shapeIsEverySizeInAFreshArray() {
        Tensor tensor = new ShapeOnly(new long[] {4, 3, 2}, new long[] {6, 2, 1});
        long[] shape = tensor.shape();
        assertThat(shape).containsExactly(4, 3, 2);
        shape[0] = 9;
        assertThat(tensor.shape()).containsExactly(4, 3, 2);
    }

    @Test
    void rowMajorIsContiguous() {
        assertThat(new ShapeOnly(new long[] {4, 3, 2}, new long[] {6, 2, 1}).isContiguous()).isTrue();
        assertThat(new ShapeOnly(new long[] {}, new long[] {}).isContiguous()).isTrue();
    }

    @Test
    void transposedOrPaddedIsNotContiguous() {
        assertThat(new ShapeOnly(new long[] {3, 2}, new long[] {1, 3}).isContiguous()).isFalse();
        assertThat(new ShapeOnly(new long[] {3, 2}, new long[] {4, 1}).isContiguous()).isFalse();
    }

    @Test
    void strideOfASizeOneDimensionDoesNotMatter() {
        assertThat(new ShapeOnly(new long[] {1, 5}, new long[] {999, 1}).isContiguous()).isTrue();
        assertThat(new ShapeOnly(new long[] {5, 1}, new long[] {1, 7}).isContiguous()).isTrue();
    }
}
