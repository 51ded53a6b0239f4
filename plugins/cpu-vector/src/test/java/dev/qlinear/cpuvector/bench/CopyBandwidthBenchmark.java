package dev.qlinear.cpuvector.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The memory-bandwidth baseline: copying 1 GiB between two off-heap segments, on one thread and split over every
 * processor. Bandwidth = 2 GiB (read + write) / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class CopyBandwidthBenchmark {

    static final long BYTES = 1L << 30;

    private Arena arena;
    private MemorySegment source;
    private MemorySegment target;
    private int threads;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        source = arena.allocate(BYTES, 4096);
        target = arena.allocate(BYTES, 4096);
        // touch every page, so no first-write page faults are timed
        source.fill((byte) 1);
        target.fill((byte) 2);
        threads = Runtime.getRuntime().availableProcessors();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment copyOneThread() {
        MemorySegment.copy(source, 0, target, 0, BYTES);
        return target;
    }

    @Benchmark
    public MemorySegment copyAllThreads() {
        long chunk = BYTES / threads;
        IntStream.range(0, threads).parallel().forEach(part -> MemorySegment.copy(source, part * chunk, target, part * chunk, chunk));
        return target;
    }
}
