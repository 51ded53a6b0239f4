package dev.qlinear.aiterfp8;

import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.HostFunction;
import dev.qlinear.spi.device.HostLibrary;

import java.nio.file.Path;

import static java.util.Objects.requireNonNull;

/**
 * The shim loaded on one device: its three entry points ({@link AiterShimAbi}), called by the host on a stream.
 *
 * @param library the loaded library, kept open for the life of the plugin
 */
record AiterShim(HostLibrary library, HostFunction quantize, HostFunction gemm, HostFunction addBias) {

    AiterShim {
        requireNonNull(library, "library is null");
        requireNonNull(quantize, "quantize is null");
        requireNonNull(gemm, "gemm is null");
        requireNonNull(addBias, "addBias is null");
    }

    /**
     * Loads the shim on a device.
     *
     * @throws UnsupportedOperationException on a device whose host calls no native libraries
     * @throws IllegalArgumentException naming the file when it does not load or lacks an entry point
     */
    static AiterShim load(Device device, Path library) {
        requireNonNull(device, "device is null");
        requireNonNull(library, "library is null");
        HostLibrary loaded = device.loadHostLibrary(library);
        try {
            return new AiterShim(loaded, loaded.function(AiterShimAbi.QUANTIZE.function()), loaded.function(AiterShimAbi.GEMM.function()),
                    loaded.function(AiterShimAbi.ADD_BIAS.function()));
        }
        catch (RuntimeException e) {
            loaded.close();
            throw e;
        }
    }
}
