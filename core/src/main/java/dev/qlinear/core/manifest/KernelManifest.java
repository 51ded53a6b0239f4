package dev.qlinear.core.manifest;

import dev.qlinear.spi.kernel.KernelDescriptor;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What a plugin jar declares about its kernels, readable without loading any of its classes. Stored in the jar at
 * {@link #RESOURCE} and written at build time from the kernels' own descriptors by {@link KernelManifestWriter}.
 *
 * @param spiVersion the SPI version the plugin was compiled against
 * @param kernels the descriptors of every kernel the plugin provides
 */
public record KernelManifest(String spiVersion, List<KernelDescriptor> kernels) {

    public static final String RESOURCE = "META-INF/qlinear/kernels.json";

    public KernelManifest {
        requireNonNull(spiVersion, "spiVersion is null");
        kernels = List.copyOf(requireNonNull(kernels, "kernels is null"));
    }

    public List<String> kernelIds() {
        return kernels.stream().map(KernelDescriptor::id).toList();
    }
}
