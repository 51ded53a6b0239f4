package dev.qlinear.core.triton;

import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.triton.TritonKernelInfo;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A Triton variant loaded on a device: its entry point launched with the block ({@code 32 * num_warps} threads) and
 * dynamic shared memory the manifest records, and null scratch pointers. Each launch checks what the image was
 * compiled to assume ({@link TritonManifest#divisibility()}: aligned pointers, integers multiples of a number), since
 * breaking it would compute garbage silently. A launch allocates nothing beyond what the function's launch does, as
 * long as the grid is the one of the launch before (the last launch configuration is kept). Thread-safe; the arguments
 * passed are not.
 */
public final class LoadedTritonKernel implements TritonKernel {

    private final TritonKernelInfo info;
    private final GpuFunction function;
    private final List<KernelArguments.Kind> signature;
    private final int ownParameters;
    /** The parameters the image assumes divisible, and by what. */
    private final int[] divisibleIndices;
    private final long[] divisors;
    /** The configuration of the last launch, reused while the grid stays; an immutable record, so a racy read is safe. */
    private LaunchConfig lastConfig;

    /**
     * @param manifest the manifest of the image loaded
     * @param function its entry point, which takes the variant's own parameters and then the two scratch pointers
     */
    public LoadedTritonKernel(TritonManifest manifest, GpuFunction function) {
        requireNonNull(manifest, "manifest is null");
        this.info = manifest.kernelInfo();
        this.function = requireNonNull(function, "function is null");
        List<KernelArguments.Kind> kinds = new ArrayList<>(info.parameterKinds());
        for (int pointer = 0; pointer < TritonManifest.APPENDED_PARAMETERS; pointer++) {
            kinds.add(KernelArguments.Kind.POINTER);
        }
        this.signature = List.copyOf(kinds);
        this.ownParameters = info.parameterKinds().size();
        this.divisibleIndices = manifest.divisibility().keySet().stream().mapToInt(name -> info.parameterNames().indexOf(name)).toArray();
        this.divisors = manifest.divisibility().values().stream().mapToLong(Integer::longValue).toArray();
    }

    @Override
    public TritonKernelInfo info() {
        return info;
    }

    /** The entry point launched. */
    public GpuFunction function() {
        return function;
    }

    /** The full launch signature: the variant's own parameters, then the two scratch pointers. */
    public List<KernelArguments.Kind> signature() {
        return signature;
    }

    @Override
    public KernelArguments newArguments() {
        return clearScratch(new KernelArguments(signature));
    }

    @Override
    public void launch(int gridX, int gridY, int gridZ, KernelArguments arguments, ExecutionStream stream) {
        requireNonNull(arguments, "arguments is null");
        requireNonNull(stream, "stream is null");
        if (!fits(arguments.signature())) {
            throw new IllegalArgumentException("the arguments " + arguments.signature() + " do not fit Triton kernel " + describe() + ", whose signature is "
                    + signature + " (its " + ownParameters + " own parameters " + info.parameterNames()
                    + ", then the two scratch pointers Triton appends); make them with newArguments()");
        }
        for (int check = 0; check < divisibleIndices.length; check++) {
            int index = divisibleIndices[check];
            if (arguments.rawValue(index) % divisors[check] != 0) {
                throw notDivisible(index, divisors[check], arguments.rawValue(index));
            }
        }
        LaunchConfig config = lastConfig;
        if (config == null || config.gridX() != gridX || config.gridY() != gridY || config.gridZ() != gridZ) {
            config = new LaunchConfig(gridX, gridY, gridZ, info.threads(), 1, 1, info.sharedBytes());
            lastConfig = config;
        }
        function.launch(config, clearScratch(arguments), stream);
    }

    private IllegalArgumentException notDivisible(int index, long divisor, long value) {
        String name = "argument " + index + " ('" + info.parameterNames().get(index) + "') of Triton kernel " + describe();
        String assumed = "the image was compiled assuming it (divisibility in its manifest); pass such values, or choose a variant compiled without it";
        if (signature.get(index) == KernelArguments.Kind.POINTER) {
            return new IllegalArgumentException(name + " is the address 0x" + Long.toHexString(value) + ", which is not " + divisor + "-byte aligned: " + assumed);
        }
        return new IllegalArgumentException(name + " is " + value + ", which is not a multiple of " + divisor + ": " + assumed);
    }

    /** Same kinds in the same order, without an iterator: this runs on every launch. */
    private boolean fits(List<KernelArguments.Kind> kinds) {
        if (kinds == signature) {
            return true;
        }
        if (kinds.size() != signature.size()) {
            return false;
        }
        for (int index = 0; index < kinds.size(); index++) {
            if (kinds.get(index) != signature.get(index)) {
                return false;
            }
        }
        return true;
    }

    /** Triton's scratch pointers: null, since the manifest guarantees the kernel needs no scratch memory. */
    private KernelArguments clearScratch(KernelArguments arguments) {
        return arguments.setPointer(ownParameters, 0).setPointer(ownParameters + 1, 0);
    }

    private String describe() {
        return info.variant() + " (" + info.target() + ", entry point " + info.function() + ")";
    }

    @Override
    public String toString() {
        return "Triton kernel " + describe() + ": " + info.warps() + " warps, " + info.sharedBytes() + " bytes of shared memory";
    }
}
