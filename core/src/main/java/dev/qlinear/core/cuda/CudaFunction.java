package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.LaunchConfig;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.JCudaDriver;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A kernel entry point. Launches go through FFM ({@link LaunchCalls}) with this thread's {@link ParameterBlock}, so a
 * launch allocates nothing; one that {@linkplain LaunchConfig#overlapsPrevious overlaps the previous work} goes through
 * {@code cuLaunchKernelEx} on sm_90 and later, in stream order elsewhere. The arguments are checked against the
 * kernel's parameter sizes where the driver reports them (CUDA 12.4+): a wrong count or size would otherwise make the
 * kernel read garbage.
 */
final class CudaFunction implements GpuFunction {

    /** Dynamic shared memory a kernel may use without raising its limit. */
    static final int DEFAULT_DYNAMIC_SHARED_LIMIT = 48 * 1024;
    private static final int MAX_PARAMETERS = 1024;

    private final CudaModule module;
    private final String name;
    private final Handles.Function function;
    private final long handle;
    private final Optional<int[]> parameterSizes;
    private volatile int dynamicSharedLimit = DEFAULT_DYNAMIC_SHARED_LIMIT;

    CudaFunction(CudaModule module, String name, Handles.Function function) {
        this.module = requireNonNull(module, "module is null");
        this.name = requireNonNull(name, "name is null");
        this.function = requireNonNull(function, "function is null");
        this.handle = function.raw();
        this.parameterSizes = LaunchCalls.parameterSizes(handle, MAX_PARAMETERS);
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
        CudaDevice device = module.device();
        CudaStream cudaStream = device.requireOwn(stream);
        if (parameterSizes.isPresent()) {
            checkArguments(parameterSizes.get(), arguments);
        }
        if (config.dynamicSharedBytes() > dynamicSharedLimit) {
            raiseDynamicSharedLimit(config);
        }
        MemorySegment parameters = ParameterBlock.fill(arguments, this);
        device.makeCurrent();
        if (config.overlapsPrevious() && device.info().major() >= 9) {
            int result = LaunchCalls.cuLaunchKernelEx(OverlappingLaunch.fill(config, cudaStream.handle()), handle, parameters);
            if (result != 0) {
                throw CudaException.driver("cuLaunchKernelEx (programmatic stream serialization) of " + describe() + " with " + config + " on " + cudaStream,
                        result);
            }
            cudaStream.countLaunch();
            return;
        }
        int result = LaunchCalls.cuLaunchKernel(handle, config.gridX(), config.gridY(), config.gridZ(), config.blockX(), config.blockY(), config.blockZ(),
                config.dynamicSharedBytes(), cudaStream.handle(), parameters);
        if (result != 0) {
            throw CudaException.driver("cuLaunchKernel of " + describe() + " with " + config + " on " + cudaStream, result);
        }
        cudaStream.countLaunch();
    }

    private void checkArguments(int[] sizes, KernelArguments arguments) {
        List<KernelArguments.Kind> signature = arguments.signature();
        boolean fits = signature.size() == sizes.length;
        for (int index = 0; fits && index < sizes.length; index++) {
            fits = signature.get(index).bytes() == sizes[index];
        }
        if (!fits) {
            throw new IllegalArgumentException("the arguments " + signature + " (bytes " + signature.stream().map(KernelArguments.Kind::bytes).toList()
                    + ") do not fit the parameters of kernel " + describe() + ", which takes " + sizes.length + " with bytes " + Arrays.toString(sizes));
        }
    }

    /** Raises the kernel's dynamic shared memory limit to what the launch asks for: once per larger size. */
    private synchronized void raiseDynamicSharedLimit(LaunchConfig config) {
        int bytes = config.dynamicSharedBytes();
        if (bytes <= dynamicSharedLimit) {
            return;
        }
        CudaDevice device = module.device();
        device.makeCurrent();
        int result = JCudaDriver.cuFuncSetAttribute(function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes);
        if (result != 0) {
            throw CudaException.driver("cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES = " + bytes + ") of " + describe() + " for " + config
                    + " (the device allows at most " + device.maxSharedBytesPerBlockOptIn() + " bytes per block, static shared memory included)", result);
        }
        dynamicSharedLimit = bytes;
    }

    private String describe() {
        return module.name() + "::" + name;
    }

    @Override
    public String toString() {
        return describe();
    }
}
