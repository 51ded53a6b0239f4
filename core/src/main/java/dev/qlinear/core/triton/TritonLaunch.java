package dev.qlinear.core.triton;

import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;
import dev.qlinear.spi.triton.TritonKernelInfo;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What one launch of a Triton variant takes, from its manifest alone: the full signature (the variant's own parameters,
 * then the two scratch pointers Triton appends, always null here), the block ({@code 32 * num_warps} threads) and
 * dynamic shared memory, and what the image was compiled to assume ({@link TritonManifest#divisibility()}: aligned
 * pointers, integers multiples of a number), which {@link #configure} checks since breaking it would compute garbage
 * silently. Allocates nothing while the grid is the one of the launch before. Thread-safe; the arguments are not.
 */
public final class TritonLaunch {

    private final TritonKernelInfo info;
    private final List<KernelArguments.Kind> signature;
    private final int ownParameters;
    /** The parameters the image assumes divisible, and by what. */
    private final int[] divisibleIndices;
    private final long[] divisors;
    /** The configuration of the last launch, reused while the grid stays; an immutable record, so a racy read is safe. */
    private LaunchConfig lastConfig;

    public TritonLaunch(TritonManifest manifest) {
        requireNonNull(manifest, "manifest is null");
        this.info = manifest.kernelInfo();
        List<KernelArguments.Kind> kinds = new ArrayList<>(info.parameterKinds());
        for (int pointer = 0; pointer < TritonManifest.APPENDED_PARAMETERS; pointer++) {
            kinds.add(KernelArguments.Kind.POINTER);
        }
        this.signature = List.copyOf(kinds);
        this.ownParameters = info.parameterKinds().size();
        this.divisibleIndices = manifest.divisibility().keySet().stream().mapToInt(name -> info.parameterNames().indexOf(name)).toArray();
        this.divisors = manifest.divisibility().values().stream().mapToLong(Integer::longValue).toArray();
    }

    public TritonKernelInfo info() {
        return info;
    }

    /** The full launch signature: the variant's own parameters, then the two scratch pointers. */
    public List<KernelArguments.Kind> signature() {
        return signature;
    }

    /** Arguments of the full signature, the scratch pointers null. */
    public KernelArguments newArguments() {
        return clearScratch(new KernelArguments(signature));
    }

    /**
     * The configuration of a launch of {@code gridX × gridY × gridZ} programs with these arguments, after checking them
     * and nulling their scratch pointers.
     *
     * @throws IllegalArgumentException naming the argument when the arguments have another signature or break what the
     *         image assumes, or when the grid is empty
     */
    public LaunchConfig configure(int gridX, int gridY, int gridZ, KernelArguments arguments) {
        requireNonNull(arguments, "arguments is null");
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
        clearScratch(arguments);
        return config;
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

    String describe() {
        return info.variant() + " (" + info.target() + ", entry point " + info.function() + ")";
    }
}
