package dev.qlinear.cli.bench;

import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaEvent;
import dev.qlinear.core.cuda.CudaStream;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

import static java.util.Objects.requireNonNull;

/**
 * Times queued device work with CUDA events: warm-up calls, one batch to estimate the cost, then samples of
 * {@code calls} back-to-back calls between consecutive events, all queued before the host waits once, so the device
 * never idles between samples. The call receives a running index, to rotate over copies of the weights.
 * <p>
 * Several sources compared with one another are timed alternately, one sample of each per round: under a heavy load a
 * GPU's clocks drift by 10 to 15 % over seconds, and sources timed one after the other would each be measured at
 * different clocks. Spread over the same rounds, they see the same ones.
 */
final class EventTimer implements AutoCloseable {

    private final CudaDevice device;
    private final CudaStream stream;
    private final int warmupCalls;
    private final int calls;
    private final int runs;
    private final int minSamples;
    private final double budgetMillis;
    /** Grown as rounds of more sources need more; one per sample boundary. */
    private final List<CudaEvent> events = new ArrayList<>();

    /**
     * @param warmupCalls calls of each source before anything is timed
     * @param calls calls per sample
     * @param runs the most samples of each source
     * @param budgetMillis the longest one source's samples may take (estimated from one batch; alternating sources
     *        get the rounds their mean batch fits); at least {@link BenchSettings#MIN_SAMPLES} samples are taken
     *        whatever it says
     */
    EventTimer(CudaDevice device, CudaStream stream, int warmupCalls, int calls, int runs, double budgetMillis) {
        this.device = requireNonNull(device, "device is null");
        this.stream = requireNonNull(stream, "stream is null");
        this.warmupCalls = warmupCalls;
        this.calls = calls;
        this.runs = runs;
        this.minSamples = Math.min(BenchSettings.MIN_SAMPLES, runs);
        this.budgetMillis = budgetMillis;
    }

    static EventTimer of(CudaDevice device, CudaStream stream, BenchSettings settings) {
        return new EventTimer(device, stream, settings.warmupCalls(), settings.callsPerSample(), settings.runs(), settings.budgetMillis());
    }

    Timing time(IntConsumer call) {
        return timeAlternately(List.of(call)).getFirst();
    }

    /**
     * Times the sources in rounds, each round one sample of every source in order, and returns their timings in the
     * same order; every source's calls get their own running index. No sources, no timings.
     */
    List<Timing> timeAlternately(List<IntConsumer> sources) {
        requireNonNull(sources, "sources is null");
        int count = sources.size();
        if (count == 0) {
            return List.of();
        }
        int[] index = new int[count];
        for (int source = 0; source < count; source++) {
            for (int i = 0; i < warmupCalls; i++) {
                sources.get(source).accept(index[source]++);
            }
        }
        stream.synchronize();
        double[] batchMillis = new double[count];
        List<CudaEvent> marks = events(count + 1);
        marks.get(0).record(stream);
        for (int source = 0; source < count; source++) {
            batch(sources.get(source), index, source);
            marks.get(source + 1).record(stream);
        }
        marks.get(count).synchronize();
        for (int source = 0; source < count; source++) {
            batchMillis[source] = marks.get(source + 1).elapsedMillisSince(marks.get(source));
        }
        int rounds = rounds(batchMillis, budgetMillis, minSamples, runs);
        marks = events(rounds * count + 1);
        marks.get(0).record(stream);
        for (int round = 0; round < rounds; round++) {
            for (int source = 0; source < count; source++) {
                batch(sources.get(source), index, source);
                marks.get(round * count + source + 1).record(stream);
            }
        }
        marks.get(rounds * count).synchronize();
        List<Timing> timings = new ArrayList<>(count);
        for (int source = 0; source < count; source++) {
            double[] microsPerCall = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                int end = round * count + source + 1;
                microsPerCall[round] = 1000.0 * marks.get(end).elapsedMillisSince(marks.get(end - 1)) / calls;
            }
            timings.add(Timing.of(microsPerCall, calls));
        }
        return List.copyOf(timings);
    }

    /**
     * Rounds of samples: as many as the budget holds at the mean cost of the sources' batches, so that alternating
     * sources take about the samples each would take alone; at least {@code minSamples} and at most {@code runs}. A
     * batch counts at least a microsecond.
     */
    static int rounds(double[] batchMillis, double budgetMillis, int minSamples, int runs) {
        double roundMillis = 0;
        for (double millis : batchMillis) {
            roundMillis += Math.max(millis, 1e-3);
        }
        return (int) Math.max(minSamples, Math.min(runs, Math.floor(budgetMillis * batchMillis.length / roundMillis)));
    }

    private void batch(IntConsumer call, int[] index, int source) {
        for (int i = 0; i < calls; i++) {
            call.accept(index[source]++);
        }
    }

    /** The first {@code count} events, created as needed. */
    private List<CudaEvent> events(int count) {
        while (events.size() < count) {
            events.add(device.newEvent());
        }
        return events;
    }

    @Override
    public void close() {
        events.forEach(CudaEvent::close);
    }
}
