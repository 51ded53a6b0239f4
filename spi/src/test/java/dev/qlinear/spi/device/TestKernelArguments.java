package dev.qlinear.spi.device;

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
}
