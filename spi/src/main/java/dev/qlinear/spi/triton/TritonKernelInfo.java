package dev.qlinear.spi.triton;

import dev.qlinear.spi.device.KernelArguments;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What the manifest of one compiled Triton variant says, as the host read it.
 *
 * @param variant the variant's name, such as {@code w4a16_f16_sym_m16n64k64}
 * @param function the entry point in the image
 * @param target the image loaded: {@code sm_90a}, {@code sm_80}, {@code compute_80} (PTX) or a gfx architecture
 * @param parameterNames the kernel's own parameters in order, without the scratch pointers Triton appends
 * @param parameterKinds their C types, in the same order
 * @param constexprs the compile-time constants, as written in the manifest
 * @param warps warps a program; a launch's block has {@link #threads()} threads
 * @param stages software pipeline stages
 * @param sharedBytes dynamic shared memory a program needs
 * @param tritonVersion the Triton version that compiled the image
 */
public record TritonKernelInfo(
        String variant,
        String function,
        String target,
        List<String> parameterNames,
        List<KernelArguments.Kind> parameterKinds,
        Map<String, String> constexprs,
        int warps,
        int stages,
        int sharedBytes,
        String tritonVersion) {

    public TritonKernelInfo {
        requireNonNull(variant, "variant is null");
        requireNonNull(function, "function is null");
        requireNonNull(target, "target is null");
        parameterNames = List.copyOf(requireNonNull(parameterNames, "parameterNames is null"));
        parameterKinds = List.copyOf(requireNonNull(parameterKinds, "parameterKinds is null"));
        constexprs = Map.copyOf(requireNonNull(constexprs, "constexprs is null"));
        requireNonNull(tritonVersion, "tritonVersion is null");
        if (parameterNames.size() != parameterKinds.size()) {
            throw new IllegalArgumentException("variant " + variant + ": " + parameterNames.size() + " parameter names for " + parameterKinds.size() + " kinds");
        }
        if (warps < 1 || warps > 32) {
            throw new IllegalArgumentException("variant " + variant + ": warps must be 1 to 32, got " + warps);
        }
        if (sharedBytes < 0) {
            throw new IllegalArgumentException("variant " + variant + ": shared memory must not be negative, got " + sharedBytes);
        }
    }

    /** Threads a program: {@code warps} times {@link #warpSize()}. */
    public int threads() {
        return warpSize() * warps;
    }

    /**
     * Threads a warp for the image's target: 64 on gfx9 (GCN and CDNA run 64-lane wavefronts only), 32 on NVIDIA and
     * on RDNA (gfx10 and later, where Triton compiles wave32).
     */
    public int warpSize() {
        return warpSize(target);
    }

    /** {@link #warpSize()} of an image target. */
    public static int warpSize(String target) {
        requireNonNull(target, "target is null");
        return target.startsWith("gfx9") ? 64 : 32;
    }
}
