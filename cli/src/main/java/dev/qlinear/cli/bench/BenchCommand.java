package dev.qlinear.cli.bench;

import dev.qlinear.cli.Converters;
import dev.qlinear.cli.QlinearCli;
import dev.qlinear.core.Qlinear;
import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.cuda.CudaAvailability;
import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaDeviceInfo;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.type.ScalarType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code qlinear bench}: times every kernel that can implement each layer on this CUDA device, weight-only (W4A16) and
 * FP8 scaled-mm (PTPC) layers of each shape as {@code --kind} asks, next to cuBLAS fp16 and a device-to-device copy of
 * the same run, and writes {@code bench.json}, {@code bench.md} and, where the runtime can draw, {@code bench.png}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false, subcommands = ChartCommand.class,
        description = {"Times the installed kernels on this CUDA GPU for W4A16 layers and FP8 PTPC layers (scaled-mm: e4m3fn weights with per-channel "
                + "scales, per-token dynamic activation scales, bf16 in and out) of the same shapes (Llama-3 8B and 70B, awkward shapes) and each M, next to cuBLAS fp16 "
                + "and a device-to-device copy measured in the same run: time, TFLOP/s, achieved bandwidth, %% of the copy's bandwidth, speed-up over cuBLAS "
                + "fp16 and over torch._scaled_mm (with --torch-baselines), host overhead of apply and CUDA graph replay.",
                "Exits 0 when the reports were written, 1 when there is no usable CUDA device, 2 on bad input."},
        footer = {"", "Examples:",
                "  qlinear bench --out bench-out",
                "  qlinear bench --shapes llama3-8b,4096x2112 --m 1,16 --kernel marlin --runs 50",
                "  qlinear bench --kind scaled-mm --shapes llama3-8b --torch-baselines bench-out/torch.json",
                "  qlinear bench --torch-baselines bench-out/torch.json --out bench-out",
                "  qlinear bench chart bench-out/bench.json --metric bandwidth"})
public final class BenchCommand implements Callable<Integer> {

    static final String DEFAULT_MS = "1,16,64,256,1024,4096";
    /** The least weight rotation: above the 50-60 MB L2 of H100 and H200 four times over. */
    static final long MIN_ROTATE_BYTES = 200L << 20;


    @Spec
    private CommandSpec spec;

    @ParentCommand
    private QlinearCli cli;

    @Option(names = "--kernel", paramLabel = "ID", split = ",", description = "Only these kernels (repeatable; default: every kernel that can implement the layer).")
    private List<String> kernels = new ArrayList<>();

    @Option(names = "--kind", paramLabel = "KIND", defaultValue = "all", converter = BenchConverters.Kinds.class,
            description = "Layers to time on every shape: weight-only (W4A16, --weight-type, --group-size, --act-type), scaled-mm (FP8 PTPC, bf16 in and out) "
                    + "or all, weight-only rows first (default: ${DEFAULT-VALUE}).")
    private KindSelection kinds;

    @Option(names = "--shapes", paramLabel = "SHAPE", split = ",", defaultValue = "all",
            description = "Layers: presets llama3-8b, llama3-70b, awkward, all, and NxK items such as 4096x14336 (N outputs, K inputs; default: ${DEFAULT-VALUE}).")
    private List<String> shapes;

    @Option(names = "--m", paramLabel = "M", split = ",", defaultValue = DEFAULT_MS, converter = BenchConverters.Rows.class,
            description = "Activation rows to time for every layer (default: ${DEFAULT-VALUE}).")
    private List<Integer> ms;

    @Option(names = "--group-size", paramLabel = "G", defaultValue = "128",
            description = "Weight group size, -1 for channelwise; a layer whose K it does not divide uses the largest power of two below it that does (default: ${DEFAULT-VALUE}).")
    private int groupSize;

