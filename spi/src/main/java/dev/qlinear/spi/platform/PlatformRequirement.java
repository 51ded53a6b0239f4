package dev.qlinear.spi.platform;

import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A set of platforms a kernel declares it runs on, matched by vendor and architecture identity (never by comparing
 * numbers across vendors). Written as {@code cuda:sm_80+}, {@code cuda:sm_80-sm_89}, {@code cuda:sm_90},
 * {@code rocm:gfx942,gfx950}, {@code cpu} or {@code cpu:x86_64,aarch64}.
 */
public sealed interface PlatformRequirement permits PlatformRequirement.Cuda, PlatformRequirement.Rocm, PlatformRequirement.Cpu {

    Vendor vendor();

    /** Whether the platform is inside this requirement. */
    boolean matches(Platform platform);

    /** The spec form, which {@link #parse(String)} reads back. */
    String spec();

    /** Parses the spec form. */
    static PlatformRequirement parse(String spec) {
        requireNonNull(spec, "spec is null");
        String trimmed = spec.trim().toLowerCase(Locale.ROOT);
        int colon = trimmed.indexOf(':');
        String vendor = colon < 0 ? trimmed : trimmed.substring(0, colon);
        String rest = colon < 0 ? "" : trimmed.substring(colon + 1);
        try {
            return switch (vendor) {
                case "cuda" -> Cuda.parseRange(rest);
                case "rocm" -> new Rocm(splitList(rest));
                case "cpu" -> new Cpu(rest.isEmpty() ? Set.of() : splitList(rest));
                default -> throw new IllegalArgumentException("the vendor must be cpu, cuda or rocm");
            };
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid platform requirement '" + spec + "': " + e.getMessage(), e);
        }
    }

    private static Set<String> splitList(String list) {
        if (list.isBlank()) {
            throw new IllegalArgumentException("expected a comma-separated list of architectures");
        }
        return Arrays.stream(list.split(",")).map(String::trim).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * CUDA devices with a compute capability in {@code [minCapability, maxCapability]}.
     *
     * @param minCapability smallest capability, as {@code 10 * major + minor}
     * @param maxCapability largest capability, empty for no upper bound
     */
    record Cuda(int minCapability, OptionalInt maxCapability) implements PlatformRequirement {
        public Cuda {
            requireNonNull(maxCapability, "maxCapability is null");
            if (minCapability < 10) {
                throw new IllegalArgumentException("minimum CUDA capability must be at least 10 (sm_10), got " + minCapability);
            }
            if (maxCapability.isPresent() && maxCapability.getAsInt() < minCapability) {
                throw new IllegalArgumentException("maximum CUDA capability " + maxCapability.getAsInt() + " is below the minimum " + minCapability);
            }
        }

        /** Capability {@code min} and every later one. */
        public static Cuda atLeast(int minCapability) {
            return new Cuda(minCapability, OptionalInt.empty());
        }

        static Cuda parseRange(String range) {
            if (range.endsWith("+")) {
                return atLeast(Architecture.Cuda.parse(range.substring(0, range.length() - 1)).capability());
            }
            int dash = range.indexOf('-');
            if (dash > 0) {
                return new Cuda(Architecture.Cuda.parse(range.substring(0, dash)).capability(),
                        OptionalInt.of(Architecture.Cuda.parse(range.substring(dash + 1)).capability()));
            }
            int exact = Architecture.Cuda.parse(range).capability();
            return new Cuda(exact, OptionalInt.of(exact));
        }

        @Override
        public Vendor vendor() {
            return Vendor.CUDA;
        }

        @Override
        public boolean matches(Platform platform) {
            return platform.architecture() instanceof Architecture.Cuda cuda
                    && cuda.capability() >= minCapability
                    && (maxCapability.isEmpty() || cuda.capability() <= maxCapability.getAsInt());
        }

        @Override
        public String spec() {
            String min = "cuda:sm_" + minCapability;
            if (maxCapability.isEmpty()) {
                return min + "+";
            }
            return maxCapability.getAsInt() == minCapability ? min : min + "-sm_" + maxCapability.getAsInt();
        }
    }

    /**
     * ROCm devices of the listed {@code gfx} targets. Listing targets rather than ranges is deliberate: AMD targets
     * are not ordered by capability.
     *
     * @param architectures the accepted targets, such as {@code gfx942}
     */
    record Rocm(Set<String> architectures) implements PlatformRequirement {
        public Rocm {
            requireNonNull(architectures, "architectures is null");
            if (architectures.isEmpty()) {
                throw new IllegalArgumentException("a ROCm requirement needs at least one gfx target");
            }
            architectures = architectures.stream().map(name -> new Architecture.Rocm(name).name()).collect(Collectors.toUnmodifiableSet());
        }

        @Override
        public Vendor vendor() {
            return Vendor.ROCM;
        }

        @Override
        public boolean matches(Platform platform) {
            return platform.architecture() instanceof Architecture.Rocm rocm && architectures.contains(rocm.name());
        }

        @Override
        public String spec() {
            return "rocm:" + String.join(",", new TreeSet<>(architectures));
        }
    }

    /**
     * CPUs of the listed instruction sets, or every CPU when the set is empty.
     *
     * @param isas accepted instruction sets; empty for all
     */
    record Cpu(Set<String> isas) implements PlatformRequirement {
        public Cpu {
            isas = requireNonNull(isas, "isas is null").stream().map(isa -> new Architecture.Cpu(isa).name()).collect(Collectors.toUnmodifiableSet());
        }

        @Override
        public Vendor vendor() {
            return Vendor.CPU;
        }

        @Override
        public boolean matches(Platform platform) {
            return platform.architecture() instanceof Architecture.Cpu cpu && (isas.isEmpty() || isas.contains(cpu.name()));
        }

        @Override
        public String spec() {
            return isas.isEmpty() ? "cpu" : "cpu:" + String.join(",", new TreeSet<>(isas));
        }
    }
}
