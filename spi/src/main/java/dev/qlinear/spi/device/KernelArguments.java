package dev.qlinear.spi.device;

import java.util.Arrays;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The arguments of a kernel launch, packed once by signature and refilled per call without allocation: a kernel
 * creates one per entry point, sets the values before each launch, and the host reads them during
 * {@link GpuFunction#launch}. Not thread-safe.
 */
public final class KernelArguments {

    /** The C type of one parameter. */
    public enum Kind {
        POINTER(8), INT32(4), INT64(8), FLOAT32(4);

        private final int bytes;

        Kind(int bytes) {
            this.bytes = bytes;
        }

        public int bytes() {
            return bytes;
        }
    }

    private final List<Kind> signature;
    private final long[] values;

    public KernelArguments(List<Kind> signature) {
        this.signature = List.copyOf(requireNonNull(signature, "signature is null"));
        this.values = new long[this.signature.size()];
    }

    public static KernelArguments of(Kind... signature) {
        return new KernelArguments(Arrays.asList(signature));
    }

    public List<Kind> signature() {
        return signature;
    }

    public int count() {
        return values.length;
    }

    public KernelArguments setPointer(int index, long address) {
        return set(index, Kind.POINTER, address);
    }

    public KernelArguments setInt(int index, int value) {
        return set(index, Kind.INT32, value);
    }

    public KernelArguments setLong(int index, long value) {
        return set(index, Kind.INT64, value);
    }

    public KernelArguments setFloat(int index, float value) {
        return set(index, Kind.FLOAT32, Float.floatToRawIntBits(value));
    }

    /** The raw bits of an argument: an address, a sign-extended int, or float bits in the low 32 bits. */
    public long rawValue(int index) {
        return values[index];
    }

    private KernelArguments set(int index, Kind kind, long value) {
        if (signature.get(index) != kind) {
            throw new IllegalArgumentException("argument " + index + " is declared " + signature.get(index) + ", not " + kind);
        }
        values[index] = value;
        return this;
    }
}
