package dev.qlinear.cli.bench;

import dev.qlinear.cli.Text;

import dev.qlinear.core.Qlinear;
import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaStream;
import dev.qlinear.core.cuda.CudaTensor;
import dev.qlinear.core.plugin.PluginCalls;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.select.CandidateVerdict;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.IntConsumer;

import static java.util.Objects.requireNonNull;

/**
 * Runs the measurements of one bench on one CUDA device: the copy bandwidth once, then per layer cuBLAS fp16 and every
 * kernel that can implement its weight-only layer, then every one that can implement its FP8 scaled-mm layer
 * ({@link ScaledMmLayers}, on bf16 activations and outputs of its own), as {@code --kind} asks, for every M, and the
 * launch costs at M = 1. Each layer's device memory is freed before the next layer.
 * <p>
 * A layer's sources are all set up first, then timed at each M alternately, a sample of each in turn
 * ({@link EventTimer#timeAlternately}): large GEMMs draw enough power that the clocks drift by 10 to 15 % over seconds,
 * so sources timed one after the other would be compared at different clocks.
 */
final class GpuBench {

    private static final long SEED = 0x51_1EA2L;
    /** Calls that let the JIT compile a source's call path before its first timing (C2 compiles after about 10,000). */
    private static final int JIT_WARMUP_CALLS = 3000;

    private final CudaDevice device;
    private final Qlinear qlinear;
    private final BenchSettings settings;
    private final Set<String> kernelFilter;
    private final PrintWriter progress;
    private final Platform platform;
    private final List<Measurement> rows = new ArrayList<>();
    private final List<Refusal> refusals = new ArrayList<>();
    private final List<LaunchOverhead> overheads = new ArrayList<>();
    private final Set<String> notes = new LinkedHashSet<>();
    private final Set<String> compiled = new HashSet<>();

