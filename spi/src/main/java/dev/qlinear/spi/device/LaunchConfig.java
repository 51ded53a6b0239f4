package dev.qlinear.spi.device;

/**
 * Grid and block dimensions and dynamic shared memory of a launch.
 *
 * @param gridX blocks along x
 * @param gridY blocks along y
 * @param gridZ blocks along z
 * @param blockX threads along x
 * @param blockY threads along y
 * @param blockZ threads along z
 * @param dynamicSharedBytes dynamic shared memory per block
 * @param overlapsPrevious the kernel may start before the work queued ahead of it on the stream has finished (CUDA's
 *        programmatic dependent launch, sm_90 and later; an ordinary launch elsewhere). Such a kernel waits for that
 *        work ({@code griddepcontrol.wait}) before it touches memory the work writes or reads, and may do what does not
 *        depend on it first, such as prefetching weights; it starts early only where that work lets its dependents
 *        start ({@code griddepcontrol.launch_dependents})
 */
public record LaunchConfig(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int dynamicSharedBytes, boolean overlapsPrevious) {
    public LaunchConfig {
        requirePositive("gridX", gridX);
        requirePositive("gridY", gridY);
        requirePositive("gridZ", gridZ);
        requirePositive("blockX", blockX);
        requirePositive("blockY", blockY);
        requirePositive("blockZ", blockZ);
        if ((long) blockX * blockY * blockZ > 1024) {
            throw new IllegalArgumentException("a block has at most 1024 threads, got " + blockX + "x" + blockY + "x" + blockZ);
        }
        if (dynamicSharedBytes < 0) {
            throw new IllegalArgumentException("dynamicSharedBytes must not be negative, got " + dynamicSharedBytes);
        }
    }

    /** A launch in stream order: it starts when the work queued ahead of it has finished. */
    public LaunchConfig(int gridX, int gridY, int gridZ, int blockX, int blockY, int blockZ, int dynamicSharedBytes) {
        this(gridX, gridY, gridZ, blockX, blockY, blockZ, dynamicSharedBytes, false);
    }

    /** This launch, allowed to start before the work queued ahead of it has finished (see {@link #overlapsPrevious}). */
    public LaunchConfig overlappingPrevious() {
        return new LaunchConfig(gridX, gridY, gridZ, blockX, blockY, blockZ, dynamicSharedBytes, true);
    }

    /** A one-dimensional launch. */
    public static LaunchConfig linear(int blocks, int threadsPerBlock, int dynamicSharedBytes) {
        return new LaunchConfig(blocks, 1, 1, threadsPerBlock, 1, 1, dynamicSharedBytes);
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }
}
