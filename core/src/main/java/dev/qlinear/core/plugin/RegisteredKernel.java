package dev.qlinear.core.plugin;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.kernel.KernelDescriptor;
import dev.qlinear.spi.kernel.LinearKernel;
import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Platform;

import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * A kernel as the host holds it: the plugin's object, its descriptor (read once), and the plugin it came from.
 * Calls into the kernel run in the plugin's class-loader context, and a kernel that throws from a check is refused
 * with the exception as its reason instead of taking selection down.
 *
 * @param kernel the plugin's kernel
 * @param descriptor the kernel's descriptor
 * @param pluginId the id of the plugin that provides it
 * @param pluginVersion the version of that plugin
 * @param classLoader the plugin's class loader
 */
public record RegisteredKernel(LinearKernel<?> kernel, KernelDescriptor descriptor, String pluginId, String pluginVersion, ClassLoader classLoader) {

    public RegisteredKernel {
        requireNonNull(kernel, "kernel is null");
        requireNonNull(descriptor, "descriptor is null");
        requireNonNull(pluginId, "pluginId is null");
        requireNonNull(pluginVersion, "pluginVersion is null");
        requireNonNull(classLoader, "classLoader is null");
    }

    public String id() {
        return descriptor.id();
    }

    /** The kernel's own platform check; an exception becomes a refusal. */
    public Verdict supports(Platform platform) {
        return guarded("supports", () -> kernel.supports(platform));
    }

    /** The kernel's own config check; the caller has checked that the config is of the kernel's layer kind. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Verdict canImplement(LayerConfig config, Platform platform) {
        return guarded("canImplement", () -> ((LinearKernel) kernel).canImplement(config, platform));
    }

    /**
     * The kernel typed for layers of the config's kind, to {@code prepare} and {@code apply} them.
     *
     * @throws IllegalArgumentException when the kernel computes the other kind of layer
     */
    @SuppressWarnings("unchecked")
    public <C extends LayerConfig> LinearKernel<C> kernelFor(C config) {
        if (config.kind() != descriptor.layerKind()) {
            throw new IllegalArgumentException("kernel '" + id() + "' computes " + descriptor.layerKind() + " layers, not " + config.kind());
        }
        return (LinearKernel<C>) kernel;
    }

    private Verdict guarded(String method, Supplier<Verdict> call) {
        try {
            Verdict verdict = PluginCalls.withContextLoader(classLoader, call);
            if (verdict == null) {
                return Verdict.refused(new Reason(method, "a verdict", "null from kernel '" + id() + "'"));
            }
            return verdict;
        }
        catch (RuntimeException | LinkageError e) {
            return Verdict.refused(new Reason(method, "a verdict", "threw " + PluginJarInspector.describe(e)));
        }
    }
}
