package dev.qlinear.core.checkpoint;

import dev.qlinear.core.select.SelectionReport;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.platform.Platform;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Which kernel would run each linear layer of a checkpoint, with layers of identical configuration grouped.
 *
 * @param checkpoint the checkpoint directory
 * @param method the quantization method, or {@code none}
 * @param platform where the layers would run
 * @param tensorParallel the tensor-parallel degree the layers were split for
 * @param groups the layer groups in checkpoint order
 */
public record ModelReport(Path checkpoint, String method, Platform platform, int tensorParallel, List<LayerGroup> groups) {

    public ModelReport {
        requireNonNull(checkpoint, "checkpoint is null");
        requireNonNull(method, "method is null");
        requireNonNull(platform, "platform is null");
        groups = List.copyOf(requireNonNull(groups, "groups is null"));
    }

    /** Whether every quantized layer has a kernel. */
    public boolean allQuantizedLayersHaveAKernel() {
        return groups.stream().filter(group -> !group.format().equals(LayerPlan.UNQUANTIZED))
                .allMatch(group -> group.selection().flatMap(SelectionReport::selectedKernelId).isPresent());
    }

    /**
     * Layers that share format, parallelism and configuration, and so get the same kernel.
     *
     * @param layers the layer names
     * @param format how their weights are stored
     * @param parallelism how tensor parallelism splits them
     * @param config their layer config; empty for unquantized layers and layers with a problem
     * @param selection the kernel selection for the config
     * @param problem why the layers have no config
     */
    public record LayerGroup(List<String> layers, String format, LayerPlan.Parallelism parallelism, Optional<LayerConfig> config,
            Optional<SelectionReport> selection, Optional<String> problem) {
        public LayerGroup {
            layers = List.copyOf(requireNonNull(layers, "layers is null"));
            requireNonNull(format, "format is null");
            requireNonNull(parallelism, "parallelism is null");
            requireNonNull(config, "config is null");
            requireNonNull(selection, "selection is null");
            requireNonNull(problem, "problem is null");
        }
    }
}
