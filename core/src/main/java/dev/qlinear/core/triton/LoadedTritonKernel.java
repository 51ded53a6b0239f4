package dev.qlinear.core.triton;

import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.triton.TritonKernelInfo;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** A Triton variant loaded on a device: its entry point, launched as its {@link TritonLaunch} says. */
public final class LoadedTritonKernel implements TritonKernel {

    private final TritonLaunch launch;
    private final GpuFunction function;

    /**
     * @param manifest the manifest of the image loaded
     * @param function its entry point, which takes the variant's own parameters and then the two scratch pointers
     */
    public LoadedTritonKernel(TritonManifest manifest, GpuFunction function) {
        this.launch = new TritonLaunch(requireNonNull(manifest, "manifest is null"));
        this.function = requireNonNull(function, "function is null");
    }

    @Override
    public TritonKernelInfo info() {
        return launch.info();
    }

    /** The entry point launched. */
    public GpuFunction function() {
        return function;
    }

    /** The full launch signature: the variant's own parameters, then the two scratch pointers. */
    public List<KernelArguments.Kind> signature() {
        return launch.signature();
    }

    @Override
    public KernelArguments newArguments() {
        return launch.newArguments();
    }

    @Override
    public void launch(int gridX, int gridY, int gridZ, KernelArguments arguments, ExecutionStream stream) {
        requireNonNull(stream, "stream is null");
        function.launch(launch.configure(gridX, gridY, gridZ, arguments), arguments, stream);
    }

    @Override
    public String toString() {
        return "Triton kernel " + launch.describe() + ": " + info().warps() + " warps, " + info().sharedBytes() + " bytes of shared memory";
    }
}
