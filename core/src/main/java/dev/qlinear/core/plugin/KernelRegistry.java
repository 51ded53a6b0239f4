package dev.qlinear.core.plugin;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The plugins found and the kernels they registered: an immutable snapshot, safe to share between threads.
 *
 * @param plugins every plugin found, started or refused, in discovery order
 * @param kernels every registered kernel, ids unique
 */
public record KernelRegistry(List<InstalledPlugin> plugins, List<RegisteredKernel> kernels) {

    public KernelRegistry {
        plugins = List.copyOf(requireNonNull(plugins, "plugins is null"));
        kernels = List.copyOf(requireNonNull(kernels, "kernels is null"));
        long distinct = kernels.stream().map(RegisteredKernel::id).distinct().count();
        if (distinct != kernels.size()) {
            throw new IllegalArgumentException("kernel ids must be unique, got " + kernels.stream().map(RegisteredKernel::id).toList());
        }
    }

    public Optional<RegisteredKernel> kernel(String id) {
        return kernels.stream().filter(kernel -> kernel.id().equals(id)).findFirst();
    }
}
