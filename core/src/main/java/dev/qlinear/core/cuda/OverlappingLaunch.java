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

    // resolved once: a layout path per launch would cost more than the launch's other Java work
    private static final long GRID_X = offset(CONFIG, "gridDimX");
    private static final long GRID_Y = offset(CONFIG, "gridDimY");
    private static final long GRID_Z = offset(CONFIG, "gridDimZ");
    private static final long BLOCK_X = offset(CONFIG, "blockDimX");
    private static final long BLOCK_Y = offset(CONFIG, "blockDimY");
    private static final long BLOCK_Z = offset(CONFIG, "blockDimZ");
    private static final long SHARED_BYTES = offset(CONFIG, "sharedMemBytes");
    private static final long STREAM = offset(CONFIG, "hStream");

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
        config.set(JAVA_INT, GRID_X, launch.gridX());
        config.set(JAVA_INT, GRID_Y, launch.gridY());
        config.set(JAVA_INT, GRID_Z, launch.gridZ());
        config.set(JAVA_INT, BLOCK_X, launch.blockX());
        config.set(JAVA_INT, BLOCK_Y, launch.blockY());
        config.set(JAVA_INT, BLOCK_Z, launch.blockZ());
        config.set(JAVA_INT, SHARED_BYTES, launch.dynamicSharedBytes());
        config.set(JAVA_LONG, STREAM, stream);
        return config;
    }

    static long offset(StructLayout layout, String field) {
        return layout.byteOffset(groupElement(field));
    }
}
