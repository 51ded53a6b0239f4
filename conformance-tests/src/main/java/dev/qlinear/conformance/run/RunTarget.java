package dev.qlinear.conformance.run;

import dev.qlinear.core.cuda.Cuda;
import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.rocm.Rocm;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.Platform;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Where a kernel's cases run: the platform under test and, when this process can reach it, its device. When a
 * kernel cannot run here, {@link #cannotRunHere} says why.
 *
 * @param platform the platform under test
 * @param device the device of that platform in this process, when there is one
 * @param cannotRunHere why the kernel's cases cannot run here, if they cannot
 */
public record RunTarget(Platform platform, Optional<Device> device, Optional<String> cannotRunHere) {

    public RunTarget {
        requireNonNull(platform, "platform is null");
        requireNonNull(device, "device is null");
        requireNonNull(cannotRunHere, "cannotRunHere is null");
        if (cannotRunHere.isEmpty() && device.isEmpty()) {
            throw new IllegalArgumentException("a target that can run needs a device");
        }
    }

    /**
     * The target for one kernel: it cannot run here when it does not declare the platform, when this machine has no
     * device of that platform ("needs ROCm gfx942 (rocm:gfx942)"), or when its {@code supports} refuses it. Without the
     * device, a refusal by {@code supports} is named too, since it may stop the kernel on that machine as well.
     *
     * @param here the platforms this machine has, as the probes found them
     */
    public static RunTarget of(RegisteredKernel kernel, Platform platform, List<Platform> here) {
        if (kernel.descriptor().priorityOn(platform).isEmpty()) {
            return cannot(platform, "kernel '" + kernel.id() + "' declares " + String.join(", ", kernel.descriptor().platforms().stream()
                    .map(support -> support.requirement().spec()).toList()) + ", not " + platform.spec());
        }
        Verdict supports;
        try {
            supports = KernelCalls.call(kernel, "supports(" + platform.spec() + ")", () -> kernel.kernel().supports(platform));
        }
        catch (KernelCallException e) {
            return cannot(platform, e.getMessage());
        }
        String refusal = "kernel '" + kernel.id() + "' refuses " + platform.spec() + " in supports: " + supports;
        if (here.stream().noneMatch(found -> found.architecture().equals(platform.architecture()))) {
            String machine = String.join(" + ", here.stream().map(Platform::spec).toList());
            boolean vendorHere = here.stream().anyMatch(found -> found.vendor() == platform.vendor());
            return cannot(platform, "needs " + describe(platform) + ", which this machine lacks: it has " + machine
                    + (vendorHere ? "" : "; run the suite on a " + platform.vendor().specPrefix() + " host") + (supports.isAccepted() ? "" : "; besides, " + refusal));
        }
        if (!supports.isAccepted()) {
            return cannot(platform, refusal);
        }
        Optional<Device> device = device(platform, here);
        if (device.isEmpty()) {
            return cannot(platform, "needs " + describe(platform) + ", which this machine has but this process cannot open");
        }
        return new RunTarget(platform, device, Optional.empty());
    }

    /** {@code ROCm gfx942 (rocm:gfx942)}, {@code CUDA sm_90 (cuda:sm_90)}: the platform in words, and its spec. */
    private static String describe(Platform platform) {
        String vendor = switch (platform.vendor()) {
            case CPU -> "CPU";
            case CUDA -> "CUDA";
            case ROCM -> "ROCm";
        };
        return vendor + " " + platform.architecture().name() + " (" + platform.spec() + ")";
    }

    /** The platform a kernel is tested on when none is named: the first one here that it declares, else the first one here. */
    public static Platform platformFor(RegisteredKernel kernel, List<Platform> here) {
        return here.stream().filter(found -> kernel.descriptor().priorityOn(found).isPresent()).findFirst().orElse(here.getFirst());
    }

    /** A device of the platform in this process: the CPU for this machine's ISA, or GPU 0 (CUDA or ROCm) of the same architecture. */
    static Optional<Device> device(Platform platform, List<Platform> here) {
        for (Platform found : here) {
            if (!found.architecture().equals(platform.architecture())) {
                continue;
            }
            switch (platform.architecture()) {
                case Architecture.Cpu ignored -> {
                    return Optional.of(new CpuDevice(platform));
                }
                case Architecture.Cuda ignored -> {
                    return Optional.of(Cuda.open(0));
                }
                case Architecture.Rocm ignored -> {
                    return Optional.of(Rocm.open(0));
                }
            }
        }
        return Optional.empty();
    }

    private static RunTarget cannot(Platform platform, String why) {
        return new RunTarget(platform, Optional.empty(), Optional.of(why));
    }

    public boolean canRun() {
        return cannotRunHere.isEmpty();
    }
}
