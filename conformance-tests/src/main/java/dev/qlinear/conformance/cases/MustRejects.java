package dev.qlinear.conformance.cases;

import dev.qlinear.spi.config.GroupShape;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.LayerShape;
import dev.qlinear.spi.config.QuantKey;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.PlatformSupport;
import dev.qlinear.spi.kernel.ScaledMmCapabilities;
import dev.qlinear.spi.kernel.WeightOnlyCapabilities;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.PlatformRequirement;
import dev.qlinear.spi.type.ScalarType;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The layers just outside a kernel's declaration: each made from one declared layer by changing one thing (a group
 * size, K or N off the alignment, act-order, zero points, an activation, weight or output type, the platform), so
 * a refusal can only be for that one thing.
 */
public final class MustRejects {

    private static final List<Integer> PROBE_GROUP_SIZES = List.of(16, 48, 96, 256, 32, 64, 128, 512);
    private static final List<ScalarType> FLOAT_TYPES = List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16, ScalarType.FLOAT32);
    private static final List<String> PLATFORMS = List.of("cpu", "cuda:sm_80", "cuda:sm_90", "rocm:gfx942");

    private MustRejects() {
    }

    /** The must-reject cases of a kernel, asked on {@code platform} when the kernel declares it, else on a platform it declares. */
    public static List<MustRejectCase> plan(KernelDescriptor descriptor, Platform platform) {
        Platform declaredPlatform = descriptor.priorityOn(platform).isPresent() ? platform : representative(descriptor.platforms().getFirst());
        List<MustRejectCase> cases = new ArrayList<>();
        LayerConfig base = switch (descriptor.capabilities()) {
            case WeightOnlyCapabilities declared -> weightOnly(declared, declaredPlatform, cases);
            case ScaledMmCapabilities declared -> scaledMm(declared, declaredPlatform, cases);
        };
        for (String spec : PLATFORMS) {
            Platform other = Platform.parse(spec);
            if (descriptor.priorityOn(other).isEmpty()) {
                String declared = String.join(", ", descriptor.platforms().stream().map(support -> support.requirement().spec()).toList());
                cases.add(new MustRejectCase("reject-platform-" + spec.replace(':', '-'), "platform " + other.spec() + " is not declared (declared: " + declared + ")",
                        base, other, true));
            }
        }
        return List.copyOf(cases);
    }

    /** A platform inside a requirement: its lowest CUDA capability, its first gfx target, this machine's ISA when listed. */
    public static Platform representative(PlatformSupport support) {
        return switch (support.requirement()) {
            case PlatformRequirement.Cuda cuda -> Platform.of(new Architecture.Cuda(cuda.minCapability() / 10, cuda.minCapability() % 10));
            case PlatformRequirement.Rocm rocm -> Platform.of(new Architecture.Rocm(new TreeSet<>(rocm.architectures()).first()));
            case PlatformRequirement.Cpu cpu -> cpu.isas().isEmpty() || cpu.isas().contains(Platform.hostIsa())
                    ? Platform.parse("cpu")
                    : Platform.of(new Architecture.Cpu(new TreeSet<>(cpu.isas()).first()));
        };
    }

    private static WeightOnlyConfig weightOnly(WeightOnlyCapabilities declared, Platform platform, List<MustRejectCase> cases) {
        ScalarType weightType = first(List.of(ScalarType.UINT4B8, ScalarType.UINT4, ScalarType.UINT8B128, ScalarType.UINT8), declared.weightTypes());
        boolean zeroPoints = !weightType.hasBias() && declared.zeroPoints();
        ScalarType activation = first(FLOAT_TYPES, declared.activationTypes());
        ScalarType output = declared.outputTypes().contains(activation) ? activation : first(FLOAT_TYPES, declared.outputTypes());
        int group = declared.groupSizes().stream().filter(size -> size > 0).min(Integer::compare).orElse(WeightOnlyConfig.CHANNELWISE);
        int k = atLeast(lcm(lcm(declared.kAlignment(), group > 0 ? group : 1), 64), 256);
        int n = atLeast(lcm(declared.nAlignment(), 64), 256);
        WeightOnlyConfig base = weightOnly(k, n, weightType, activation, group, zeroPoints, false, output);
        String groups = declared.groupSizes().stream().sorted().toList().toString();

        PROBE_GROUP_SIZES.stream().filter(size -> !declared.groupSizes().contains(size)).findFirst().ifPresent(size -> {
            int kForGroup = lcm(k, size);
            cases.add(new MustRejectCase("reject-group-" + size, "group size " + size + " is not declared (declared: " + groups + ")",
                    weightOnly(kForGroup, n, weightType, activation, size, zeroPoints, false, output), platform, false));
        });
        if (!declared.groupSizes().contains(WeightOnlyConfig.CHANNELWISE)) {
            cases.add(new MustRejectCase("reject-group-channelwise", "channelwise (group size -1) is not declared (declared: " + groups + ")",
                    weightOnly(k, n, weightType, activation, WeightOnlyConfig.CHANNELWISE, zeroPoints, false, output), platform, false));
        }
        if (declared.kAlignment() > 1) {
            if (declared.groupSizes().contains(WeightOnlyConfig.CHANNELWISE)) {
                cases.add(kAlignment(declared, k + 1, n, weightType, activation, WeightOnlyConfig.CHANNELWISE, zeroPoints, output, platform));
            }
            else {
                declared.groupSizes().stream().filter(size -> size > 0 && size % declared.kAlignment() != 0).min(Integer::compare)
                        .ifPresent(size -> cases.add(kAlignment(declared, lcm(k, size) + size, n, weightType, activation, size, zeroPoints, output, platform)));
            }
        }
        if (declared.nAlignment() > 1) {
            cases.add(new MustRejectCase("reject-n-unaligned", "N=" + (n + 1) + " is not a multiple of the declared N alignment " + declared.nAlignment(),
                    weightOnly(k, n + 1, weightType, activation, group, zeroPoints, false, output), platform, false));
        }
        if (!declared.actOrder() && group > 0) {
            cases.add(new MustRejectCase("reject-act-order", "act-order (g_idx) is not declared",
                    weightOnly(k, n, weightType, activation, group, zeroPoints, true, output), platform, false));
        }
        if (!declared.zeroPoints()) {
            ScalarType withZeros = weightType.sizeBits() == 8 ? ScalarType.UINT8 : ScalarType.UINT4;
            cases.add(new MustRejectCase("reject-zero-points", "zero points are not declared",
                    weightOnly(k, n, withZeros, activation, group, true, false, output), platform, false));
        }
        for (ScalarType type : FLOAT_TYPES) {
            if (!declared.activationTypes().contains(type)) {
                cases.add(new MustRejectCase("reject-activation-" + Types.shortName(type), "activation type " + type.name() + " is not declared (declared: "
                        + CasePlanner.names(declared.activationTypes()) + ")", weightOnly(k, n, weightType, type, group, zeroPoints, false, output), platform, false));
            }
        }
        for (ScalarType type : CasePlanner.RTN_WEIGHT_TYPES) {
            if (!declared.weightTypes().contains(type)) {
                cases.add(new MustRejectCase("reject-weight-" + type.name(), "weight type " + type.name() + " is not declared (declared: "
                        + CasePlanner.names(declared.weightTypes()) + ")", weightOnly(k, n, type, activation, group, false, false, output), platform, false));
            }
        }
        for (ScalarType type : FLOAT_TYPES) {
            if (!declared.outputTypes().contains(type)) {
                cases.add(new MustRejectCase("reject-output-" + Types.shortName(type), "output type " + type.name() + " is not declared (declared: "
                        + CasePlanner.names(declared.outputTypes()) + ")", weightOnly(k, n, weightType, activation, group, zeroPoints, false, type), platform, false));
            }
        }
        return base;
    }

    private static MustRejectCase kAlignment(WeightOnlyCapabilities declared, int k, int n, ScalarType weightType, ScalarType activation, int group,
            boolean zeroPoints, ScalarType output, Platform platform) {
        return new MustRejectCase("reject-k-unaligned", "K=" + k + " is not a multiple of the declared K alignment " + declared.kAlignment(),
                weightOnly(k, n, weightType, activation, group, zeroPoints, false, output), platform, false);
    }

    private static WeightOnlyConfig weightOnly(int k, int n, ScalarType weightType, ScalarType activation, int group, boolean zeroPoints, boolean actOrder,
            ScalarType output) {
        LayerShape shape = new LayerShape(k, n);
        return new WeightOnlyConfig(shape, shape, weightType, activation, group, zeroPoints, actOrder, output);
    }

    private static ScaledMmConfig scaledMm(ScaledMmCapabilities declared, Platform platform, List<MustRejectCase> cases) {
        ScalarType weightType = first(CasePlanner.FP8_TYPES, declared.weightTypes());
        ScalarType activationType = declared.activationTypes().contains(weightType) ? weightType : first(CasePlanner.FP8_TYPES, declared.activationTypes());
        GroupShape weightScales = firstShape(CasePlanner.WEIGHT_SCALES, declared.weightScaleShapes());
        boolean dynamic = declared.dynamicActivationScales();
        GroupShape activationScales = dynamic ? firstShape(CasePlanner.ACTIVATION_SCALES, declared.activationScaleShapes()) : GroupShape.PER_TENSOR;
        ScalarType input = first(List.of(ScalarType.BFLOAT16, ScalarType.FLOAT16, ScalarType.FLOAT32), declared.inputTypes());
        ScalarType output = declared.outputTypes().contains(input) ? input : first(List.of(ScalarType.BFLOAT16, ScalarType.FLOAT16, ScalarType.FLOAT32), declared.outputTypes());
        int k = atLeast(lcm(declared.kAlignment(), 16), 256);
        int n = atLeast(lcm(declared.nAlignment(), 16), 256);
        ScaledMm base = new ScaledMm(k, n, weightType, activationType, weightScales, activationScales, !dynamic, input, output, false);

        for (ScalarType type : List.of(ScalarType.FLOAT8_E4M3FN, ScalarType.FLOAT8_E4M3FNUZ, ScalarType.FLOAT8_E5M2)) {
            if (!declared.weightTypes().contains(type)) {
                cases.add(reject("reject-weight-" + Types.shortName(type), "weight type " + type.name() + " is not declared (declared: "
                        + CasePlanner.names(declared.weightTypes()) + ")", base.withWeightType(type), platform));
            }
            if (!declared.activationTypes().contains(type)) {
                cases.add(reject("reject-activation-" + Types.shortName(type), "activation type " + type.name() + " is not declared (declared: "
                        + CasePlanner.names(declared.activationTypes()) + ")", base.withActivationType(type), platform));
            }
        }
        for (GroupShape shape : List.of(GroupShape.PER_CHANNEL, GroupShape.PER_TENSOR, new GroupShape(128, 128))) {
            if (!declared.weightScaleShapes().contains(shape)) {
                cases.add(reject("reject-weight-scales-" + shape, "weight scales " + shape + " are not declared (declared: "
                        + CasePlanner.shapes(declared.weightScaleShapes()) + ")", base.withWeightScales(shape), platform));
            }
        }
        for (GroupShape shape : List.of(GroupShape.PER_TOKEN, GroupShape.PER_TENSOR, new GroupShape(1, 128))) {
            if (!declared.activationScaleShapes().contains(shape)) {
                cases.add(reject("reject-activation-scales-" + shape, "activation scales " + shape + " are not declared (declared: "
                        + CasePlanner.shapes(declared.activationScaleShapes()) + ")", base.withActivationScales(shape, base.staticScale()), platform));
            }
        }
        if (!declared.staticActivationScales()) {
            cases.add(reject("reject-static-scales", "static activation scales are not declared", base.withActivationScales(GroupShape.PER_TENSOR, true), platform));
        }
        if (!declared.dynamicActivationScales()) {
            cases.add(reject("reject-dynamic-scales", "dynamic activation scales are not declared", base.withActivationScales(activationScales, false), platform));
        }
        for (ScalarType type : FLOAT_TYPES) {
            if (!declared.inputTypes().contains(type)) {
                cases.add(reject("reject-input-" + Types.shortName(type), "input type " + type.name() + " is not declared (declared: "
                        + CasePlanner.names(declared.inputTypes()) + ")", base.withInput(type), platform));
            }
            if (!declared.outputTypes().contains(type)) {
                cases.add(reject("reject-output-" + Types.shortName(type), "output type " + type.name() + " is not declared (declared: "
                        + CasePlanner.names(declared.outputTypes()) + ")", base.withOutput(type), platform));
            }
        }
        if (!declared.bias()) {
            cases.add(reject("reject-bias", "bias is not declared", base.withBias(), platform));
        }
        if (declared.kAlignment() > 1) {
            cases.add(reject("reject-k-unaligned", "K=" + (k + 1) + " is not a multiple of the declared K alignment " + declared.kAlignment(),
                    base.withShape(k + 1, n), platform));
        }
        if (declared.nAlignment() > 1) {
            cases.add(reject("reject-n-unaligned", "N=" + (n + 1) + " is not a multiple of the declared N alignment " + declared.nAlignment(),
                    base.withShape(k, n + 1), platform));
        }
        return base.config();
    }

    private static MustRejectCase reject(String id, String rule, ScaledMm layer, Platform platform) {
        return new MustRejectCase(id.toLowerCase(java.util.Locale.ROOT), rule, layer.config(), platform, false);
    }

    /** A scaled-mm layer being varied one field at a time. */
    private record ScaledMm(int k, int n, ScalarType weightType, ScalarType activationType, GroupShape weightScales, GroupShape activationScales,
            boolean staticScale, ScalarType input, ScalarType output, boolean bias) {

        ScaledMmConfig config() {
            return new ScaledMmConfig(new LayerShape(k, n), QuantKey.of(weightType, weightScales, true), QuantKey.of(activationType, activationScales, staticScale),
                    input, output, bias);
        }

        ScaledMm withWeightType(ScalarType type) {
            return new ScaledMm(k, n, type, activationType, weightScales, activationScales, staticScale, input, output, bias);
        }

        ScaledMm withActivationType(ScalarType type) {
            return new ScaledMm(k, n, weightType, type, weightScales, activationScales, staticScale, input, output, bias);
        }

        ScaledMm withWeightScales(GroupShape shape) {
            return new ScaledMm(k, n, weightType, activationType, shape, activationScales, staticScale, input, output, bias);
        }

        ScaledMm withActivationScales(GroupShape shape, boolean staticScales) {
            return new ScaledMm(k, n, weightType, activationType, weightScales, shape, staticScales, input, output, bias);
        }

        ScaledMm withInput(ScalarType type) {
            return new ScaledMm(k, n, weightType, activationType, weightScales, activationScales, staticScale, type, output, bias);
        }

        ScaledMm withOutput(ScalarType type) {
            return new ScaledMm(k, n, weightType, activationType, weightScales, activationScales, staticScale, input, type, bias);
        }

        ScaledMm withBias() {
            return new ScaledMm(k, n, weightType, activationType, weightScales, activationScales, staticScale, input, output, true);
        }

        ScaledMm withShape(int newK, int newN) {
            return new ScaledMm(newK, newN, weightType, activationType, weightScales, activationScales, staticScale, input, output, bias);
        }
    }

    private static ScalarType first(List<ScalarType> preferred, Set<ScalarType> declared) {
        return preferred.stream().filter(declared::contains).findFirst()
                .orElseGet(() -> declared.stream().min(Comparator.comparing(ScalarType::name)).orElseThrow());
    }

    private static GroupShape firstShape(List<GroupShape> preferred, Set<GroupShape> declared) {
        return preferred.stream().filter(declared::contains).findFirst()
                .orElseGet(() -> declared.stream().min(Comparator.comparing(GroupShape::toString)).orElseThrow());
    }

    private static int atLeast(int multipleOf, int minimum) {
        return multipleOf * Math.max(1, (minimum + multipleOf - 1) / multipleOf);
    }

    static int lcm(int a, int b) {
        return Math.toIntExact((long) a / gcd(a, b) * b);
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
