package dev.qlinear.spi.platform;

import dev.qlinear.spi.type.ScalarType;

import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The instruction-set identity of a device: a CUDA compute capability, a ROCm {@code gfx} target or a CPU ISA.
 * The vendor is part of the identity, so capabilities of different vendors can never be compared by accident.
 */
public sealed interface Architecture permits Architecture.Cuda, Architecture.Rocm, Architecture.Cpu {

    Vendor vendor();

    /** The architecture as written in a spec: {@code sm_90}, {@code gfx942}, {@code x86_64}. */
    String name();

    /** Parses the architecture part of a platform spec for the given vendor. */
    static Architecture parse(Vendor vendor, String name) {
        requireNonNull(vendor, "vendor is null");
        requireNonNull(name, "name is null");
        return switch (vendor) {
            case CUDA -> Cuda.parse(name);
            case ROCM -> new Rocm(name);
            case CPU -> new Cpu(name);
        };
    }

    /**
     * A CUDA compute capability {@code major.minor}, written {@code sm_<major><minor>}.
     *
     * @param major compute capability major version, at least 1
     * @param minor compute capability minor version, 0 to 9
     */
    record Cuda(int major, int minor) implements Architecture {
        public Cuda {
            if (major < 1 || major > 99) {
                throw new IllegalArgumentException("CUDA compute capability major must be in [1, 99], got " + major);
            }
            if (minor < 0 || minor > 9) {
                throw new IllegalArgumentException("CUDA compute capability minor must be in [0, 9], got " + minor);
            }
        }

        /** Parses {@code sm_80}, {@code sm_90a}, {@code sm_120} or {@code 8.0}. The {@code a} suffix names a build target, not a device, and is ignored. */
        public static Cuda parse(String text) {
            String value = text.trim().toLowerCase(Locale.ROOT);
            try {
                if (value.matches("\\d+\\.\\d")) {
                    int dot = value.indexOf('.');
                    return new Cuda(Integer.parseInt(value.substring(0, dot)), Integer.parseInt(value.substring(dot + 1)));
                }
                if (value.matches("sm_\\d{2,3}[af]?")) {
                    String digits = value.substring(3).replaceAll("[af]$", "");
                    int capability = Integer.parseInt(digits);
                    return new Cuda(capability / 10, capability % 10);
                }
            }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid CUDA architecture '" + text + "': " + e.getMessage(), e);
            }
            throw new IllegalArgumentException("invalid CUDA architecture '" + text + "': expected sm_<major><minor> such as sm_80 or sm_90, or <major>.<minor>");
        }

        /** {@code 10 * major + minor}: 80 for sm_80, 90 for sm_90, 120 for sm_120. */
        public int capability() {
            return 10 * major + minor;
        }

        @Override
        public Vendor vendor() {
            return Vendor.CUDA;
        }

        @Override
        public String name() {
            return "sm_" + capability();
        }
    }

    /**
     * An AMD GPU target such as {@code gfx942} (MI300, CDNA 3) or {@code gfx1151} (RDNA 3.5).
     *
     * @param gfxTarget the target name without feature suffixes
     */
    record Rocm(String gfxTarget) implements Architecture {
        public Rocm {
            requireNonNull(gfxTarget, "gfxTarget is null");
            gfxTarget = gfxTarget.trim().toLowerCase(Locale.ROOT);
            int colon = gfxTarget.indexOf(':');
            if (colon >= 0) {
                // hipDeviceProp_t.gcnArchName carries feature flags such as gfx942:sramecc+:xnack-
                gfxTarget = gfxTarget.substring(0, colon);
            }
            if (!gfxTarget.matches("gfx[0-9]{1,2}[0-9a-f]{2}")) {
                throw new IllegalArgumentException("invalid ROCm architecture '" + gfxTarget + "': expected gfx followed by 3 or 4 hex digits, such as gfx942 or gfx1151");
            }
        }

        /** RDNA for gfx10xx and later, CDNA for the data-centre gfx908/gfx90a/gfx94x/gfx95x, GCN for older targets. */
        public RocmFamily family() {
            if (gfxTarget.length() == 7) {
                return RocmFamily.RDNA;
            }
            if (gfxTarget.equals("gfx908") || gfxTarget.equals("gfx90a") || gfxTarget.startsWith("gfx94") || gfxTarget.startsWith("gfx95")) {
                return RocmFamily.CDNA;
            }
            return RocmFamily.GCN;
        }

        /**
         * The FP8 format the matrix cores take, if they take one: e4m3fnuz on MI300 (gfx940, gfx941, gfx942), the OCP
         * e4m3fn on MI350 (gfx950) and RDNA 4 (gfx12xx). Empty for targets without FP8 matrix instructions.
         */
        public Optional<ScalarType> fp8Type() {
            if (gfxTarget.equals("gfx940") || gfxTarget.equals("gfx941") || gfxTarget.equals("gfx942")) {
                return Optional.of(ScalarType.FLOAT8_E4M3FNUZ);
            }
            if (gfxTarget.equals("gfx950") || gfxTarget.startsWith("gfx12")) {
                return Optional.of(ScalarType.FLOAT8_E4M3FN);
            }
            return Optional.empty();
        }

        @Override
        public Vendor vendor() {
            return Vendor.ROCM;
        }

        @Override
        public String name() {
            return gfxTarget;
        }
    }

    /**
     * A CPU instruction set such as {@code x86_64} or {@code aarch64}.
     *
     * @param isa the instruction set, lower case
     */
    record Cpu(String isa) implements Architecture {
        public Cpu {
            requireNonNull(isa, "isa is null");
            isa = isa.trim().toLowerCase(Locale.ROOT);
            if (!isa.matches("[a-z0-9_]+")) {
                throw new IllegalArgumentException("invalid CPU architecture '" + isa + "': expected letters, digits and underscores, such as x86_64");
            }
        }

        @Override
        public Vendor vendor() {
            return Vendor.CPU;
        }

        @Override
        public String name() {
            return isa;
        }
    }

    /** The AMD GPU architecture lines, which differ in matrix instructions and FP8 support. */
    enum RocmFamily {
        GCN, CDNA, RDNA
    }
}
