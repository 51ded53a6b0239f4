package dev.qlinear.spi.device;

/** A loaded kernel image. Closing it unloads the image; its functions may no longer be launched. */
public interface GpuModule extends AutoCloseable {

    String name();

    /**
     * Looks up a kernel entry point by its (mangled) name.
     *
     * @throws IllegalArgumentException naming the module and the function when the image has no such entry point
     */
    GpuFunction function(String name);

    @Override
    void close();
}
