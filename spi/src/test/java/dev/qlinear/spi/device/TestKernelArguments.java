package dev.qlinear.spi.device;

import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestKernelArguments {

    private static KernelArguments gemmArguments() {
        return KernelArguments.of(KernelArguments.Kind.POINTER, KernelArguments.Kind.INT32,
                KernelArguments.Kind.INT64, KernelArguments.Kind.FLOAT32);
    }

    @Test
    void storesEachKindsValue() {
        KernelArguments arguments = gemmArguments()
                .setPointer(0, 0x7f00_0000_1000L)
                .setInt(1, -7)
                .setLong(2, 1L << 40)
                .setFloat(3, 1.5f);
        assertThat(arguments.count()).isEqualTo(4);
        assertThat(arguments.rawValue(0)).isEqualTo(0x7f00_0000_1000L);
        assertThat(arguments.rawValue(1)).isEqualTo(-7L);
        assertThat(arguments.rawValue(2)).isEqualTo(1L << 40);
        assertThat(arguments.rawValue(3)).isEqualTo(0x3FC0_0000L);
    }

    @Test
    void floatIsStoredAsItsRawBitsInTheLowWord() {
        KernelArguments arguments = gemmArguments();
        float nanWithPayload = Float.intBitsToFloat(0x7FC0_1234);
        for (float value : new float[] {-1.0f, -0.0f, Float.MIN_VALUE, Float.NEGATIVE_INFINITY, nanWithPayload}) {
            long raw = arguments.setFloat(3, value).rawValue(3);
            assertThat((int) raw).as("bits of %s", value).isEqualTo(Float.floatToRawIntBits(value));
        }
    }

    @Test
    void settingTheWrongKindIsRefused() {
        assertThatThrownBy(() -> gemmArguments().setInt(0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 0 is declared POINTER, not INT32");
        assertThatThrownBy(() -> gemmArguments().setFloat(1, 1.0f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 1 is declared INT32, not FLOAT32");
        assertThatThrownBy(() -> gemmArguments().setLong(0, 1L))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument 0 is declared POINTER, not INT64");
    }

    @Test
    void refusedSetLeavesTheValueUnchanged() {
        KernelArguments arguments = gemmArguments().setPointer(0, 42L);
        assertThatThrownBy(() -> arguments.setLong(0, 7L)).isInstanceOf(IllegalArgumentException.class);
        assertThat(arguments.rawValue(0)).isEqualTo(42L);
    }

    @Test
    void indexOutsideTheSignatureIsRefused() {
        assertThatThrownBy(() -> gemmArguments().setInt(4, 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void signatureIsACopy() {
        List<KernelArguments.Kind> kinds = new ArrayList<>(List.of(KernelArguments.Kind.POINTER));
        KernelArguments arguments = new KernelArguments(kinds);
        kinds.add(KernelArguments.Kind.INT32);
        assertThat(arguments.signature()).containsExactly(KernelArguments.Kind.POINTER);
        assertThat(arguments.count()).isEqualTo(1);
    }

    @Test
    void kindSizes() {
        assertThat(KernelArguments.Kind.POINTER.bytes()).isEqualTo(8);
        assertThat(KernelArguments.Kind.INT32.bytes()).isEqualTo(4);
        assertThat(KernelArguments.Kind.INT64.bytes()).isEqualTo(8);
        assertThat(KernelArguments.Kind.FLOAT32.bytes()).isEqualTo(4);
    }

    @Test
    void aTensorMapKeepsItsLayoutAndRowsUntilTheHostEncodesIt() {
        TensorMapLayout activations = new TensorMapLayout(ScalarType.FLOAT16, 4096, 64, 256, TensorMapLayout.Swizzle.BYTES_128);
        KernelArguments arguments = KernelArguments.of(KernelArguments.Kind.TENSOR_MAP, KernelArguments.Kind.INT32)
                .setTensorMap(0, activations, 0x7f00_0000_1000L, 300, 8192 + 48).setInt(1, 5);

        assertThat(KernelArguments.Kind.TENSOR_MAP.bytes()).isEqualTo(128);
        assertThat(arguments.tensorMapLayout(0)).isEqualTo(activations);
        assertThat(arguments.rawValue(0)).isEqualTo(0x7f00_0000_1000L);
        assertThat(arguments.tensorMapRows(0)).isEqualTo(300);
        assertThat(arguments.tensorMapRowStride(0)).isEqualTo(8240);
        assertThat(arguments.tensorMapLayout(1)).isNull();
        assertThatThrownBy(() -> arguments.setTensorMap(1, activations, 0, 1, 8192)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("argument 1 is declared INT32, not TENSOR_MAP");
    }

    @Test
    void aTensorMapTmaCannotReadIsRefusedWithTheRule() {
        TensorMapLayout rows = new TensorMapLayout(ScalarType.FLOAT16, 4096, 64, 128, TensorMapLayout.Swizzle.BYTES_128);
        KernelArguments arguments = KernelArguments.of(KernelArguments.Kind.TENSOR_MAP);

        assertThatThrownBy(() -> arguments.setTensorMap(0, rows, 0x1008, 4, 8192)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor map argument 0: the rows' address must be 16-byte aligned, got 0x1008");
        assertThatThrownBy(() -> arguments.setTensorMap(0, rows, 0x1000, 4, 8184)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor map argument 0: the row stride must be a multiple of 16 bytes and at least a row (8192 bytes), got 8184");
        assertThatThrownBy(() -> arguments.setTensorMap(0, rows, 0x1000, 4, 8200)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 16 bytes");
        assertThatThrownBy(() -> arguments.setTensorMap(0, rows, 0x1000, 0, 8192)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor map argument 0: at least one row, got 0");
    }

    @Test
    void aTensorMapLayoutStatesTheLimitItBreaks() {
        assertThat(new TensorMapLayout(ScalarType.BFLOAT16, 8192, 64, 64, TensorMapLayout.Swizzle.BYTES_128).boxBytes()).isEqualTo(8192);
        assertThatThrownBy(() -> new TensorMapLayout(ScalarType.FLOAT16, 4096, 128, 64, TensorMapLayout.Swizzle.BYTES_128))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a box row of 256 bytes does not fit the 128-byte swizzle BYTES_128");
        assertThatThrownBy(() -> new TensorMapLayout(ScalarType.FLOAT16, 4096, 4, 64, TensorMapLayout.Swizzle.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a tensor map's box rows are a multiple of 16 bytes, got 4 float16 = 8 bytes");
        assertThatThrownBy(() -> new TensorMapLayout(ScalarType.FLOAT16, 4096, 64, 512, TensorMapLayout.Swizzle.BYTES_128))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a tensor map's box is 1 to 256 elements each way, got 64 x 512");
        assertThatThrownBy(() -> new TensorMapLayout(ScalarType.UINT4B8, 4096, 64, 64, TensorMapLayout.Swizzle.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a tensor map copies one of");
        assertThatThrownBy(() -> new TensorMapLayout(ScalarType.FLOAT16, 0, 64, 64, TensorMapLayout.Swizzle.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("a tensor map's rows have at least one element, got 0");
    }

    @Test
    void argumentsLayOutAsTheCStructOfTheirTypes() {
        // struct { void* a; int32_t b; int64_t c; float d; int32_t e; void* f; int32_t g; }: 0, 8, 16, 24, 28, 32, 40; 48 bytes
        KernelArguments arguments = KernelArguments.of(KernelArguments.Kind.POINTER, KernelArguments.Kind.INT32, KernelArguments.Kind.INT64,
                KernelArguments.Kind.FLOAT32, KernelArguments.Kind.INT32, KernelArguments.Kind.POINTER, KernelArguments.Kind.INT32);
        List<Long> offsets = new ArrayList<>();
        for (int index = 0; index < arguments.count(); index++) {
            offsets.add(arguments.structOffset(index));
        }
        assertThat(offsets).containsExactly(0L, 8L, 16L, 24L, 28L, 32L, 40L);
        assertThat(arguments.structBytes()).isEqualTo(48);
        assertThat(KernelArguments.of(KernelArguments.Kind.INT32, KernelArguments.Kind.INT32, KernelArguments.Kind.INT32).structBytes()).isEqualTo(12);
    }
}
