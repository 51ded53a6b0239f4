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
 */
final class EventTimer implements AutoCloseable {

    private final CudaStream stream;
    private final int warmupCalls;
    private final int calls;
    private final int runs;
    private final int minSamples;
    private final double budgetMillis;
    private final List<CudaEvent> events = new ArrayList<>();

    /**
     * @param warmupCalls calls before anything is timed
     * @param calls calls per sample
     * @param runs the most samples
     * @param budgetMillis the longest the samples may take together (estimated from one batch); at least
     *        {@link BenchSettings#MIN_SAMPLES} samples are taken whatever it says
     */
    EventTimer(CudaDevice device, CudaStream stream, int warmupCalls, int calls, int runs, double budgetMillis) {
        requireNonNull(device, "device is null");
        this.stream = requireNonNull(stream, "stream is null");
        this.warmupCalls = warmupCalls;
        this.calls = calls;
        this.runs = runs;
        this.minSamples = Math.min(BenchSettings.MIN_SAMPLES, runs);
        this.budgetMillis = budgetMillis;
        for (int i = 0; i <= Math.max(runs, 1); i++) {
            events.add(device.newEvent());
        }
    }

    static EventTimer of(CudaDevice device, CudaStream stream, BenchSettings settings) {
        return new EventTimer(device, stream, settings.warmupCalls(), settings.callsPerSample(), settings.runs(), settings.budgetMillis());
    }

    Timing time(IntConsumer call) {
        int index = 0;
        for (int i = 0; i < warmupCalls; i++) {
            call.accept(index++);
        }
        stream.synchronize();
        CudaEvent start = events.get(0);
        CudaEvent end = events.get(1);
        start.record(stream);
        for (int i = 0; i < calls; i++) {
            call.accept(index++);
        }
        end.record(stream);
        end.synchronize();
        double batchMillis = Math.max(end.elapsedMillisSince(start), 1e-3);
        int samples = (int) Math.max(minSamples, Math.min(runs, Math.floor(budgetMillis / batchMillis)));
        events.get(0).record(stream);
        for (int sample = 0; sample < samples; sample++) {
            for (int i = 0; i < calls; i++) {
                call.accept(index++);
            }
            events.get(sample + 1).record(stream);
        }
        events.get(samples).synchronize();
        double[] microsPerCall = new double[samples];
        for (int sample = 0; sample < samples; sample++) {
            microsPerCall[sample] = 1000.0 * events.get(sample + 1).elapsedMillisSince(events.get(sample)) / calls;
        }
        return Timing.of(microsPerCall, calls);
    }

    @Override
    public void close() {
        events.forEach(CudaEvent::close);
    }
}
