package dev.qlinear.core.cuda;

import dev.qlinear.spi.device.GpuModule;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import static java.util.Objects.requireNonNull;

/** A kernel image loaded into a device's context. */
final class CudaModule implements GpuModule {

    private final CudaDevice device;
    private final String name;
    private final CUmodule module;
    private final ConcurrentMap<String, CudaFunction> functions = new ConcurrentHashMap<>();
    private volatile boolean closed;

    CudaModule(CudaDevice device, String name, CUmodule module) {
        this.device = requireNonNull(device, "device is null");
        this.name = requireNonNull(name, "name is null");
        this.module = requireNonNull(module, "module is null");
    }

    @Override
    public String name() {
        return name;
    }

    CudaDevice device() {
        return device;
    }

    @Override
    public CudaFunction function(String functionName) {
        requireNonNull(functionName, "functionName is null");
        requireOpen();
        return functions.computeIfAbsent(functionName, this::lookUp);
    }

    private CudaFunction lookUp(String functionName) {
        Handles.Function function = new Handles.Function();
        device.makeCurrent();
        int result = JCudaDriver.cuModuleGetFunction(function, module, functionName);
        if (result == CUresult.CUDA_ERROR_NOT_FOUND) {
            throw new IllegalArgumentException("kernel image " + name + " has no entry point '" + functionName + "' (names are the mangled ones; "
                    + "declare kernels extern \"C\" to keep them plain)");
        }
        device.check(result, () -> "cuModuleGetFunction '" + functionName + "' in " + name);
        return new CudaFunction(this, functionName, function);
    }

    void requireOpen() {
        if (closed) {
            throw new IllegalStateException("kernel image " + name + " was unloaded");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.unloaded(this);
        device.makeCurrent();
        device.check(JCudaDriver.cuModuleUnload(module), () -> "cuModuleUnload of " + name);
    }

    /** Unloads without the device's bookkeeping, when the device closes. */
    void unloadForClose() {
        if (!closed) {
            closed = true;
            JCudaDriver.cuModuleUnload(module);
        }
    }

    @Override
    public String toString() {
        return name + " on cuda:" + device.info().ordinal();
    }
}
