package dev.qlinear.conformance.cases;

import dev.qlinear.conformance.ConformanceSettings;
import dev.qlinear.conformance.Sweep;
import dev.qlinear.conformance.SweepShape;
import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelCapabilities;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * Derives a kernel's cases from its declaration: every declared value of every axis crossed with the sweep's
 * shapes and row counts, with and without bias, contiguous and strided. Values the kernel does not declare are
 * reported once each; combinations that are not layers (a group size that does not divide K, unless the kernel
 * declares a partial last group) are counted; cases
 * above the size cap are dropped and counted; the rest is sampled with the seed so that every value of every axis,
 * and every M with and without bias and stride, appears at least once.
 */
public final class CasePlanner {

    /** The weight types the reference quantizer produces. */
    static final List<ScalarType> RTN_WEIGHT_TYPES = List.of(ScalarType.UINT4B8, ScalarType.UINT4, ScalarType.UINT8B128, ScalarType.UINT8);
    static final List<Integer> GROUP_SIZES = List.of(WeightOnlyConfig.CHANNELWISE, 32, 64, 128);
    static final List<ScalarType> HALF_TYPES = List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16);
    static final List<ScalarType> FP8_TYPES = List.of(ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT8_E4M3FNUZ);
    static final List<GroupShape> WEIGHT_SCALES = List.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR);
    static final List<GroupShape> ACTIVATION_SCALES = List.of(GroupShape.PER_TOKEN, GroupShape.PER_TENSOR);

    private CasePlanner() {
    }

    /** The plan of a kernel that declares no prepared layout. */
    public static KernelPlan plan(KernelDescriptor descriptor, Platform platform, Sweep sweep, ConformanceSettings settings) {
        return plan(descriptor, Optional.empty(), platform, sweep, settings);
    }

    /**
     * The plan of one kernel; {@code platform} is where must-reject layers are asked about when the kernel declares it.
     * A kernel that declares a prepared layout also gets layout cases: every variant packed for its smallest shapes.
     */
    public static KernelPlan plan(KernelDescriptor descriptor, Optional<String> preparedLayout, Platform platform, Sweep sweep, ConformanceSettings settings) {
        requireNonNull(preparedLayout, "preparedLayout is null");
        requireNonNull(descriptor, "descriptor is null");
        requireNonNull(platform, "platform is null");
        requireNonNull(sweep, "sweep is null");
        requireNonNull(settings, "settings is null");
        Axes axes = switch (descriptor.capabilities()) {
            case WeightOnlyCapabilities declared -> weightOnlyAxes(declared);
            case ScaledMmCapabilities declared -> scaledMmAxes(declared);
        };
        List<NotDeclaredCase> notDeclared = new ArrayList<>(axes.notDeclared());
        List<SweepShape> shapes = new ArrayList<>();
        KernelCapabilities capabilities = descriptor.capabilities();
        for (SweepShape shape : sweep.shapes()) {
            List<String> unmet = new ArrayList<>();
            if (shape.k() % capabilities.kAlignment() != 0) {
                unmet.add("K % " + capabilities.kAlignment() + " == 0 (K=" + shape.k() + ")");
            }
            if (shape.n() % capabilities.nAlignment() != 0) {
                unmet.add("N % " + capabilities.nAlignment() + " == 0 (N=" + shape.n() + ")");
            }
            if (unmet.isEmpty()) {
                shapes.add(shape);
            }
            else {
                notDeclared.add(new NotDeclaredCase("not-declared-shape-" + shape.id(), shape.label(), "alignment",
                        "shape " + shape.label() + " is outside the declared alignment: needs " + String.join(" and ", unmet)));
            }
        }

        List<Integer> rows = new ArrayList<>();
        for (int m : sweep.rows()) {
            if (m <= descriptor.maxRows()) {
                rows.add(m);
            }
            else {
                notDeclared.add(new NotDeclaredCase("not-declared-m" + m, "M=" + m, "max rows",
                        "M=" + m + " is above the declared maximum of " + descriptor.maxRows() + " rows per call"));
            }
        }

        List<ComputeCase> all = new ArrayList<>();
        long notApplicable = 0;
        for (Variant variant : axes.variants()) {
            for (SweepShape shape : shapes) {
                if (!applicable(variant, shape, axes.partialLastGroup())) {
                    notApplicable += (long) rows.size() * axes.biases().size() * 2;
                    continue;
                }
                for (int m : rows) {
                    for (boolean bias : axes.biases()) {
                        for (boolean strided : List.of(false, true)) {
                            all.add(computeCase(variant, shape, m, bias, strided));
                        }
                    }
                }
            }
        }
        List<MustRejectCase> mustReject = MustRejects.plan(descriptor, platform);
        List<LayoutCase> layouts = preparedLayout.map(layout -> layoutCases(layout, axes, shapes)).orElse(List.of());

        if (settings.caseFilter().isPresent()) {
            String kernelId = descriptor.id();
            List<PlannedCase> chosen = new ArrayList<>();
            notDeclared.stream().filter(entry -> settings.selects(kernelId, entry.id())).forEach(chosen::add);
            List<ComputeCase> compute = all.stream().filter(entry -> settings.selects(kernelId, entry.id())).toList();
            List<MustRejectCase> rejects = mustReject.stream().filter(entry -> settings.selects(kernelId, entry.id())).toList();
            chosen.addAll(compute);
            layouts.stream().filter(entry -> settings.selects(kernelId, entry.id())).forEach(chosen::add);
            chosen.addAll(rejects);
            return new KernelPlan(kernelId, chosen, new PlanStats(all.size(), notApplicable, 0, 0, compute.size(),
                    (int) chosen.stream().filter(LayoutCase.class::isInstance).count(), rejects.size(),
                    (int) chosen.stream().filter(NotDeclaredCase.class::isInstance).count(), settings.maxMacs(), true));
        }

        List<ComputeCase> underCap = all.stream().filter(entry -> entry.macs() <= settings.maxMacs()).toList();
        long dropped = all.size() - underCap.size();
        List<ComputeCase> sampled = sample(underCap, settings.maxCases(), new Random(settings.seed() ^ Hashing.fnv64(descriptor.id())));
        List<PlannedCase> cases = new ArrayList<>(notDeclared);
        cases.addAll(sampled);
        cases.addAll(layouts);
        cases.addAll(mustReject);
        return new KernelPlan(descriptor.id(), cases, new PlanStats(all.size(), notApplicable, dropped, underCap.size() - sampled.size(), sampled.size(),
                layouts.size(), mustReject.size(), notDeclared.size(), settings.maxMacs(), false));
    }

    /** @param partialLastGroup whether the kernel declares group sizes that do not divide K (a last, shorter group) */
    private record Axes(List<Variant> variants, List<Boolean> biases, List<NotDeclaredCase> notDeclared, boolean partialLastGroup) {
    }

    private static Axes weightOnlyAxes(WeightOnlyCapabilities declared) {
        List<NotDeclaredCase> notDeclared = new ArrayList<>();
        List<ScalarType> weightTypes = new ArrayList<>();
        for (ScalarType type : union(RTN_WEIGHT_TYPES, declared.weightTypes())) {
            if (!declared.weightTypes().contains(type)) {
                notDeclared.add(axis("weight-type-" + type.name(), "weight type " + type.name(), "weight type " + type.name() + " is not declared (declared: "
                        + names(declared.weightTypes()) + ")"));
            }
            else if (!RTN_WEIGHT_TYPES.contains(type)) {
                notDeclared.add(axis("weight-type-" + type.name(), "weight type " + type.name(), "weight type " + type.name()
                        + " is declared but the suite's reference quantizer makes only " + names(RTN_WEIGHT_TYPES) + ": untested"));
            }
            else if (!type.hasBias() && !declared.zeroPoints()) {
                notDeclared.add(axis("weight-type-" + type.name(), "weight type " + type.name(), "weight type " + type.name()
                        + " is tested with zero points, which the kernel does not declare"));
            }
            else {
                weightTypes.add(type);
            }
        }
        if (!declared.zeroPoints()) {
            notDeclared.add(axis("zero-points", "zero points", "zero points are not declared"));
        }
        List<Integer> groups = new ArrayList<>();
        for (int group : union(GROUP_SIZES, declared.groupSizes())) {
            if (declared.groupSizes().contains(group)) {
                groups.add(group);
            }
            else {
                notDeclared.add(axis("group-" + (group == -1 ? "channelwise" : group), "group " + (group == -1 ? "channelwise" : group),
                        "group size " + (group == -1 ? "-1 (channelwise)" : group) + " is not declared (declared: "
                                + declared.groupSizes().stream().sorted().toList() + ")"));
            }
        }
        if (!declared.actOrder()) {
            notDeclared.add(axis("act-order", "act-order", "act-order (g_idx) is not declared"));
        }
        List<ScalarType> activationTypes = declaredFloats(HALF_TYPES, declared.activationTypes(), "activation type", notDeclared);
        List<ScalarType[]> inOut = inputOutputPairs(activationTypes, declared.outputTypes(), notDeclared);
        List<Variant> variants = new ArrayList<>();
        for (ScalarType weightType : weightTypes) {
            for (int group : groups) {
                for (boolean actOrder : declared.actOrder() ? List.of(false, true) : List.of(false)) {
                    if (actOrder && group == WeightOnlyConfig.CHANNELWISE) {
                        continue;
                    }
                    for (ScalarType[] pair : inOut) {
                        variants.add(new Variant.WeightOnly(weightType, group, actOrder, pair[0], pair[1]));
                    }
                }
            }
        }
        return new Axes(variants, List.of(false, true), notDeclared, declared.partialLastGroup());
    }

    private static Axes scaledMmAxes(ScaledMmCapabilities declared) {
        List<NotDeclaredCase> notDeclared = new ArrayList<>();
        List<ScalarType> weightTypes = declaredFp8(declared.weightTypes(), "weight type", notDeclared);
        List<ScalarType> activationTypes = declaredFp8(declared.activationTypes(), "activation type", notDeclared);
        List<GroupShape> weightScales = declaredShapes(WEIGHT_SCALES, declared.weightScaleShapes(), "weight scales", notDeclared);
        List<GroupShape> activationScales = declaredShapes(ACTIVATION_SCALES, declared.activationScaleShapes(), "activation scales", notDeclared);
        if (!declared.staticActivationScales()) {
            notDeclared.add(axis("static-scales", "static activation scales", "static activation scales are not declared"));
        }
        if (!declared.dynamicActivationScales()) {
            notDeclared.add(axis("dynamic-scales", "dynamic activation scales", "dynamic activation scales are not declared"));
        }
        if (!declared.bias()) {
            notDeclared.add(axis("bias", "bias", "bias is not declared"));
        }
        List<ScalarType> inputTypes = declaredFloats(HALF_TYPES, declared.inputTypes(), "input type", notDeclared);
        List<ScalarType[]> inOut = inputOutputPairs(inputTypes, declared.outputTypes(), notDeclared);
        List<Variant> variants = new ArrayList<>();
        for (ScalarType weightType : weightTypes) {
            for (ScalarType activationType : activationTypes) {
                for (GroupShape weightScale : weightScales) {
                    for (GroupShape activationScale : activationScales) {
                        for (boolean staticScale : List.of(false, true)) {
                            boolean declaredKind = staticScale ? declared.staticActivationScales() : declared.dynamicActivationScales();
                            // a static scale is one number loaded with the checkpoint: per-tensor only
                            if (!declaredKind || (staticScale && !activationScale.isPerTensor())) {
                                continue;
                            }
                            for (ScalarType[] pair : inOut) {
                                variants.add(new Variant.ScaledMm(weightType, activationType, weightScale, activationScale, staticScale, pair[0], pair[1]));
                            }
                        }
                    }
                }
            }
        }
        return new Axes(variants, declared.bias() ? List.of(false, true) : List.of(false), notDeclared, false);
    }

    private static boolean applicable(Variant variant, SweepShape shape, boolean partialLastGroup) {
        return switch (variant) {
            // a shorter last group exists only where K is not split across ranks
            case Variant.WeightOnly weightOnly -> weightOnly.groupSize() == WeightOnlyConfig.CHANNELWISE || shape.k() % weightOnly.groupSize() == 0
                    || (partialLastGroup && shape.k() == shape.fullK());
            case Variant.ScaledMm ignored -> true;
        };
    }

    /** Whether a case's last group is shorter than the others, so that sampling keeps at least one such case. */
    private static boolean partialGroup(ComputeCase entry) {
        return entry.variant() instanceof Variant.WeightOnly weightOnly && weightOnly.groupSize() != WeightOnlyConfig.CHANNELWISE
                && entry.shape().k() % weightOnly.groupSize() != 0;
    }

    /** Each variant packed for the two smallest shapes it applies to: layouts do not depend on M, bias or strides. */
    private static List<LayoutCase> layoutCases(String layout, Axes axes, List<SweepShape> shapes) {
        List<SweepShape> bySize = shapes.stream().sorted(Comparator.comparingLong(shape -> (long) shape.k() * shape.n())).toList();
        List<LayoutCase> cases = new ArrayList<>();
        for (Variant variant : axes.variants()) {
            bySize.stream().filter(shape -> applicable(variant, shape, axes.partialLastGroup())).limit(2).forEach(shape -> {
                ComputeCase layer = computeCase(variant, shape, 1, false, false);
                cases.add(new LayoutCase("layout-" + shape.id() + "-" + variant.id(), layout, layer));
            });
        }
        return cases;
    }

    private static ComputeCase computeCase(Variant variant, SweepShape shape, int m, boolean bias, boolean strided) {
        String id = "m" + m + "-" + shape.id() + "-" + variant.id() + (bias ? "-bias" : "") + (strided ? "-strided" : "");
        return switch (variant) {
            case Variant.WeightOnly weightOnly -> new ComputeCase(id, variant, weightOnly.config(shape), shape, m, bias, strided);
            case Variant.ScaledMm scaledMm -> new ComputeCase(id, variant, scaledMm.config(shape, bias), shape, m, bias, strided);
        };
    }

    /**
     * The covering cases first, chosen greedily (each pick covers the most values not yet covered, ties broken by
     * the seeded order), then seeded picks up to {@code maxCases}; returned in plan order.
     */
    static List<ComputeCase> sample(List<ComputeCase> candidates, int maxCases, Random random) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, random);
        List<Set<String>> targets = candidates.stream().map(CasePlanner::targets).toList();
        Set<String> uncovered = new HashSet<>();
        targets.forEach(uncovered::addAll);
        Set<Integer> chosen = new LinkedHashSet<>();
        while (!uncovered.isEmpty()) {
            int best = -1;
            int bestGain = 0;
            for (int index : order) {
                if (chosen.contains(index)) {
                    continue;
                }
                int gain = 0;
                for (String target : targets.get(index)) {
                    if (uncovered.contains(target)) {
                        gain++;
                    }
                }
                if (gain > bestGain) {
                    best = index;
                    bestGain = gain;
                }
            }
            chosen.add(best);
            uncovered.removeAll(targets.get(best));
        }
        for (int index : order) {
            if (chosen.size() >= maxCases) {
                break;
            }
            chosen.add(index);
        }
        return chosen.stream().sorted().map(candidates::get).toList();
    }

    private static Set<String> targets(ComputeCase entry) {
        return Set.of("variant:" + entry.variant().id(), "shape:" + entry.shape().id(), "m:" + entry.m(), "bias:" + entry.bias(),
                "strided:" + entry.strided(), "m-strided:" + entry.m() + "/" + entry.strided(), "m-bias:" + entry.m() + "/" + entry.bias(),
                "partial-group:" + partialGroup(entry));
    }

    private static NotDeclaredCase axis(String id, String column, String reason) {
        return new NotDeclaredCase("not-declared-" + id.replace(' ', '-').replace('_', '-'), "declaration", column, reason);
    }

    private static List<ScalarType> declaredFloats(List<ScalarType> universe, Set<ScalarType> declared, String what, List<NotDeclaredCase> notDeclared) {
        List<ScalarType> result = new ArrayList<>();
        for (ScalarType type : union(universe, declared)) {
            String name = Types.shortName(type);
            if (!declared.contains(type)) {
                notDeclared.add(axis(what + "-" + name, what + " " + name, what + " " + name + " is not declared (declared: " + names(declared) + ")"));
            }
            else if (!type.isFloatingPoint() || type.sizeBits() < 16) {
                notDeclared.add(axis(what + "-" + name, what + " " + name, what + " " + name + " is declared but the suite makes 16- and 32-bit float inputs only: untested"));
            }
            else {
                result.add(type);
            }
        }
        return result;
    }

    private static List<ScalarType> declaredFp8(Set<ScalarType> declared, String what, List<NotDeclaredCase> notDeclared) {
        List<ScalarType> result = new ArrayList<>();
        for (ScalarType type : union(FP8_TYPES, declared)) {
            String name = Types.shortName(type);
            if (!declared.contains(type)) {
                notDeclared.add(axis(what + "-" + name, what + " " + name, what + " " + name + " is not declared (declared: " + names(declared) + ")"));
            }
            else if (!FP8_TYPES.contains(type)) {
                notDeclared.add(axis(what + "-" + name, what + " " + name, what + " " + name + " is declared but the suite's FP8 reference covers "
                        + names(FP8_TYPES) + " only: untested"));
            }
            else {
                result.add(type);
            }
        }
        return result;
    }

    private static List<GroupShape> declaredShapes(List<GroupShape> universe, Set<GroupShape> declared, String what, List<NotDeclaredCase> notDeclared) {
        List<GroupShape> result = new ArrayList<>();
        Set<GroupShape> all = new LinkedHashSet<>(universe);
        declared.stream().sorted(Comparator.comparing(GroupShape::toString)).forEach(all::add);
        for (GroupShape shape : all) {
            if (!declared.contains(shape)) {
                notDeclared.add(axis(what + "-" + shape, what + " " + shape, what + " " + shape + " are not declared (declared: " + shapes(declared) + ")"));
            }
            else if (!universe.contains(shape)) {
                notDeclared.add(axis(what + "-" + shape, what + " " + shape, what + " " + shape
                        + " are declared but the suite's FP8 reference covers " + shapes(universe) + " only: untested"));
            }
            else {
                result.add(shape);
            }
        }
        return result;
    }

    /** Each input type with itself as output when declared; each declared output no input reaches goes with the first input. */
    private static List<ScalarType[]> inputOutputPairs(List<ScalarType> inputs, Set<ScalarType> outputs, List<NotDeclaredCase> notDeclared) {
        List<ScalarType[]> pairs = new ArrayList<>();
        Set<ScalarType> reached = new HashSet<>();
        List<ScalarType> sortedOutputs = outputs.stream().filter(ScalarType::isFloatingPoint).filter(type -> type.sizeBits() >= 16)
                .sorted(Comparator.comparing(ScalarType::name)).toList();
        for (ScalarType input : inputs) {
            ScalarType output = outputs.contains(input) ? input : sortedOutputs.isEmpty() ? null : sortedOutputs.getFirst();
            if (output != null) {
                pairs.add(new ScalarType[] {input, output});
                reached.add(output);
            }
        }
        for (ScalarType output : sortedOutputs) {
            if (!reached.contains(output) && !inputs.isEmpty()) {
                pairs.add(new ScalarType[] {inputs.getFirst(), output});
            }
        }
        for (ScalarType output : outputs) {
            if (!sortedOutputs.contains(output)) {
                notDeclared.add(axis("output-type-" + Types.shortName(output), "output type " + Types.shortName(output), "output type " + output.name()
                        + " is declared but the suite compares 16- and 32-bit float outputs only: untested"));
            }
        }
        return pairs;
    }

    private static <T> List<T> union(List<T> universe, Collection<T> declared) {
        Set<T> all = new LinkedHashSet<>(universe);
        declared.stream().sorted(Comparator.comparing(Object::toString)).forEach(all::add);
        return List.copyOf(all);
    }

    static String names(Collection<ScalarType> types) {
        return String.join(", ", types.stream().map(ScalarType::name).collect(Collectors.toCollection(TreeSet::new)));
    }

    static String shapes(Collection<GroupShape> shapes) {
        return String.join(", ", shapes.stream().map(GroupShape::toString).collect(Collectors.toCollection(TreeSet::new)));
    }
}
