package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.LaunchConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code CUlaunchConfig} of {@code cuLaunchKernelEx} for a launch that {@linkplain LaunchConfig#overlapsPrevious
 * overlaps the previous work} on its stream: one attribute, programmatic stream serialization. The driver reads the
 * struct during the call, so one per thread serves every launch of that thread and a launch allocates nothing. The
 * layouts are cuda.h's (CUDA 12 and 13, LP64), checked against the header by {@code TestOverlappingLaunch}.
 */
final class OverlappingLaunch {

    static final int CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION = 6;

    /** {@code CUlaunchAttribute}: the id, then the 64-byte value union at offset 8. */
    static final StructLayout ATTRIBUTE = MemoryLayout.structLayout(JAVA_INT.withName("id"), MemoryLayout.paddingLayout(4),
            MemoryLayout.sequenceLayout(64, JAVA_BYTE).withName("value"));

    static final StructLayout CONFIG = MemoryLayout.structLayout(JAVA_INT.withName("gridDimX"), JAVA_INT.withName("gridDimY"),
            JAVA_INT.withName("gridDimZ"), JAVA_INT.withName("blockDimX"), JAVA_INT.withName("blockDimY"), JAVA_INT.withName("blockDimZ"),
            JAVA_INT.withName("sharedMemBytes"), MemoryLayout.paddingLayout(4), JAVA_LONG.withName("hStream"), ADDRESS.withName("attrs"),
            JAVA_INT.withName("numAttrs"), MemoryLayout.paddingLayout(4));

    private static final ThreadLocal<OverlappingLaunch> PER_THREAD = ThreadLocal.withInitial(OverlappingLaunch::new);

    private final MemorySegment config;

    private OverlappingLaunch() {
        // freed with the struct when its thread is gone
        Arena arena = Arena.ofAuto();
        MemorySegment attribute = arena.allocate(ATTRIBUTE);
        attribute.set(JAVA_INT, offset(ATTRIBUTE, "id"), CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION);
        // value.programmaticStreamSerializationAllowed, an int at the start of the union
        attribute.set(JAVA_INT, offset(ATTRIBUTE, "value"), 1);
        config = arena.allocate(CONFIG);
        config.set(ADDRESS, offset(CONFIG, "attrs"), attribute);
        config.set(JAVA_INT, offset(CONFIG, "numAttrs"), 1);
    }

    /** This thread's struct, filled with the launch: the {@code config} pointer to pass to {@code cuLaunchKernelEx}. */
    static MemorySegment fill(LaunchConfig launch, long stream) {
        MemorySegment config = PER_THREAD.get().config;
        config.set(JAVA_INT, offset(CONFIG, "gridDimX"), launch.gridX());
        config.set(JAVA_INT, offset(CONFIG, "gridDimY"), launch.gridY());
        config.set(JAVA_INT, offset(CONFIG, "gridDimZ"), launch.gridZ());
        config.set(JAVA_INT, offset(CONFIG, "blockDimX"), launch.blockX());
        config.set(JAVA_INT, offset(CONFIG, "blockDimY"), launch.blockY());
        config.set(JAVA_INT, offset(CONFIG, "blockDimZ"), launch.blockZ());
        config.set(JAVA_INT, offset(CONFIG, "sharedMemBytes"), launch.dynamicSharedBytes());
        config.set(JAVA_LONG, offset(CONFIG, "hStream"), stream);
        return config;
    }

    static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }
}
