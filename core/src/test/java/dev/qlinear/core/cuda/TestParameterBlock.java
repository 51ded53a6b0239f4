package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelArguments.Kind;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Collections;
import java.util.stream.IntStream;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The kernelParams array a launch passes: one slot per argument, each pointed to, rewritten in place. */
@SuppressWarnings("restricted") // reads the native block through its raw pointers
final class TestParameterBlock {

    @Test
    void eachArgumentIsReachableThroughItsPointerInItsCType() {
        KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.INT32, Kind.FLOAT32, Kind.INT64)
                .setPointer(0, 0x7F12_3456_789AL).setInt(1, -7).setFloat(2, 1.5f).setLong(3, Long.MIN_VALUE + 3);

        MemorySegment pointers = ParameterBlock.fill(arguments, "test").reinterpret(4 * ADDRESS.byteSize());

        assertThat(slot(pointers, 0).get(JAVA_LONG, 0)).isEqualTo(0x7F12_3456_789AL);
        assertThat(slot(pointers, 1).get(JAVA_INT, 0)).isEqualTo(-7);
        assertThat(slot(pointers, 2).get(JAVA_FLOAT, 0)).isEqualTo(1.5f);
        assertThat(slot(pointers, 3).get(JAVA_LONG, 0)).isEqualTo(Long.MIN_VALUE + 3);
    }

    @Test
    void theBlockIsReusedAndGrowsForLongSignatures() {
        KernelArguments two = KernelArguments.of(Kind.INT32, Kind.INT32).setInt(0, 1).setInt(1, 2);
        KernelArguments many = new KernelArguments(Collections.nCopies(40, Kind.INT64));
        IntStream.range(0, 40).forEach(index -> many.setLong(index, 1000L + index));

        long first = ParameterBlock.fill(two, "test").address();
        long again = ParameterBlock.fill(two.setInt(1, 3), "test").address();
        MemorySegment grown = ParameterBlock.fill(many, "test").reinterpret(40 * ADDRESS.byteSize());

        assertThat(again).isEqualTo(first);
        assertThat(IntStream.range(0, 40).mapToLong(index -> slot(grown, index).get(JAVA_LONG, 0)).toArray()).containsExactly(
                IntStream.range(0, 40).mapToLong(index -> 1000L + index).toArray());
    }

    @Test
    void fillingAllocatesNothingOnTheJavaHeap() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.POINTER, Kind.INT32, Kind.FLOAT32);
        long checksum = 0;
        for (int warmUp = 0; warmUp < 20_000; warmUp++) {
            checksum += ParameterBlock.fill(arguments.setInt(2, warmUp), "test").address();
        }

        long before = threads.getCurrentThreadAllocatedBytes();
        for (int call = 0; call < 10_000; call++) {
            checksum += ParameterBlock.fill(arguments.setInt(2, call).setPointer(0, call), "test").address();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        // one object per call would be at least 160,000 bytes
        assertThat(allocated).as("bytes allocated by 10,000 fills (checksum %d)", checksum).isLessThan(10_000);
    }

    @Test
    void slotsHoldATensorMapAtItsAlignment() {
        MemorySegment pointers = ParameterBlock.fill(KernelArguments.of(Kind.INT32, Kind.INT32, Kind.INT32).setInt(0, 1).setInt(1, 2).setInt(2, 3), "test")
                .reinterpret(3 * ADDRESS.byteSize());

        for (int index = 0; index < 3; index++) {
            assertThat(pointers.getAtIndex(ADDRESS, index).address() % TensorMapEncoding.ALIGNMENT).as("slot %d", index).isZero();
        }
        assertThat(pointers.getAtIndex(ADDRESS, 1).address() - pointers.getAtIndex(ADDRESS, 0).address()).isEqualTo(TensorMapEncoding.BYTES);
    }

    @Test
    void aTensorMapNeverSetIsNamedWithItsKernel() {
        KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.TENSOR_MAP).setPointer(0, 16);

        assertThatThrownBy(() -> ParameterBlock.fill(arguments, "module::kernel")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor map argument 1 of module::kernel was never set");
    }

    private static MemorySegment slot(MemorySegment pointers, int index) {
        return pointers.getAtIndex(ADDRESS, index).reinterpret(8);
    }
}
