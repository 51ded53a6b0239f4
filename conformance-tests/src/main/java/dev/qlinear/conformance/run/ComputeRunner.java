package dev.qlinear.conformance.run;

import dev.qlinear.conformance.CaseKind;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.Check;
import dev.qlinear.conformance.CheckResult;
import dev.qlinear.conformance.CheckStatus;
import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.ErrorSummary;
import dev.qlinear.conformance.Outcome;
import dev.qlinear.conformance.cases.ComputeCase;
import dev.qlinear.conformance.cases.Hashing;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Runs one computed case: asks the kernel, makes the case's weights and activations from its seed, prepares,
 * checks the prepared layout, applies into a poisoned output, and checks what came out: every element written,
 * the reference within tolerance, the same bits on a second call, and rows equal to the same rows computed alone.
 * A failing reference comparison is diagnosed: likely bugs are tested against the output, and otherwise the bad
 * row is recomputed alone and per block of K to find where the error comes from.
 */
public final class ComputeRunner {

    private final RegisteredKernel kernel;
    private final ComputeCase entry;
    private final RunTarget target;
    private final ConformanceSettings settings;
    private final Tolerance tolerance;
    private final Device device;

    private ComputeRunner(RegisteredKernel kernel, ComputeCase entry, RunTarget target, ConformanceSettings settings) {
        this.kernel = kernel;
        this.entry = entry;
        this.target = target;
        this.settings = settings;
        this.tolerance = Tolerance.of(kernel.descriptor().tolerance());
        this.device = target.device().orElseThrow(() -> new IllegalArgumentException("computed cases need a device: " + target.cannotRunHere().orElse("")));
    }

    /** The seed of one case's data: the run's seed mixed with the case's name, so a case reproduces alone. */
    public static long caseSeed(long seed, String kernelId, String caseId) {
        return seed ^ Hashing.fnv64(kernelId + "/" + caseId);
    }

    public static CaseResult run(RegisteredKernel kernel, ComputeCase entry, RunTarget target, ConformanceSettings settings) {
        return new ComputeRunner(kernel, entry, target, settings).run();
    }

    private CaseResult run() {
        long started = System.nanoTime();
        List<CheckResult> checks = new ArrayList<>();
        Optional<ErrorSummary> error = Optional.empty();
        try (Arena arena = Arena.ofShared()) {
            Verdict verdict = canImplement();
            if (!verdict.isAccepted()) {
                return result(Outcome.NOT_DECLARED, List.of(), "declared, but the kernel's canImplement refuses it: " + verdict, Optional.empty(), started);
            }
            error = compute(arena, checks);
        }
        catch (KernelCallException e) {
            checks.add(CheckResult.failed(Check.EXECUTION, e.getMessage()));
        }
        boolean failed = checks.stream().anyMatch(CheckResult::isFailed);
        String message = failed
                ? String.join("; ", checks.stream().filter(CheckResult::isFailed).map(CheckResult::toString).toList())
                : String.join("; ", checks.stream().filter(check -> check.status() != CheckStatus.NOT_APPLICABLE)
                .map(check -> check.check().title()).toList()) + " hold" + error.map(summary -> " (" + summary.describe() + ")").orElse("");
        return result(failed ? Outcome.FAIL : Outcome.PASS, checks, message, error, started);
    }

