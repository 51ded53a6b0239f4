package dev.qlinear.cpuvector.bench;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The memory-bandwidth baseline: copying 1 GiB between two off-heap segments, on one thread and split over every
 * processor; bandwidth = 2 GiB (read + write) / time. For context, also reading 1 GiB (summing it with vector loads,
 * the access a weight-streaming kernel makes); bandwidth = 1 GiB / time.
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
    public int readOneThread() {
        return sum(source, 0, BYTES);
    }

    @Benchmark
    public int readAllThreads() {
        long chunk = BYTES / threads;
        return IntStream.range(0, threads).parallel().map(part -> sum(source, part * chunk, (part + 1) * chunk)).sum();
    }

    private static int sum(MemorySegment segment, long from, long to) {
        VectorSpecies<Integer> species = IntVector.SPECIES_PREFERRED;
        long step = species.vectorByteSize();
        IntVector first = IntVector.zero(species);
        IntVector second = IntVector.zero(species);
        for (long at = from; at < to; at += 2 * step) {
            first = first.add(IntVector.fromMemorySegment(species, segment, at, ByteOrder.LITTLE_ENDIAN));
            second = second.add(IntVector.fromMemorySegment(species, segment, at + step, ByteOrder.LITTLE_ENDIAN));
        }
        return first.add(second).reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public MemorySegment copyAllThreads() {
        long chunk = BYTES / threads;
        IntStream.range(0, threads).parallel().forEach(part -> MemorySegment.copy(source, part * chunk, target, part * chunk, chunk));
        return target;
    }
}
