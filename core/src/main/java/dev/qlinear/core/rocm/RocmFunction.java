package dev.qlinear.core.rocm;

import dev.qlinear.core.rocm.hip.HipRuntimeApi;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;

import java.lang.foreign.MemorySegment;

import static java.util.Objects.requireNonNull;

/**
 * A kernel entry point, launched with {@code hipModuleLaunchKernel} and this thread's {@link KernelParameterBlock}, so
 * a launch allocates nothing. A launch that {@linkplain LaunchConfig#overlapsPrevious may overlap the work before it}
 * runs in stream order: HIP has no programmatic dependent launch.
 */
final class RocmFunction implements GpuFunction {

    private final RocmModule module;
    private final String name;
    private final long handle;

    RocmFunction(RocmModule module, String name, long handle) {
        this.module = requireNonNull(module, "module is null");
        this.name = requireNonNull(name, "name is null");
        this.handle = handle;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void launch(LaunchConfig config, KernelArguments arguments, ExecutionStream stream) {
        requireNonNull(config, "config is null");
        requireNonNull(arguments, "arguments is null");
        requireNonNull(stream, "stream is null");
        module.requireOpen();
        RocmDevice device = module.device();
        RocmStream rocmStream = device.requireOwn(stream);
        MemorySegment parameters = KernelParameterBlock.fill(arguments, this);
        device.makeCurrent();
        int result = HipRuntimeApi.hipModuleLaunchKernel(handle, config.gridX(), config.gridY(), config.gridZ(), config.blockX(), config.blockY(),
                config.blockZ(), config.dynamicSharedBytes(), rocmStream.handle(), parameters, MemorySegment.NULL);
        if (result != HipRuntimeApi.hipSuccess) {
            device.check(result, () -> "hipModuleLaunchKernel of " + this + " with " + config + " on " + rocmStream);
        }
    }

    @Override
    public String toString() {
        return module.name() + "::" + name;
    }
}
