package dev.qlinear.cli.bench;

import dev.qlinear.core.cuda.CudaDevice;
import dev.qlinear.core.cuda.CudaStream;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.KernelArguments.Kind;
import dev.qlinear.spi.device.LaunchConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

import static java.util.Objects.requireNonNull;

/**
 * An empty kernel launched through core's launch path with a decode-sized grid and the overlapping-launch attribute:
 * what the driver's launch call alone costs the host. Subtracted from the host time of {@code apply}, it leaves the
 * Java side of a call.
 */
final class BareLaunch implements AutoCloseable {

    private static final String IMAGE = "bare-launch.ptx";
    private static final String ENTRY = "qlinear_bare_launch";
    private static final int THREADS = 256;

    private final GpuModule module;
    private final GpuFunction function;
    private final KernelArguments arguments = KernelArguments.of(Kind.POINTER, Kind.INT64, Kind.INT32, Kind.INT32, Kind.INT32, Kind.POINTER,
            Kind.POINTER, Kind.INT32, Kind.POINTER, Kind.POINTER, Kind.POINTER, Kind.POINTER);
    private final LaunchConfig config;

    BareLaunch(CudaDevice device) {
        requireNonNull(device, "device is null");
        this.module = device.loadModule(IMAGE, image());
        this.function = module.function(ENTRY);
        this.config = LaunchConfig.linear(2 * device.info().multiprocessors(), THREADS, 0).overlappingPrevious();
    }

    void launch(CudaStream stream) {
        function.launch(config, arguments, stream);
    }

    private static byte[] image() {
        try (InputStream in = BareLaunch.class.getResourceAsStream(IMAGE)) {
            if (in == null) {
                throw new IllegalStateException(IMAGE + " is missing from the qlinear CLI's resources");
            }
            return in.readAllBytes();
        }
        catch (IOException e) {
            throw new UncheckedIOException("reading " + IMAGE, e);
        }
    }

    @Override
    public void close() {
        module.close();
    }
}