    GpuBench(CudaDevice device, Qlinear qlinear, BenchSettings settings, Set<String> kernelFilter, PrintWriter progress) {
        this.device = requireNonNull(device, "device is null");
        this.qlinear = requireNonNull(qlinear, "qlinear is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.kernelFilter = Set.copyOf(requireNonNull(kernelFilter, "kernelFilter is null"));
        this.progress = requireNonNull(progress, "progress is null");
        this.platform = device.platform();
    }

    BenchReport run(BenchHeader header) {
        try (CudaStream stream = device.newStream(); LaunchProbe launches = new LaunchProbe(device)) {
            CopyBandwidth copy = copyBandwidth(stream);
            progress.printf(Locale.ROOT, "bench: device-to-device copy of %s: %.0f GB/s%n", Text.bytes(copy.bytes()), copy.gigabytesPerSecond());
            progress.flush();
            noteOtherLayerKinds();
            List<BenchShape> shapes = settings.shapes();
            for (int i = 0; i < shapes.size(); i++) {
                layer(shapes.get(i), i, shapes.size(), launches, stream);
            }
            return new BenchReport(header, copy, rows, refusals, overheads, List.copyOf(notes));
        }
    }

    /** A copy of at least four L2s, so that it runs from memory; bandwidth counts the read and the write. */
    private CopyBandwidth copyBandwidth(CudaStream stream) {
        long bytes = Math.max(4 * device.info().l2CacheBytes(), 256L << 20);
        Object owner = new Object();
        try {
            long elements = bytes / 2;
            CudaTensor source = device.allocate(owner, settings.activationType(), elements);
            CudaTensor target = device.allocate(owner, settings.activationType(), elements);
            // any non-zero pattern does: copies do not look at values
            device.fill(source, 0x3C00, stream);
            device.fill(target, 0x4000, stream);
            try (EventTimer timer = new EventTimer(device, stream, 3, 1, 30, 200)) {
                return new CopyBandwidth(elements * 2, timer.time(index -> device.copy(source, target, stream)));
            }
        }
        finally {
            stream.synchronize();
            device.release(owner);
        }
    }

    private void layer(BenchShape shape, int index, int count, LaunchProbe launches, CudaStream stream) {
        long started = System.nanoTime();
        LayerKey key = shape.layer();
        List<String> planned = new ArrayList<>();
        Optional<WeightOnlyConfig> weightOnly = Optional.empty();
        List<RegisteredKernel> weightOnlyKernels = List.of();
        if (settings.kinds().includes(LayerKind.WEIGHT_ONLY)) {
            int group = settings.groupFor(shape.k());
            if (group != settings.groupSize()) {
                notes.add("group " + settings.groupSize() + " does not divide K=" + shape.k() + ": layer " + key + " used group " + group);
            }
            LayerShape full = new LayerShape(shape.k(), shape.n());
            // types without a bias carry zero points, as AWQ checkpoints do
            WeightOnlyConfig config = new WeightOnlyConfig(full, full, settings.weightType(), settings.activationType(), group, !settings.weightType().hasBias(),
                    false, settings.activationType());
            weightOnly = Optional.of(config);
            weightOnlyKernels = candidates(config, key);
            planned.add("group " + group + ": " + (weightOnlyKernels.isEmpty() ? "no kernel" : ids(weightOnlyKernels)));
        }
        Optional<ScaledMmConfig> scaledMm = Optional.empty();
        List<RegisteredKernel> scaledMmKernels = List.of();
        if (settings.kinds().includes(LayerKind.SCALED_MM)) {
            ScaledMmConfig config = ScaledMmLayers.ptpc(shape.n(), shape.k());
            scaledMm = Optional.of(config);
            scaledMmKernels = candidates(config, key);
            planned.add("fp8 PTPC: " + (scaledMmKernels.isEmpty() ? "no kernel" : ids(scaledMmKernels)));
        }
        progress.printf(Locale.ROOT, "bench: [%d/%d] %s, %s%s%n", index + 1, count, shape.describe(), String.join("; ", planned),
                weightOnlyKernels.isEmpty() && scaledMmKernels.isEmpty() ? " (cuBLAS only)" : "");
        progress.flush();
        int maxM = Collections.max(settings.ms());
        Object buffers = new Object();
        List<Runnable> releases = new ArrayList<>();
        try (Arena arena = Arena.ofShared(); EventTimer timer = EventTimer.of(device, stream, settings)) {
            DeviceData data = new DeviceData(device, stream);
            CudaTensor x = data.random(buffers, settings.activationType(), SEED + index, maxM, shape.k());
            CudaTensor out = device.allocate(buffers, settings.activationType(), maxM, shape.n());
            List<Tally> tallies = new ArrayList<>();
            cublas(shape, x, out, data, stream, releases).ifPresent(source -> tallies.add(new Tally(source, (m, timing) ->
                    Measurement.baseline(Source.CUBLAS_FP16, shape.n(), shape.k(), m, timing, Traffic.dense16(shape.n(), shape.k(), m)), x, out)));
            if (weightOnly.isPresent()) {
                WeightOnlyConfig config = weightOnly.get();
                Optional<QuantizedWeights> weights = Optional.empty();
                for (RegisteredKernel kernel : weightOnlyKernels) {
                    if (weights.isEmpty()) {
                        weights = Optional.of(RandomWeights.of(config, SEED * 31 + index, arena));
                    }
                    kernel(kernel, config, weights.get(), x, out, stream, releases).ifPresent(source -> tallies.add(new Tally(source, (m, timing) ->
                            new Measurement(Source.KERNEL, source.name(), config.n(), config.k(), m, OptionalInt.of(config.groupSize()), timing,
                                    Traffic.weightOnly(config, m), RowKind.WEIGHT_ONLY), x, out)));
                }
            }
            if (scaledMm.isPresent() && !scaledMmKernels.isEmpty()) {
                ScaledMmConfig config = scaledMm.get();
                // the layer's own input and output types (bf16), the same rows as cuBLAS's where those are bf16 too
                boolean shared = settings.activationType().equals(config.inputType()) && settings.activationType().equals(config.outputType());
                CudaTensor input = shared ? x : data.random(buffers, config.inputType(), SEED + index, maxM, shape.k());
                CudaTensor output = shared ? out : device.allocate(buffers, config.outputType(), maxM, shape.n());
                QuantizedWeights weights = RandomWeights.scaledMm(config, SEED * 37 + index, arena);
                for (RegisteredKernel kernel : scaledMmKernels) {
                    kernel(kernel, config, weights, input, output, stream, releases).ifPresent(source -> tallies.add(new Tally(source, (m, timing) ->
                            Measurement.scaledMm(source.name(), config.n(), config.k(), m, timing, Traffic.scaledMm(config, m)), input, output)));
                }
            }
            for (int m : settings.ms()) {
                timeAt(m, key, tallies, timer, stream);
            }
            for (Tally tally : tallies) {
                rows.addAll(tally.rows());
                report(tally);
            }
            for (Tally tally : tallies) {
                if (tally.source().source() == Source.KERNEL) {
                    probe(tally.source(), key, tally.x(), tally.out(), launches, stream);
                }
            }
        }
        finally {
            stream.synchronize();
            try {
                releaseAll(releases);
            }
            finally {
                device.release(buffers);
            }
        }
        progress.printf(Locale.ROOT, "bench: [%d/%d] done in %.1f s%n", index + 1, count, (System.nanoTime() - started) / 1e9);
        progress.flush();
    }

    private static String ids(List<RegisteredKernel> kernels) {
        return String.join(", ", kernels.stream().map(RegisteredKernel::id).toList());
    }

    /** A timed source's row at one M. */
    @FunctionalInterface
    private interface RowMaker {
        Measurement row(int m, Timing timing);
    }

    /**
     * A source's rows of one layer and its times for the progress line, kept until every M is measured, with how its
     * rows are made and the activation and output it runs on (bf16 for FP8 layers, whatever cuBLAS runs on).
     */
    private record Tally(TimedSource source, RowMaker maker, CudaTensor x, CudaTensor out, List<Measurement> rows, List<String> times) {

        Tally(TimedSource source, RowMaker maker, CudaTensor x, CudaTensor out) {
            this(source, maker, x, out, new ArrayList<>(), new ArrayList<>());
        }
    }

    /**
     * Times the sources at one M, alternately. Each first runs once on its own, so that one failing at this M is told
     * apart, recorded and left out.
     */
    private void timeAt(int m, LayerKey layer, List<Tally> tallies, EventTimer timer, CudaStream stream) {
        List<Tally> running = new ArrayList<>();
        List<IntConsumer> calls = new ArrayList<>();
        for (Tally tally : tallies) {
            IntConsumer call = tally.source().on(rows(tally.x(), m), rows(tally.out(), m), stream);
            try {
                call.accept(0);
                stream.synchronize();
                running.add(tally);
                calls.add(call);
            }
            catch (RuntimeException e) {
                failed(tally.source(), layer, m, e);
            }
        }
        if (running.isEmpty()) {
            return;
        }
        List<Timing> timings;
        try {
            timings = timer.timeAlternately(calls);
        }
        catch (RuntimeException e) {
            // one of them failed after all, and the queued calls do not say which
            notes.add("the timings of " + String.join(", ", running.stream().map(tally -> tally.source().name()).toList()) + " on " + layer + " at M=" + m
                    + " failed: " + describe(e));
            return;
        }
        for (int i = 0; i < running.size(); i++) {
            Tally tally = running.get(i);
            Timing timing = timings.get(i);
            tally.rows().add(tally.maker().row(m, timing));
            tally.times().add(String.format(Locale.ROOT, "M=%d %.1f µs", m, timing.medianMicros()));
        }
    }

    private void failed(TimedSource source, LayerKey layer, int m, RuntimeException e) {
        if (source.source() == Source.KERNEL) {
            refusals.add(new Refusal(source.name(), layer, "apply failed at M=" + m + ": " + describe(e)));
        }
        else {
            notes.add("cuBLAS fp16 failed on " + layer + ": " + describe(e));
        }
    }

    /** The kernels to measure on the layer; refusals of kernels that run on this device are recorded, the others noted once. */
    private List<RegisteredKernel> candidates(LayerConfig config, LayerKey layer) {
        List<RegisteredKernel> accepted = new ArrayList<>();
        for (CandidateVerdict candidate : qlinear.explain(config, platform, SelectionPolicy.defaults()).candidates()) {
            RegisteredKernel kernel = candidate.kernel();
            if (!kernelFilter.isEmpty() && !kernelFilter.contains(kernel.id())) {
                continue;
            }
            Optional<String> elsewhere = notHere(kernel);
            if (elsewhere.isPresent()) {
                notes.add(kernel.id() + " was not measured: " + elsewhere.get());
            }
            else if (candidate.isAccepted()) {
                accepted.add(kernel);
            }
            else {
                refusals.add(new Refusal(kernel.id(), layer, reasons(candidate)));
            }
        }
        return List.copyOf(accepted);
    }

    /** Why a kernel cannot run on this device whatever the layer, if it cannot. */
    private Optional<String> notHere(RegisteredKernel kernel) {
        if (kernel.descriptor().priorityOn(platform).isEmpty()) {
            return Optional.of("it declares " + String.join(", ", kernel.descriptor().platforms().stream().map(support -> support.requirement().spec()).toList())
                    + ", not " + platform.spec());
        }
        Verdict supports = kernel.supports(platform);
        return supports.isAccepted() ? Optional.empty() : Optional.of("it refuses " + platform.spec() + ": " + supports);
    }

    /** Kernels installed for layers of a kind --kind leaves out; say so once. */
    private void noteOtherLayerKinds() {
        List<String> others = qlinear.kernels().stream()
                .filter(kernel -> !settings.kinds().includes(kernel.descriptor().layerKind()))
                .filter(kernel -> kernelFilter.isEmpty() || kernelFilter.contains(kernel.id()))
                .map(RegisteredKernel::id)
                .toList();
        if (!others.isEmpty()) {
            notes.add("not measured, since --kind " + settings.kinds().key() + " leaves out their layers: " + String.join(", ", others));
        }
    }

    private static String reasons(CandidateVerdict candidate) {
        return candidate.reasons().isEmpty() ? "accepted" : String.join("; ", candidate.reasons().stream().map(Reason::message).toList());
    }

    /** cuBLAS fp16 over copies of random weights, set up for every M of the layer; nothing, with a note, where it cannot run. */
    private Optional<TimedSource> cublas(BenchShape shape, CudaTensor x, CudaTensor out, DeviceData data, CudaStream stream, List<Runnable> releases) {
        Optional<DenseGemm> dense = device.denseGemm();
        if (dense.isEmpty()) {
            notes.add("cuBLAS is not available on this device, so there is no fp16 baseline and no speed-up");
            return Optional.empty();
        }
        DenseGemm gemm = dense.get();
        long started = System.nanoTime();
        Object owner = new Object();
        releases.add(() -> device.release(owner));
        try {
            long bytes = 2L * shape.k() * shape.n();
            int copies = settings.copiesFor(bytes);
            CudaTensor[] weights = new CudaTensor[copies];
            for (int copy = 0; copy < copies; copy++) {
                weights[copy] = data.random(owner, settings.activationType(), SEED ^ (1000L + copy), shape.k(), shape.n());
            }
            TimedSource.Call call = (input, output, index, on) -> gemm.multiply(input, weights[index % copies], output, on);
            compile(Source.CUBLAS_FP16.key(), call, x, out, stream);
            return Optional.of(new TimedSource(Source.CUBLAS_FP16, Source.CUBLAS_FP16.key(), copies, bytes, System.nanoTime() - started, call));
        }
        catch (RuntimeException e) {
            notes.add("cuBLAS fp16 failed on " + shape.layer() + ": " + describe(e));
            return Optional.empty();
        }
    }

    /** A kernel's prepared copies, set up for every M of the layer; nothing, with a refusal, where they cannot be. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Optional<TimedSource> kernel(RegisteredKernel kernel, LayerConfig config, QuantizedWeights weights, CudaTensor x, CudaTensor out,
            CudaStream stream, List<Runnable> releases) {
        LayerKey layer = new LayerKey(config.n(), config.k());
        long started = System.nanoTime();
        ClassLoader loader = kernel.classLoader();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        List<PreparedLayer> prepared = new ArrayList<>();
        releases.add(() -> PluginCalls.withContextLoader(loader, () -> {
            prepared.forEach(PreparedLayer::close);
            return null;
        }));
        LinearKernel implementation = kernel.kernel();
        String phase = "prepare";
        try {
            prepared.add(implementation.prepare(config, weights, device));
            long bytes = Math.max(1, prepared.getFirst().deviceBytes());
            int copies = settings.copiesFor(bytes);
            while (prepared.size() < copies) {
                prepared.add(implementation.prepare(config, weights, device));
            }
            PreparedLayer[] layers = prepared.toArray(PreparedLayer[]::new);
            phase = "apply";
            TimedSource.Call call = inLoader(loader, (input, output, index, on) -> implementation.apply(layers[index % copies], input, output, on));
            compile(kernel.id(), call, x, out, stream);
            return Optional.of(new TimedSource(Source.KERNEL, kernel.id(), copies, bytes, System.nanoTime() - started, call));
        }
        catch (RuntimeException e) {
            refusals.add(new Refusal(kernel.id(), layer, phase + " failed: " + describe(e)));
            return Optional.empty();
        }
        finally {
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * A kernel's call with its plugin's class loader as the thread's context loader, as plugin code expects; set
     * around each call, since the calls of kernels from different plugins alternate. Not through
     * {@link PluginCalls#withContextLoader}: its Supplier would capture the call's arguments, a lambda allocated per
     * timed call.
     */
    private static TimedSource.Call inLoader(ClassLoader loader, TimedSource.Call call) {
        return (input, output, index, stream) -> {
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(loader);
            try {
                call.call(input, output, index, stream);
            }
            finally {
                thread.setContextClassLoader(previous);
            }
        };
    }

    /** The launch costs of a kernel at M = 1; a note where they cannot be measured. */
    private void probe(TimedSource source, LayerKey layer, CudaTensor x, CudaTensor out, LaunchProbe launches, CudaStream stream) {
        try {
            overheads.add(launches.measure(source.name(), layer, source.onAnyStream(rows(x, 1), rows(out, 1)), stream));
        }
        catch (RuntimeException e) {
            notes.add("launch overhead of " + source.name() + " on " + layer + " could not be measured: " + describe(e));
        }
    }

    /** Runs every release, even after one fails; the first failure is thrown, the others suppressed in it. */
    private static void releaseAll(List<Runnable> releases) {
        RuntimeException failure = null;
        for (Runnable release : releases) {
            try {
                release.run();
            }
            catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                }
                else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Runs a source's call path often enough, once per run, that the JIT has compiled it before anything is timed:
     * interpreted calls can enqueue slower than the device computes, and the first timings would measure the host.
     */
    private void compile(String source, TimedSource.Call call, CudaTensor x, CudaTensor out, CudaStream stream) {
        if (compiled.add(source)) {
            CudaTensor firstRow = rows(x, 1);
            CudaTensor firstOutput = rows(out, 1);
            for (int index = 0; index < JIT_WARMUP_CALLS; index++) {
                call.call(firstRow, firstOutput, index, stream);
            }
            stream.synchronize();
        }
    }

    /** A source's progress line: its times at every M, and how long setting it up took (its timings were shared). */
    private void report(Tally tally) {
        TimedSource source = tally.source();
        progress.printf(Locale.ROOT, "  %s (%d cop%s of %s): %s [set-up %.1f s]%n", source.name(), source.copies(), source.copies() == 1 ? "y" : "ies",
                Text.bytes(source.bytes()), String.join(", ", tally.times()), source.setupNanos() / 1e9);
        progress.flush();
    }

    /** The first m rows of a contiguous [rows, columns] tensor. */
    private static CudaTensor rows(CudaTensor tensor, int m) {
        long columns = tensor.size(1);
        return tensor.view(0, new long[] {m, columns}, new long[] {columns, 1});
    }

    private static String describe(RuntimeException e) {
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
}
