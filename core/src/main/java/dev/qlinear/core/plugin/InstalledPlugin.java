package dev.qlinear.core.plugin;

import dev.qlinear.spi.kernel.KernelDescriptor;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One plugin as an operator sees it: who it is, where it came from, whether it runs, and why not.
 *
 * @param id plugin id, or the jar's file name when no descriptor could be read
 * @param version plugin version, or {@code "?"} when unknown
 * @param source where it was found
 * @param state started or refused
 * @param problems why it was refused; empty when started
 * @param kernels the kernels it declares (from its manifest, or its provider on the class path)
 */
public record InstalledPlugin(String id, String version, PluginSource source, PluginState state, List<String> problems, List<KernelDescriptor> kernels) {
    public InstalledPlugin {
        requireNonNull(id, "id is null");
        requireNonNull(version, "version is null");
        requireNonNull(source, "source is null");
        requireNonNull(state, "state is null");
        problems = List.copyOf(requireNonNull(problems, "problems is null"));
        kernels = List.copyOf(requireNonNull(kernels, "kernels is null"));
        if ((state == PluginState.REFUSED) == problems.isEmpty()) {
            throw new IllegalArgumentException("a refused plugin must list its problems and a started one none; plugin '" + id + "' is " + state + " with " + problems);
        }
    }

    public boolean isStarted() {
        return state == PluginState.STARTED;
    }
}