    private Optional<ErrorSummary> compute(Arena arena, List<CheckResult> checks) throws KernelCallException {
        int m = entry.m();
        int k = entry.k();
        int n = entry.n();
        LayerConfig config = entry.config();
        ScalarType inputType = ReferenceModel.inputType(entry);
        ScalarType outputType = config.outputType();
        RandomData data = new RandomData(caseSeed(settings.seed(), kernel.id(), entry.id()));
        int[] xBits = data.activationBits(inputType, m * k);
        double[] x = RandomData.decode(inputType, xBits);
        ReferenceModel model = ReferenceModel.of(entry, kernel.descriptor().tolerance(), data, x, arena);
        Input input = Input.of(arena, inputType, xBits, m, k, entry.strided(), data);

        PreparedLayer prepared = prepare(config, model.weights());
        try {
            Optional<String> layoutName = KernelCalls.call(kernel, "preparedLayout", () -> kernel.kernel().preparedLayout());
            CheckResult layout = layoutName.isPresent()
                    ? LayoutCheck.check(kernel, layoutName.get(), config, model.weights(), prepared, device, arena)
                    : CheckResult.notApplicable(Check.PREPARED_LAYOUT, "the kernel declares no prepared layout");
            checks.add(layout);

            Outputs first = apply(prepared, input.tensor(), m, n, outputType, arena);
            CheckResult written = writtenCheck(first);
            checks.add(written);

            double[] reference = model.reference(x, m);
            Comparison comparison = tolerance.compare(first, reference);
            if (comparison.passed()) {
                checks.add(CheckResult.passed(Check.REFERENCE, tolerance.criterion() + ": " + comparison.error().describe()));
            }
            else {
                String diagnosis = diagnose(model, input, x, xBits, first, comparison, layout.isFailed(), written.isFailed(), inputType, arena, prepared);
                checks.add(CheckResult.failed(Check.REFERENCE, comparison.message(diagnosis)));
            }

            Outputs second = apply(prepared, input.tensor(), m, n, outputType, arena);
            checks.add(determinismCheck(first, second));
            checks.add(batchCheck(model, prepared, xBits, first, inputType, outputType, arena));
            return Optional.of(comparison.error());
        }
        finally {
            KernelCalls.run(kernel, "close", prepared::close);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Verdict canImplement() throws KernelCallException {
        Platform platform = target.platform();
        return KernelCalls.call(kernel, "canImplement", () -> ((LinearKernel) kernel.kernel()).canImplement(entry.config(), platform));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private PreparedLayer prepare(LayerConfig config, QuantizedWeights weights) throws KernelCallException {
        return KernelCalls.call(kernel, "prepare", () -> ((LinearKernel) kernel.kernel()).prepare(config, weights, device));
    }

    private Outputs apply(PreparedLayer prepared, HostTensor input, int rows, int n, ScalarType outputType, Arena arena) throws KernelCallException {
        HostTensor output = TensorIo.filled(arena, outputType, TensorIo.poisonBits(outputType), rows, n);
        ExecutionStream stream = device.defaultStream();
        try (Staging staging = new Staging(device)) {
            Tensor stagedInput = staging.toDevice(input);
            Tensor stagedOutput = staging.toDevice(output);
            KernelCalls.run(kernel, "apply", () -> {
                kernel.kernel().apply(prepared, stagedInput, stagedOutput, stream);
                stream.synchronize();
            });
            staging.toHost(stagedOutput, output);
        }
        return Outputs.of(outputType, rows, n, TensorIo.bits(output));
    }

    private Outputs applyRow(PreparedLayer prepared, int[] rowBits, ScalarType inputType, ScalarType outputType, Arena arena) throws KernelCallException {
        return apply(prepared, TensorIo.tensor(arena, inputType, rowBits, 1, rowBits.length), 1, entry.n(), outputType, arena);
    }

    private static CheckResult writtenCheck(Outputs output) {
        int poison = TensorIo.poisonBits(output.type());
        boolean[] rows = new boolean[output.rows()];
        boolean[] columns = new boolean[output.columns()];
        int count = 0;
        int first = -1;
        for (int i = 0; i < output.bits().length; i++) {
            if (output.bits()[i] == poison) {
                count++;
                rows[i / output.columns()] = true;
                columns[i % output.columns()] = true;
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (count == 0) {
            return CheckResult.passed(Check.OUTPUT_WRITTEN, "all " + output.bits().length + " outputs written");
        }
        return CheckResult.failed(Check.OUTPUT_WRITTEN, count + " of " + output.bits().length + " outputs were never written (they still hold the poison NaN 0x"
                + Integer.toHexString(poison).toUpperCase(java.util.Locale.ROOT) + "), first at (m=" + first / output.columns() + ", n=" + first % output.columns()
                + "); unwritten rows " + Comparison.ranges(rows) + ", unwritten columns " + Comparison.ranges(columns) + " of N=" + output.columns());
    }

    private static CheckResult determinismCheck(Outputs first, Outputs second) {
        int differ = 0;
        int at = -1;
        for (int i = 0; i < first.bits().length; i++) {
            if (first.bits()[i] != second.bits()[i]) {
                differ++;
                if (at < 0) {
                    at = i;
                }
            }
        }
        if (differ == 0) {
            return CheckResult.passed(Check.DETERMINISM, "a second call with the same input gave the same " + first.bits().length + " output bits");
        }
        return CheckResult.failed(Check.DETERMINISM, "two calls with the same input differ in " + differ + " of " + first.bits().length + " outputs, first at (m="
                + at / first.columns() + ", n=" + at % first.columns() + "): first call " + first.describe(at) + ", second call " + second.describe(at));
    }

    private CheckResult batchCheck(ReferenceModel model, PreparedLayer prepared, int[] xBits, Outputs batch, ScalarType inputType, ScalarType outputType,
            Arena arena) throws KernelCallException {
        int m = entry.m();
        if (m == 1) {
            return CheckResult.notApplicable(Check.BATCH_INVARIANCE, "M=1 is a single row");
        }
        Optional<String> dependence = model.batchDependence();
        if (dependence.isPresent()) {
            return CheckResult.notApplicable(Check.BATCH_INVARIANCE, dependence.get());
        }
        int k = entry.k();
        List<String> problems = new ArrayList<>();
        TreeSet<Integer> rows = new TreeSet<>(List.of(0, m / 2, m - 1));
        for (int row : rows) {
            Outputs alone = applyRow(prepared, Arrays.copyOfRange(xBits, row * k, (row + 1) * k), inputType, outputType, arena);
            Outputs inBatch = batch.row(row);
            Comparison comparison = tolerance.compare(inBatch, alone);
            if (!comparison.passed()) {
                int column = comparison.firstBadColumn();
                problems.add("row m=" + row + " of the M=" + m + " batch differs from the same row computed alone (M=1) in " + comparison.error().badElements()
                        + " of " + entry.n() + " outputs (" + tolerance.criterion() + "), first at n=" + column + ": batch " + inBatch.describe(column)
                        + ", alone " + alone.describe(column));
            }
        }
        if (problems.isEmpty()) {
            return CheckResult.passed(Check.BATCH_INVARIANCE, "rows " + rows + " of the M=" + m + " batch equal the same rows computed alone (" + tolerance.criterion() + ")");
        }
        return CheckResult.failed(Check.BATCH_INVARIANCE, String.join("; ", problems));
    }

    /** What a failing output looks like: a likely bug it matches, or where in K the error comes from. */
    private String diagnose(ReferenceModel model, Input input, double[] x, int[] xBits, Outputs output, Comparison comparison, boolean layoutFailed,
            boolean unwritten, ScalarType inputType, Arena arena, PreparedLayer prepared) throws KernelCallException {
        if (layoutFailed) {
            return "the prepared layout differs from the reference packer (see " + Check.PREPARED_LAYOUT.title() + ")";
        }
        if (unwritten) {
            return "outputs were never written (see " + Check.OUTPUT_WRITTEN.title() + ")";
        }
        int m = entry.m();
        List<String> matches = new ArrayList<>();
        for (ReferenceModel.Hypothesis hypothesis : model.hypotheses()) {
            if (tolerance.compare(output, hypothesis.reference().apply(x, m)).passed()) {
                matches.add(hypothesis.explanation());
            }
        }
        if (input.strided() && m > 1 && tolerance.compare(output, model.reference(input.readAsContiguous(inputType, m, entry.k()), m)).passed()) {
            matches.add("the output matches the reference computed as if the input were contiguous (row stride K=" + entry.k() + " instead of " + input.width()
                    + "): the kernel ignores the input's row stride");
        }
        if (!matches.isEmpty()) {
            return String.join("; ", matches);
        }
        return localize(model, x, xBits, comparison.firstBadRow(), inputType, output.type(), arena, prepared);
    }

    /**
     * Recomputes the first bad row alone, then with only one block of K (a group, or 64 rows) non-zero at a time,
     * and names the blocks whose output is wrong. The probes cost {@code N * K} each, so at most
     * {@code 2 * maxMacs / (N * K)} blocks are probed (4 to 64): the first and last ones, where tile edges are.
     */
    private String localize(ReferenceModel model, double[] x, int[] xBits, int row, ScalarType inputType, ScalarType outputType, Arena arena,
            PreparedLayer prepared) throws KernelCallException {
        int k = entry.k();
        int m = entry.m();
        double[] rowValues = Arrays.copyOfRange(x, row * k, (row + 1) * k);
        int[] rowBits = Arrays.copyOfRange(xBits, row * k, (row + 1) * k);
        Outputs alone = applyRow(prepared, rowBits, inputType, outputType, arena);
        if (tolerance.compare(alone, model.reference(rowValues, 1)).passed()) {
            return "row m=" + row + " computed alone (M=1) matches the reference: the error appears only in a batch of M=" + m;
        }
        List<ReferenceModel.KBlock> blocks = model.blocks();
        if (blocks.isEmpty()) {
            return "row m=" + row + " is wrong when computed alone (M=1) too";
        }
        long perProbe = (long) k * entry.n();
        int budget = (int) Math.max(4, Math.min(64, 2 * settings.maxMacs() / perProbe));
        List<Integer> probed = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            if (blocks.size() <= budget || i < budget / 2 || i >= blocks.size() - budget / 2) {
                probed.add(i);
            }
        }
        List<String> bad = new ArrayList<>();
        List<String> good = new ArrayList<>();
        for (int index : probed) {
            ReferenceModel.KBlock block = blocks.get(index);
            int[] probeBits = new int[k];
            double[] probeValues = new double[k];
            for (int member : block.rows()) {
                probeBits[member] = rowBits[member];
                probeValues[member] = rowValues[member];
            }
            Outputs probe = applyRow(prepared, probeBits, inputType, outputType, arena);
            (tolerance.compare(probe, model.reference(probeValues, 1)).passed() ? good : bad).add(block.label());
        }
        String scope = probed.size() == blocks.size() ? "all " + blocks.size() + " blocks of K" : probed.size() + " of " + blocks.size() + " blocks of K (the first and last)";
        if (bad.isEmpty()) {
            return "row m=" + row + " is wrong when computed alone (M=1), but each of " + scope + " alone is right: the error comes from combining blocks";
        }
        return "with only one block of K non-zero in row m=" + row + " (probed " + scope + "), the output is wrong for " + list(bad)
                + (good.isEmpty() ? "" : " and right for " + list(good));
    }

    private static String list(List<String> labels) {
        return labels.size() <= 8 ? String.join(", ", labels) : String.join(", ", labels.subList(0, 8)) + " and " + (labels.size() - 8) + " more";
    }

    private CaseResult result(Outcome outcome, List<CheckResult> checks, String message, Optional<ErrorSummary> error, long started) {
        return new CaseResult(kernel.id(), kernel.pluginId(), entry.id(), CaseKind.COMPUTE, entry.row(), entry.column(), entry.description(), outcome, checks,
                message, error, settings.reproduction(kernel.id(), entry.id()), (System.nanoTime() - started) / 1_000_000);
    }
}
