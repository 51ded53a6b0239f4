package dev.qlinear.core.checkpoint;

import dev.qlinear.core.select.KernelSelector;
import dev.qlinear.core.select.SelectionPolicy;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.platform.Platform;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Selects a kernel for every layer of a checkpoint, grouping layers that share a configuration. */
public final class ModelExplainer {

    private final KernelSelector selector;

    public ModelExplainer(KernelSelector selector) {
        this.selector = requireNonNull(selector, "selector is null");
    }

    private record GroupKey(String format, LayerPlan.Parallelism parallelism, Optional<LayerConfig> config, Optional<String> problem) {
    }

    public ModelReport explain(CheckpointSummary checkpoint, Platform platform, SelectionPolicy policy, int tensorParallel) {
        List<LayerPlan> plans = CheckpointLayers.plan(checkpoint.quantization(), checkpoint.tensors(), checkpoint.activationType(), tensorParallel);
        Map<GroupKey, List<String>> groups = new LinkedHashMap<>();
        for (LayerPlan plan : plans) {
            groups.computeIfAbsent(new GroupKey(plan.format(), plan.parallelism(), plan.config(), plan.problem()), key -> new ArrayList<>()).add(plan.name());
        }
        List<ModelReport.LayerGroup> layerGroups = new ArrayList<>();
        for (Map.Entry<GroupKey, List<String>> group : groups.entrySet()) {
            GroupKey key = group.getKey();
            layerGroups.add(new ModelReport.LayerGroup(group.getValue(), key.format(), key.parallelism(), key.config(),
                    key.config().map(config -> selector.explain(config, platform, policy)), key.problem()));
        }
        String method = checkpoint.quantization().map(QuantizationConfig::method).orElse("none");
        return new ModelReport(checkpoint.directory(), method, platform, tensorParallel, layerGroups);
    }
}
