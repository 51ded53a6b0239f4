package dev.qlinear.spi.device;

/** An entry point of a {@link HostLibrary}. */
public interface HostFunction {

    String name();

    /**
     * Calls the entry point, which queues its work on the stream. The arguments are read during the call, so one
     * {@link KernelArguments} can be refilled and reused without garbage.
     *
     * @throws RuntimeException naming the function, the error code and the runtime's name for it when it returns non-zero
     */
    void call(KernelArguments arguments, ExecutionStream stream);
}