    @Option(names = "--weight-type", paramLabel = "TYPE", defaultValue = "uint4b8", converter = Converters.ScalarTypes.class,
            description = "uint4b8 or uint8b128 (symmetric), uint4 or uint8 (with zero points) (default: ${DEFAULT-VALUE}).")
    private ScalarType weightType;

    @Option(names = "--act-type", paramLabel = "TYPE", defaultValue = "float16", converter = Converters.ScalarTypes.class,
            description = "Activation and output type, float16 or bfloat16 (default: ${DEFAULT-VALUE}).")
    private ScalarType activationType;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "30", description = "The most samples per measurement (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Option(names = "--calls", paramLabel = "N", defaultValue = "10", description = "Calls per sample, timed together (default: ${DEFAULT-VALUE}).")
    private int calls;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "20", description = "Calls before the first sample (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--budget-ms", paramLabel = "MS", defaultValue = "150",
            description = "The longest the samples of one source at one M take (sources alternate, at their mean cost); slow calls get fewer samples, never fewer than 5 (default: ${DEFAULT-VALUE}).")
    private double budgetMillis;

    @Option(names = "--rotate-bytes", paramLabel = "SIZE", converter = BenchConverters.ByteSizes.class,
            description = "Weights rotated per measurement, such as 512MiB (default: 4 times the device's L2, at least 200 MiB).")
    private Long rotateBytes;

    @Option(names = "--device", paramLabel = "ORDINAL", defaultValue = "0", description = "The CUDA device (default: ${DEFAULT-VALUE}).")
    private int ordinal;

    @Option(names = "--torch-baselines", paramLabel = "FILE", description = "Rows measured by bench/torch_baselines.py on this host, merged into the tables.")
    private Path torchBaselines;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "bench-out", description = "Where bench.json, bench.md and bench.png go (default: ${DEFAULT-VALUE}).")
    private Path out;

    @Override
    public Integer call() throws IOException {
        List<BenchShape> layers = layers();
        validate();
        Optional<TorchBaselines> torch = torch();
        createOutputFolder();
        Qlinear qlinear = cli.qlinear();
        Set<String> filter = kernelFilter(qlinear);
        PrintWriter err = spec.commandLine().getErr();
        CudaDeviceInfo info;
        switch (Cuda.availability()) {
            case CudaAvailability.Unavailable unavailable -> {
                err.println("qlinear: bench needs a CUDA GPU, and none can be used here: " + unavailable.reason());
                err.flush();
                return 1;
            }
            case CudaAvailability.Available available -> info = device(available.devices());
        }
        long rotation = rotateBytes != null ? rotateBytes : Math.max(4 * info.l2CacheBytes(), MIN_ROTATE_BYTES);
        BenchSettings settings = new BenchSettings(layers, ms, groupSize, weightType, activationType, runs, calls, warmup, rotation, budgetMillis, kinds);
        BenchReport report;
        try (CudaDevice device = Cuda.open(info.ordinal())) {
            BenchHeader header = new BenchHeader(Instant.now(), summary(info), jdk(), version(), settings);
            report = new GpuBench(device, qlinear, settings, filter, err).run(header);
        }
        if (torch.isPresent()) {
            report = torch.get().mergeInto(report);
        }
        write(report);
        return 0;
    }

    private List<BenchShape> layers() {
        try {
            return ShapeLists.parse(shapes);
        }
        catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--shapes: " + e.getMessage(), e);
        }
    }

    private void validate() {
        List<String> problems = new ArrayList<>();
        if (groupSize != -1 && groupSize < 1) {
            problems.add("--group-size must be -1 (channelwise) or positive, got " + groupSize);
        }
        if (!weightType.isInteger() || weightType.signed() || (weightType.sizeBits() != 4 && weightType.sizeBits() != 8)) {
            problems.add("--weight-type must be uint4b8, uint8b128, uint4 or uint8, got " + weightType.name());
        }
        if (!activationType.equals(ScalarType.FLOAT16) && !activationType.equals(ScalarType.BFLOAT16)) {
            problems.add("--act-type must be float16 or bfloat16, got " + activationType.name());
        }
        if (runs < 1) {
            problems.add("--runs must be at least 1, got " + runs);
        }
        if (calls < 1) {
            problems.add("--calls must be at least 1, got " + calls);
        }
        if (warmup < 0) {
            problems.add("--warmup must not be negative, got " + warmup);
        }
        if (!(budgetMillis > 0)) {
            problems.add("--budget-ms must be positive, got " + budgetMillis);
        }
        if (ordinal < 0) {
            problems.add("--device must not be negative, got " + ordinal);
        }
        if (!problems.isEmpty()) {
            throw new ParameterException(spec.commandLine(), String.join("; ", problems));
        }
    }

    private Optional<TorchBaselines> torch() {
        if (torchBaselines == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(TorchBaselines.read(torchBaselines));
        }
        catch (IOException | IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--torch-baselines " + torchBaselines + ": " + e.getMessage(), e);
        }
    }

    private void createOutputFolder() {
        try {
            Files.createDirectories(out);
        }
        catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "cannot create the output folder " + out + ": " + e.getMessage(), e);
        }
    }

    private CudaDeviceInfo device(List<CudaDeviceInfo> devices) {
        if (ordinal >= devices.size()) {
            throw new ParameterException(spec.commandLine(), "--device " + ordinal + ": this machine has " + devices.size() + " CUDA device"
                    + (devices.size() == 1 ? "" : "s") + ": " + String.join(", ", devices.stream().map(device -> device.ordinal() + " " + device.name()).toList()));
        }
        return devices.get(ordinal);
    }

    private Set<String> kernelFilter(Qlinear qlinear) {
        List<String> installed = qlinear.kernels().stream().map(RegisteredKernel::id).sorted().toList();
        List<String> unknown = kernels.stream().map(String::trim).filter(id -> !installed.contains(id)).toList();
        if (!unknown.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--kernel " + String.join(", ", unknown) + (unknown.size() == 1 ? " is" : " are")
                    + " not installed; installed kernels: " + (installed.isEmpty() ? "none" : String.join(", ", installed)));
        }
        return Set.copyOf(kernels.stream().map(String::trim).toList());
    }

    private void write(BenchReport report) throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        Path json = out.resolve("bench.json");
        Path markdown = out.resolve("bench.md");
        BenchJson.write(report, json);
        Files.writeString(markdown, BenchMarkdown.render(report));
        stdout.println("bench: " + report.rows().size() + " rows, " + report.refusals().size() + " not measured; wrote " + json + " and " + markdown);
        Optional<String> missing = ChartSupport.unavailable();
        if (missing.isPresent()) {
            stdout.println("chart: not drawn here: " + missing.get() + "; " + ChartSupport.howToDraw(json));
        }
        else {
            Path png = out.resolve("bench.png");
            try {
                ChartSupport.draw(report, ChartMetric.SPEEDUP, ChartSupport.DEFAULT_WIDTH, ChartSupport.DEFAULT_HEIGHT, png);
                stdout.println("chart: " + png);
            }
            catch (IllegalArgumentException e) {
                stdout.println("chart: not drawn: " + e.getMessage());
            }
        }
        stdout.flush();
    }

    private static DeviceSummary summary(CudaDeviceInfo info) {
        return new DeviceSummary(info.name(), info.architecture().name(), info.multiprocessors(), info.totalMemoryBytes(), info.l2CacheBytes(),
                info.driverVersionText());
    }

    private static String jdk() {
        return Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")";
    }

    /** The version the qlinear command reports, such as {@code 0.1.0}; {@code dev} when run on its own. */
    private String version() {
        String[] lines = spec.root().version();
        if (lines.length == 0) {
            return "dev";
        }
        return lines[0].startsWith("qlinear ") ? lines[0].substring("qlinear ".length()) : lines[0];
    }
}
