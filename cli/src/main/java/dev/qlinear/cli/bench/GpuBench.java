package dev.qlinear.cli.bench;

import dev.qlinear.cli.Text;

import dev.qlinear.core.Qlinear;
import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaStream;
import dev.qlinear.core.cuda.CudaTensor;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.select.CandidateVerdict;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.spi.config.LayerKind;
import dev.qlinear.spi.config.LayerShape;
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
 * kernel that can implement it, for every M, and the launch costs at M = 1. Each layer's device memory is freed before
 * the next layer.
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
        int group = settings.groupFor(shape.k());
        if (group != settings.groupSize()) {
            notes.add("group " + settings.groupSize() + " does not divide K=" + shape.k() + ": layer " + shape.layer() + " used group " + group);
        }
        LayerShape full = new LayerShape(shape.k(), shape.n());
        // types without a bias carry zero points, as AWQ checkpoints do
        WeightOnlyConfig config = new WeightOnlyConfig(full, full, settings.weightType(), settings.activationType(), group, !settings.weightType().hasBias(), false,
                settings.activationType());
        List<RegisteredKernel> accepted = candidates(config, shape.layer());
        progress.printf(Locale.ROOT, "bench: [%d/%d] %s, group %d: %s%n", index + 1, count, shape.describe(), group,
                accepted.isEmpty() ? "no kernel can implement it, cuBLAS only" : String.join(", ", accepted.stream().map(RegisteredKernel::id).toList()));
        progress.flush();
        int maxM = Collections.max(settings.ms());
        Object buffers = new Object();
        try (Arena arena = Arena.ofShared(); EventTimer timer = EventTimer.of(device, stream, settings)) {
            DeviceData data = new DeviceData(device, stream);
            CudaTensor x = data.random(buffers, settings.activationType(), SEED + index, maxM, shape.k());
            CudaTensor out = device.allocate(buffers, settings.activationType(), maxM, shape.n());
            cublas(shape, x, out, data, timer, stream);
            Optional<QuantizedWeights> weights = Optional.empty();
            for (RegisteredKernel kernel : accepted) {
                if (weights.isEmpty()) {
                    weights = Optional.of(RandomWeights.of(config, SEED * 31 + index, arena));
                }
                kernel(kernel, config, weights.get(), x, out, timer, launches, stream);
            }
        }
        finally {
            stream.synchronize();
            device.release(buffers);
        }
        progress.printf(Locale.ROOT, "bench: [%d/%d] done in %.1f s%n", index + 1, count, (System.nanoTime() - started) / 1e9);
        progress.flush();
    }

    /** The kernels to measure on the layer; refusals of kernels that run on this device are recorded, the others noted once. */
    private List<RegisteredKernel> candidates(WeightOnlyConfig config, LayerKey layer) {
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

    /** Scaled-mm kernels are installed but this bench times weight-only layers; say so once. */
    private void noteOtherLayerKinds() {
        List<String> others = qlinear.kernels().stream()
                .filter(kernel -> kernel.descriptor().layerKind() != LayerKind.WEIGHT_ONLY)
                .filter(kernel -> kernelFilter.isEmpty() || kernelFilter.contains(kernel.id()))
                .map(RegisteredKernel::id)
                .toList();
        if (!others.isEmpty()) {
            notes.add("not measured, since this bench times weight-only (W4A16) layers: " + String.join(", ", others));
        }
    }

    private static String reasons(CandidateVerdict candidate) {
        return candidate.reasons().isEmpty() ? "accepted" : String.join("; ", candidate.reasons().stream().map(Reason::message).toList());
    }

    private void cublas(BenchShape shape, CudaTensor x, CudaTensor out, DeviceData data, EventTimer timer, CudaStream stream) {
        Optional<DenseGemm> dense = device.denseGemm();
        if (dense.isEmpty()) {
            notes.add("cuBLAS is not available on this device, so there is no fp16 baseline and no speed-up");
            return;
        }
        DenseGemm gemm = dense.get();
        long started = System.nanoTime();
        Object owner = new Object();
        try {
            long bytes = 2L * shape.k() * shape.n();
            int copies = settings.copiesFor(bytes);
            CudaTensor[] weights = new CudaTensor[copies];
            for (int copy = 0; copy < copies; copy++) {
                weights[copy] = data.random(owner, settings.activationType(), SEED ^ (1000L + copy), shape.k(), shape.n());
            }
            CudaTensor firstRow = rows(x, 1);
            CudaTensor firstOutput = rows(out, 1);
            compile(Source.CUBLAS_FP16.key(), call -> gemm.multiply(firstRow, weights[call % copies], firstOutput, stream), stream);
            List<String> times = new ArrayList<>();
            for (int m : settings.ms()) {
                CudaTensor input = rows(x, m);
                CudaTensor output = rows(out, m);
                Timing timing = timer.time(call -> gemm.multiply(input, weights[call % copies], output, stream));
                rows.add(Measurement.baseline(Source.CUBLAS_FP16, shape.n(), shape.k(), m, timing, Traffic.dense16(shape.n(), shape.k(), m)));
                times.add(String.format(Locale.ROOT, "M=%d %.1f µs", m, timing.medianMicros()));
            }
            report(Source.CUBLAS_FP16.key(), copies, bytes, times, started);
        }
        catch (RuntimeException e) {
            notes.add("cuBLAS fp16 failed on " + shape.layer() + ": " + describe(e));
        }
        finally {
            stream.synchronize();
            device.release(owner);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void kernel(RegisteredKernel kernel, WeightOnlyConfig config, QuantizedWeights weights, CudaTensor x, CudaTensor out, EventTimer timer,
            LaunchProbe launches, CudaStream stream) {
        LayerKey layer = new LayerKey(config.n(), config.k());
        long started = System.nanoTime();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(kernel.classLoader());
        List<PreparedLayer> prepared = new ArrayList<>();
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
            CudaTensor firstRow = rows(x, 1);
            CudaTensor firstOutput = rows(out, 1);
            compile(kernel.id(), call -> implementation.apply(layers[call % copies], firstRow, firstOutput, stream), stream);
            List<String> times = new ArrayList<>();
            for (int m : settings.ms()) {
                CudaTensor input = rows(x, m);
                CudaTensor output = rows(out, m);
                try {
                    Timing timing = timer.time(call -> implementation.apply(layers[call % copies], input, output, stream));
                    rows.add(new Measurement(Source.KERNEL, kernel.id(), config.n(), config.k(), m, OptionalInt.of(config.groupSize()), timing,
                            Traffic.weightOnly(config, m)));
                    times.add(String.format(Locale.ROOT, "M=%d %.1f µs", m, timing.medianMicros()));
                }
                catch (RuntimeException e) {
                    refusals.add(new Refusal(kernel.id(), layer, "apply failed at M=" + m + ": " + describe(e)));
                }
            }
            CudaTensor input = rows(x, 1);
            CudaTensor output = rows(out, 1);
            try {
                overheads.add(launches.measure(kernel.id(), layer,
                        (call, on) -> implementation.apply(layers[call % copies], input, output, on), stream));
            }
            catch (RuntimeException e) {
                notes.add("launch overhead of " + kernel.id() + " on " + layer + " could not be measured: " + describe(e));
            }
            report(kernel.id(), copies, bytes, times, started);
        }
        catch (RuntimeException e) {
            refusals.add(new Refusal(kernel.id(), layer, phase + " failed: " + describe(e)));
        }
        finally {
            stream.synchronize();
            prepared.forEach(PreparedLayer::close);
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * Runs a source's call path often enough, once per run, that the JIT has compiled it before anything is timed:
     * interpreted calls can enqueue slower than the device computes, and the first timings would measure the host.
     */
    private void compile(String source, IntConsumer call, CudaStream stream) {
        if (compiled.add(source)) {
            for (int index = 0; index < JIT_WARMUP_CALLS; index++) {
                call.accept(index);
            }
            stream.synchronize();
        }
    }

    private void report(String name, int copies, long bytes, List<String> times, long started) {
        progress.printf(Locale.ROOT, "  %s (%d cop%s of %s): %s [%.1f s]%n", name, copies, copies == 1 ? "y" : "ies", Text.bytes(bytes),
                String.join(", ", times), (System.nanoTime() - started) / 1e9);
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
