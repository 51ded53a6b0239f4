package dev.qlinear.core.select;

import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Chooses the kernel for a layer on a platform under a policy, and explains the choice. Every installed kernel of
 * the layer's kind is a candidate: its declared platforms and capabilities are checked by the engine, then the kernel's own
 * {@code supports} and {@code canImplement}. Decisions are cached per (platform, layer, policy); safe for
 * concurrent use.
 */
public final class KernelSelector {

    private static final Logger log = LoggerFactory.getLogger(KernelSelector.class);

    private final KernelRegistry registry;
    private final ConcurrentMap<SelectionKey, SelectionReport> decisions = new ConcurrentHashMap<>();
    private final Set<String> unknownIdsWarned = ConcurrentHashMap.newKeySet();

    public KernelSelector(KernelRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
    }

    private record SelectionKey(Platform platform, LayerConfig config, SelectionPolicy policy) {
    }

    /** The full report for a layer, whether or not a kernel can run it. */
    public SelectionReport explain(LayerConfig config, Platform platform, SelectionPolicy policy) {
        requireNonNull(config, "config is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(policy, "policy is null");
        return decisions.computeIfAbsent(new SelectionKey(platform, config, policy), this::evaluate);
    }

    /**
     * The kernel to run the layer.
     *
     * @throws ForcedKernelException when a forced kernel is missing or cannot run the layer
     * @throws NoKernelFoundException when no kernel can run the layer
     */
    public RegisteredKernel select(LayerConfig config, Platform platform, SelectionPolicy policy) {
        SelectionReport report = explain(config, platform, policy);
        if (report.selected().isPresent()) {
            return report.selected().get().kernel();
        }
        if (!forcedFor(config, policy).isEmpty()) {
            throw new ForcedKernelException(report);
        }
        throw new NoKernelFoundException(report);
    }

    private SelectionReport evaluate(SelectionKey key) {
        Platform platform = key.platform();
        LayerConfig config = key.config();
        SelectionPolicy policy = key.policy();
        warnAboutUnknownIds(policy);
        Set<String> forced = forcedFor(config, policy);

        List<Evaluated> evaluated = orderedCandidates(config, platform, policy).stream()
                .map(kernel -> evaluate(kernel, platform, config, policy, forced))
                .toList();
        boolean forcedUnusable = forced.size() > 1 || forced.stream().anyMatch(id -> registry.kernel(id).isEmpty());
        Optional<Evaluated> chosen = forcedUnusable ? Optional.empty() : evaluated.stream().filter(candidate -> candidate.reasons().isEmpty()).findFirst();

        List<CandidateVerdict> verdicts = new ArrayList<>();
        for (Evaluated candidate : evaluated) {
            CandidateVerdict.Status status = candidate.reasons().isEmpty()
                    ? (chosen.isPresent() && chosen.get() == candidate ? CandidateVerdict.Status.SELECTED : CandidateVerdict.Status.ACCEPTED)
                    : CandidateVerdict.Status.REFUSED;
            verdicts.add(new CandidateVerdict(candidate.kernel(), candidate.priority(), status, candidate.reasons()));
        }
        Optional<CandidateVerdict> selected = verdicts.stream().filter(verdict -> verdict.status() == CandidateVerdict.Status.SELECTED).findFirst();
        Optional<String> failure = selected.isPresent() ? Optional.empty() : Optional.of(failureMessage(config, platform, forced, verdicts));
        Optional<String> warning = selected.flatMap(kernel -> fallbackWarning(kernel, verdicts, config, platform, policy));
        warning.ifPresent(log::warn);
        return new SelectionReport(platform, config, policy, verdicts, selected, failure, warning);
    }

    private record Evaluated(RegisteredKernel kernel, OptionalInt priority, List<Reason> reasons) {
    }

    private static Evaluated evaluate(RegisteredKernel kernel, Platform platform, LayerConfig config, SelectionPolicy policy, Set<String> forced) {
        List<Reason> policyReasons = new ArrayList<>();
        String disabledBy = policy.disabled().get(kernel.id());
        if (disabledBy != null) {
            policyReasons.add(new Reason("policy", "kernel not disabled", "disabled by " + disabledBy));
        }
        if (!forced.isEmpty() && !forced.contains(kernel.id())) {
            policyReasons.add(new Reason("policy", "the forced kernel", "kernel " + String.join(", ", forced) + " is forced"));
        }

        OptionalInt priority = kernel.descriptor().priorityOn(platform);
        Verdict platformVerdict = priority.isPresent()
                ? kernel.supports(platform)
                : Verdict.refused(new Reason("platform", DeclaredChecks.oneOfSpecs(kernel.descriptor().platforms().stream().map(support -> support.requirement().spec())),
                platform.spec()));
        Verdict declared = DeclaredChecks.check(kernel.descriptor().capabilities(), config);
        Verdict own = platformVerdict.isAccepted() && declared.isAccepted() ? kernel.canImplement(config, platform) : Verdict.accepted();

        List<Reason> reasons = new ArrayList<>(policyReasons);
        reasons.addAll(platformVerdict.and(declared).and(own).reasons());
        return new Evaluated(kernel, priority, reasons);
    }

    /**
     * The kernels of the layer's kind: preferred ones first in the order given, then by declared priority on the
     * platform (undeclared last), then by id.
     */
    private List<RegisteredKernel> orderedCandidates(LayerConfig config, Platform platform, SelectionPolicy policy) {
        Comparator<RegisteredKernel> byPreference = Comparator.comparingInt(kernel -> {
            int index = policy.preferred().indexOf(kernel.id());
            return index < 0 ? Integer.MAX_VALUE : index;
        });
        Comparator<RegisteredKernel> byPriority = Comparator.comparingInt(kernel -> -kernel.descriptor().priorityOn(platform).orElse(-1));
        return registry.kernels().stream()
                .filter(kernel -> kernel.descriptor().layerKind() == config.kind())
                .sorted(byPreference.thenComparing(byPriority).thenComparing(RegisteredKernel::id))
                .toList();
    }

    /** Forced kernels that apply to this layer: those of its kind, and unknown ones (whose kind cannot be known). */
    private Set<String> forcedFor(LayerConfig config, SelectionPolicy policy) {
        return policy.forced().stream()
                .filter(id -> registry.kernel(id).map(kernel -> kernel.descriptor().layerKind() == config.kind()).orElse(true))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private String failureMessage(LayerConfig config, Platform platform, Set<String> forced, List<CandidateVerdict> verdicts) {
        String layer = LayerDescriptions.describe(config) + " on " + platform.spec();
        List<String> missing = forced.stream().filter(id -> registry.kernel(id).isEmpty()).toList();
        if (!missing.isEmpty()) {
            return "forced kernel " + String.join(", ", missing) + " is not installed; installed kernels: "
                    + registry.kernels().stream().map(RegisteredKernel::id).sorted().toList();
        }
        if (forced.size() > 1) {
            return "kernels " + String.join(", ", forced) + " are all forced for " + config.kind() + " layers; force at most one kernel per layer kind";
        }
        if (forced.size() == 1) {
            String id = forced.iterator().next();
            CandidateVerdict verdict = verdicts.stream().filter(candidate -> candidate.kernelId().equals(id)).findFirst().orElseThrow();
            return "forced kernel " + id + " cannot run " + layer + ": "
                    + String.join("; ", verdict.reasons().stream().map(Reason::message).toList());
        }
        if (verdicts.isEmpty()) {
            return "no kernel can run " + layer + ": no " + config.kind() + " kernels are installed";
        }
        StringBuilder message = new StringBuilder("no kernel can run ").append(layer).append("; candidates:");
        for (CandidateVerdict verdict : verdicts) {
            message.append("\n  - ").append(verdict.describe());
        }
        return message.toString();
    }

    private static Optional<String> fallbackWarning(CandidateVerdict selected, List<CandidateVerdict> verdicts, LayerConfig config, Platform platform,
            SelectionPolicy policy) {
        if (policy.preferred().contains(selected.kernelId()) || !policy.forced().isEmpty()) {
            return Optional.empty();
        }
        int chosenPriority = selected.priority().orElse(-1);
        List<CandidateVerdict> better = verdicts.stream()
                .filter(verdict -> verdict.status() == CandidateVerdict.Status.REFUSED)
                .filter(verdict -> verdict.priority().isPresent() && verdict.priority().getAsInt() > chosenPriority)
                .filter(verdict -> !policy.disabled().containsKey(verdict.kernelId()))
                .toList();
        if (better.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("Performance: fallback kernel " + selected.kernelId() + " (priority " + chosenPriority + ") selected for "
                + LayerDescriptions.describe(config) + " on " + platform.spec() + " because higher-priority kernels refused: "
                + String.join(" | ", better.stream().map(verdict -> verdict.describe() + " [priority " + verdict.priority().getAsInt() + "]").toList()));
    }

    /** Kernel ids the policy disables or prefers that are not installed, sorted: most likely typos. */
    public List<String> uninstalledPolicyIds(SelectionPolicy policy) {
        List<String> named = new ArrayList<>(policy.disabled().keySet());
        named.addAll(policy.preferred());
        return named.stream().distinct().filter(id -> registry.kernel(id).isEmpty()).sorted().toList();
    }

    private void warnAboutUnknownIds(SelectionPolicy policy) {
        for (String id : uninstalledPolicyIds(policy)) {
            if (unknownIdsWarned.add(id)) {
                log.warn("Kernel policy names '{}', which is not installed; installed kernels: {}", id,
                        registry.kernels().stream().map(RegisteredKernel::id).sorted().toList());
            }
        }
    }
}
