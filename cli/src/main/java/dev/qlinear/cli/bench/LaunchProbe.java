package dev.qlinear.cli.bench;

import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaGraph;
import dev.qlinear.core.cuda.CudaStream;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.IntConsumer;

import static java.util.Objects.requireNonNull;

/**
 * Measures what launching costs one kernel on one layer: the host time of {@code apply} (calls enqueued without
 * waiting for the device) next to that of a bare launch of an empty kernel, and device time per apply of back-to-back
 * direct launches versus a CUDA graph of the same calls, replayed. One probe serves a whole run: the empty kernel is
 * loaded on the first measurement and unloaded on {@link #close()}.
 */
final class LaunchProbe implements AutoCloseable {

    /** Calls enqueued per host measurement. */
    static final int HOST_CALLS = 200;
    private static final int HOST_REPEATS = 5;
    /** Applies captured into the graph, and per direct sample. */
    static final int GRAPH_CALLS = 20;
    private static final int SAMPLES = 20;

    /** One {@code apply} on a stream; the index rotates over the prepared copies. */
    @FunctionalInterface
    interface StreamCall {
        void call(int index, CudaStream stream);
    }

    private final CudaDevice device;
    private BareLaunch bareLaunch;

    LaunchProbe(CudaDevice device) {
        this.device = requireNonNull(device, "device is null");
    }

    LaunchOverhead measure(String kernel, LayerKey layer, StreamCall call, CudaStream stream) {
        HostTimes host = hostMicrosPerCall(call, stream);
        try (CudaStream probe = device.newStream()) {
            double direct;
            // Direct launches first: they also give the new stream its workspace before a capture could need one.
            try (EventTimer timer = new EventTimer(device, probe, GRAPH_CALLS, GRAPH_CALLS, SAMPLES, Double.MAX_VALUE)) {
                direct = timer.time(index -> call.call(index, probe)).medianMicros();
            }
            OptionalDouble graph = OptionalDouble.empty();
            Optional<String> problem = Optional.empty();
            try (CudaGraph captured = device.capture(probe, () -> {
                for (int index = 0; index < GRAPH_CALLS; index++) {
                    call.call(index, probe);
                }
            }); EventTimer timer = new EventTimer(device, probe, 3, 1, SAMPLES, Double.MAX_VALUE)) {
                graph = OptionalDouble.of(timer.time(index -> captured.replay(probe)).medianMicros() / GRAPH_CALLS);
            }
            catch (RuntimeException e) {
                problem = Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            return new LaunchOverhead(kernel, layer, HOST_CALLS, host.apply(), host.launchesPerApply(), OptionalDouble.of(host.bareLaunch()), direct, graph,
                    problem);
        }
    }

    /** Host microseconds per {@code apply} and per bare launch, and the kernels one {@code apply} launched. */
    private record HostTimes(double apply, double bareLaunch, double launchesPerApply) {
    }

    /**
     * The medians over a few repeats of host time per call, each repeat starting from an idle stream, after one
     * untimed repeat; {@code apply} and the bare launch alternate, so that both see the same machine.
     */
    private HostTimes hostMicrosPerCall(StreamCall call, CudaStream stream) {
        double[] apply = new double[HOST_REPEATS];
        double[] bare = new double[HOST_REPEATS];
        long launches = 0;
        if (bareLaunch == null) {
            bareLaunch = new BareLaunch(device);
        }
        for (int repeat = -1; repeat < HOST_REPEATS; repeat++) {
            long before = stream.launches();
            double applyMicros = microsPerCall(index -> call.call(index, stream), stream);
            if (repeat == -1) {
                launches = stream.launches() - before;
            }
            double bareMicros = microsPerCall(index -> bareLaunch.launch(stream), stream);
            if (repeat >= 0) {
                apply[repeat] = applyMicros;
                bare[repeat] = bareMicros;
            }
        }
        return new HostTimes(median(apply), median(bare), (double) launches / HOST_CALLS);
    }

    private static double microsPerCall(IntConsumer call, CudaStream stream) {
        stream.synchronize();
        long start = System.nanoTime();
        for (int index = 0; index < HOST_CALLS; index++) {
            call.accept(index);
        }
        long elapsed = System.nanoTime() - start;
        stream.synchronize();
        return elapsed / 1e3 / HOST_CALLS;
    }

    @Override
    public void close() {
        if (bareLaunch != null) {
            bareLaunch.close();
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
