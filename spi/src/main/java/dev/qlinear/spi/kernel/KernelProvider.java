package dev.qlinear.spi.kernel;

import java.util.List;

/**
 * The extension point of a kernel plugin: one provider per plugin lists its kernels. In a plugin jar the provider
 * is annotated {@code @org.pf4j.Extension}; on a plain class path it is listed in
 * {@code META-INF/services/dev.qlinear.spi.kernel.KernelProvider}.
 *
 * <p>Instantiated once by the host through a public no-argument constructor, which must not touch a device.
 */
public interface KernelProvider {

    /** The kernels this provider offers; the same list on every call. */
    List<LinearKernel<?>> kernels();
}
