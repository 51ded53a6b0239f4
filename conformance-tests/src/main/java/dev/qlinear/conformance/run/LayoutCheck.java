package dev.qlinear.conformance.run;

import dev.qlinear.conformance.Check;
import dev.qlinear.conformance.CheckResult;
import dev.qlinear.core.plugin.RegisteredKernel;
import dev.qlinear.core.reference.layouts.ReferenceLayout;
import dev.qlinear.core.reference.layouts.ReferenceLayouts;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.kernel.PreparedLayer;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Compares the tensors of a kernel's prepared layout with the reference packer of the layout it declares, bit for
 * bit: names, types, shapes and every element. The reference packs for the device's platform, since some layouts
 * depend on it (e4m3fn weights become e4m3fnuz where the matrix cores take e4m3fnuz).
 */
final class LayoutCheck {

    private LayoutCheck() {
    }

    static CheckResult check(RegisteredKernel kernel, String layoutName, LayerConfig config, QuantizedWeights weights, PreparedLayer prepared, Device device,
            Arena arena) throws KernelCallException {
        String head = "prepared layout '" + layoutName + "'";
        Optional<ReferenceLayout> found = ReferenceLayouts.find(layoutName);
        if (found.isEmpty()) {
            return CheckResult.failed(Check.PREPARED_LAYOUT, head + " has no reference packer in qlinear (known layouts: " + String.join(", ", ReferenceLayouts.names())
                    + "): add its reference packer to dev.qlinear.core.reference.layouts, or declare no prepared layout");
        }
        ReferenceLayout layout = found.get();
        Map<String, HostTensor> expected = layout.pack(config, weights, device.platform(), arena);
        Map<String, Tensor> actual = KernelCalls.call(kernel, "layoutTensors", prepared::layoutTensors);
        List<String> problems = new ArrayList<>();
        TreeSet<String> missing = new TreeSet<>(expected.keySet());
        missing.removeAll(actual.keySet());
        TreeSet<String> extra = new TreeSet<>(actual.keySet());
        extra.removeAll(expected.keySet());
        if (!missing.isEmpty()) {
            problems.add("layoutTensors() lacks " + missing + " (the reference packer makes " + new TreeSet<>(expected.keySet()) + ")");
        }
        if (!extra.isEmpty()) {
            problems.add("layoutTensors() has " + extra + ", which the reference packer does not make");
        }
        for (Map.Entry<String, HostTensor> entry : expected.entrySet()) {
            Tensor tensor = actual.get(entry.getKey());
            if (tensor != null) {
                compare(entry.getKey(), TensorIo.onHost(tensor, device, arena), entry.getValue()).ifPresent(problems::add);
            }
        }
        if (problems.isEmpty()) {
            return CheckResult.passed(Check.PREPARED_LAYOUT, head + ": " + expected.size() + " tensors " + new TreeSet<>(expected.keySet())
                    + " equal the reference packer's bit for bit");
        }
        return CheckResult.failed(Check.PREPARED_LAYOUT, head + " differs from the reference packer: " + String.join("; ", problems));
    }

    private static Optional<String> compare(String name, Tensor actual, HostTensor expected) {
        long[] actualShape = TensorIo.shape(actual);
        long[] expectedShape = expected.shape();
        if (!actual.dtype().equals(expected.dtype()) || !Arrays.equals(actualShape, expectedShape)) {
            return Optional.of("tensor '" + name + "' is " + actual.dtype() + Arrays.toString(actualShape) + ", the reference " + expected.dtype()
                    + Arrays.toString(expectedShape));
        }
        int[] kernelBits = TensorIo.bits(actual);
        int[] referenceBits = TensorIo.bits(expected);
        int differ = 0;
        int first = -1;
        for (int i = 0; i < kernelBits.length; i++) {
            if (kernelBits[i] != referenceBits[i]) {
                differ++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (differ == 0) {
            return Optional.empty();
        }
        return Optional.of("tensor '" + name + "' " + expected.dtype() + Arrays.toString(expectedShape) + " differs in " + differ + " of " + kernelBits.length
                + " elements, first at " + Arrays.toString(index(first, expectedShape)) + ": kernel 0x" + Integer.toHexString(kernelBits[first])
                + ", reference 0x" + Integer.toHexString(referenceBits[first]));
    }

    private static long[] index(long flat, long[] shape) {
        long[] index = new long[shape.length];
        for (int dimension = shape.length - 1; dimension >= 0; dimension--) {
            index[dimension] = flat % shape[dimension];
            flat /= shape[dimension];
        }
        return index;
    }
}
