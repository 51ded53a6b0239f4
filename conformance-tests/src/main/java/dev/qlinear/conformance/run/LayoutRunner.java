package dev.qlinear.conformance.run;

import dev.qlinear.conformance.CaseKind;
import dev.qlinear.conformance.CaseResult;
import dev.qlinear.conformance.Check;
import dev.qlinear.conformance.CheckResult;
import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.Outcome;
import dev.qlinear.conformance.cases.ComputeCase;
import dev.qlinear.conformance.cases.LayoutCase;
import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;

/**
 * Runs one layout case: packs the case's weights with the kernel's {@code prepare} and compares the tensors with the
 * reference packer. Where this process has the kernel's device it prepares there; otherwise on host memory standing
 * in for it, since a layout is a function of the weights alone. A kernel whose {@code prepare} needs its real device
 * (it throws {@link UnsupportedOperationException} on host memory) cannot run the case here.
 */
public final class LayoutRunner {

    private LayoutRunner() {
    }

    public static CaseResult run(RegisteredKernel kernel, LayoutCase entry, RunTarget target, ConformanceSettings settings) {
        long started = System.nanoTime();
        if (kernel.descriptor().priorityOn(target.platform()).isEmpty()) {
            return result(kernel, entry, settings, Outcome.CANNOT_RUN_HERE, List.of(), target.cannotRunHere().orElse("the kernel does not declare "
                    + target.platform().spec()) + "; name a declared platform with --platform to check its layouts on this machine", started);
        }
        Device device = target.device().orElseGet(() -> new CpuDevice(target.platform()));
        ComputeCase layer = entry.layer();
        try (Arena arena = Arena.ofShared()) {
            Verdict verdict = canImplement(kernel, layer.config(), target);
            if (!verdict.isAccepted()) {
                return result(kernel, entry, settings, Outcome.NOT_DECLARED, List.of(), "declared, but the kernel's canImplement refuses it: " + verdict, started);
            }
            RandomData data = new RandomData(ComputeRunner.caseSeed(settings.seed(), kernel.id(), entry.id()));
            ReferenceModel model = ReferenceModel.of(layer, kernel.descriptor().tolerance(), data, new double[layer.k()], arena);
            PreparedLayer prepared;
            try {
                prepared = prepare(kernel, layer.config(), model.weights(), device);
            }
            catch (KernelCallException e) {
                if (target.device().isEmpty() && e.getCause() instanceof UnsupportedOperationException) {
                    return result(kernel, entry, settings, Outcome.CANNOT_RUN_HERE, List.of(), "prepare needs a " + target.platform().spec()
                            + " device, which this process lacks: " + e.getMessage(), started);
                }
                throw e;
            }
            try {
                CheckResult check = LayoutCheck.check(kernel, entry.layout(), layer.config(), model.weights(), prepared, device, arena);
                return result(kernel, entry, settings, check.isFailed() ? Outcome.FAIL : Outcome.PASS, List.of(check), check.toString()
                        + (target.device().isEmpty() ? " (prepared into host memory standing in for " + target.platform().spec() + ")" : ""), started);
            }
            finally {
                KernelCalls.run(kernel, "close", prepared::close);
            }
        }
        catch (KernelCallException e) {
            CheckResult failed = CheckResult.failed(Check.EXECUTION, e.getMessage());
            return result(kernel, entry, settings, Outcome.FAIL, List.of(failed), failed.toString(), started);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Verdict canImplement(RegisteredKernel kernel, LayerConfig config, RunTarget target) throws KernelCallException {
        return KernelCalls.call(kernel, "canImplement", () -> ((LinearKernel) kernel.kernel()).canImplement(config, target.platform()));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static PreparedLayer prepare(RegisteredKernel kernel, LayerConfig config, QuantizedWeights weights, Device device) throws KernelCallException {
        return KernelCalls.call(kernel, "prepare", () -> ((LinearKernel) kernel.kernel()).prepare(config, weights, device));
    }

    private static CaseResult result(RegisteredKernel kernel, LayoutCase entry, ConformanceSettings settings, Outcome outcome, List<CheckResult> checks,
            String message, long started) {
        return new CaseResult(kernel.id(), kernel.pluginId(), entry.id(), CaseKind.LAYOUT, entry.row(), entry.column(), entry.description(), outcome, checks,
                message, Optional.empty(), settings.reproduction(kernel.id(), entry.id()), (System.nanoTime() - started) / 1_000_000);
    }
}
