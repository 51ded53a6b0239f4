package dev.qlinear.spi.kernel;

import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.util.Optional;

/**
 * A quantized linear-layer kernel: {@code y = x * W^T (+ bias)} for one kind of {@link LayerConfig}.
 *
 * <p>The host calls {@link #supports} and {@link #canImplement} while selecting (from any thread, concurrently,
 * with the thread context class loader set to the plugin's), {@link #prepare} once per layer after its weights
 * are loaded, and {@link #apply} on the hot path. The host checks the {@linkplain #descriptor() declared}
 * capabilities first, but correctness must never depend on that: {@code canImplement} refuses every layer this
 * kernel cannot compute exactly, with every unmet constraint.
 *
 * @param <C> the layer configuration type: {@link dev.qlinear.spi.config.WeightOnlyConfig} or
 *            {@link dev.qlinear.spi.config.ScaledMmConfig}, matching the descriptor's layer kind
 */
public interface LinearKernel<C extends LayerConfig> {

    /** The identity and declared capabilities; the same value on every call. */
    KernelDescriptor descriptor();

    /**
     * Checks what the declaration cannot express about a platform, such as kernel images missing from the jar or a
     * required runtime library. Pure and fast: no device work.
     */
    default Verdict supports(Platform platform) {
        return Verdict.accepted();
    }

    /**
     * The name of the layout {@link #prepare} produces, when qlinear's reference packers know it (such as
     * {@code "cpu-vector-w4"}): the conformance suite then checks {@link PreparedLayer#layoutTensors()} bit for bit
     * against the reference. Empty when the layout is private to the kernel and only its outputs are checked.
     */
    default Optional<String> preparedLayout() {
        return Optional.empty();
    }

    /**
     * Whether this kernel computes the layer exactly as the reference does on the platform, listing every unmet
     * constraint. Pure and fast: no allocation of device memory, no exceptions for configs it cannot handle.
     */
    Verdict canImplement(C config, Platform platform);

    /**
     * Converts the layer's canonical weights into this kernel's layout on the device, once per layer. The result
     * owns its device memory.
     */
    PreparedLayer prepare(C config, QuantizedWeights weights, Device device);

    /**
     * Computes {@code output[M, N] = input[M, K] * W^T + bias} on the stream, asynchronously. Must not allocate,
     * synchronize with the host or branch on device data, so that the call can be captured into a graph.
     */
    void apply(PreparedLayer layer, Tensor input, Tensor output, ExecutionStream stream);
}
