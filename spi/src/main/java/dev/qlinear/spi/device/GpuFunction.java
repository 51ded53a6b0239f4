package dev.qlinear.spi.device;

/** A kernel entry point in a {@link GpuModule}. */
public interface GpuFunction {

    String name();

    /**
     * Queues one launch. The arguments are read during the call, so one {@link KernelArguments} can be refilled
     * and reused for every launch without garbage.
     */
    void launch(LaunchConfig config, KernelArguments arguments, ExecutionStream stream);
}
