package dev.qlinear.core.checkpoint;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/** The {@code quantization_config} of a checkpoint's {@code config.json}, one record per quantization method. */
public sealed interface QuantizationConfig permits QuantizationConfig.Gptq, QuantizationConfig.Awq, QuantizationConfig.CompressedTensors, QuantizationConfig.Fp8 {

    /** The {@code quant_method} as written in the config. */
    String method();

    /**
     * GPTQ (AutoGPTQ, GPTQModel).
     *
     * @param bits 4 or 8
     * @param groupSize rows per group, -1 for channelwise
     * @param descAct act-order: rows quantized in a permuted order, {@code g_idx} maps rows to groups
     * @param symmetric whether zero points are the type's bias (uint4b8, uint8b128)
     * @param version2 {@code checkpoint_format: gptq_v2}: zero points stored as z instead of z - 1
     */
    record Gptq(int bits, int groupSize, boolean descAct, boolean symmetric, boolean version2) implements QuantizationConfig {
        @Override
        public String method() {
            return "gptq";
        }
    }

    /**
     * AWQ ({@code version: gemm}).
     *
     * @param bits 4
     * @param groupSize rows per group
     * @param zeroPoint whether zero points are stored
     */
    record Awq(int bits, int groupSize, boolean zeroPoint) implements QuantizationConfig {
        @Override
        public String method() {
            return "awq";
        }
    }

    /**
     * compressed-tensors (llm-compressor).
     *
     * @param format the checkpoint format, such as {@code pack-quantized} or {@code float-quantized}
     * @param groups the config groups: each applies its scheme to the layers its targets match
     * @param ignore layers left unquantized: names or {@code re:} regular expressions
     */
    record CompressedTensors(String format, List<SchemeGroup> groups, List<String> ignore) implements QuantizationConfig {
        public CompressedTensors {
            requireNonNull(format, "format is null");
            groups = List.copyOf(requireNonNull(groups, "groups is null"));
            ignore = List.copyOf(requireNonNull(ignore, "ignore is null"));
        }

        @Override
        public String method() {
            return "compressed-tensors";
        }

        /** Whether the layer is in the ignore list. */
        public boolean ignores(String layer) {
            return ignore.stream().anyMatch(pattern -> Targets.matches(pattern, layer));
        }

        /** The group whose targets match the layer: an exact name or regex wins over the class name {@code Linear}. */
        public Optional<SchemeGroup> groupFor(String layer) {
            return groups.stream().filter(group -> group.targets().stream().anyMatch(target -> !target.equals("Linear") && Targets.matches(target, layer)))
                    .findFirst()
                    .or(() -> groups.stream().filter(group -> group.targets().contains("Linear")).findFirst());
        }
    }

    /**
     * One {@code config_groups} entry.
     *
     * @param name the group's key, such as {@code group_0}
     * @param targets what it applies to: {@code Linear}, layer names, or {@code re:} regular expressions
     * @param weights how weights are quantized
     * @param inputActivations how activations are quantized, for W8A8 schemes
     */
    record SchemeGroup(String name, List<String> targets, QuantizationArgs weights, Optional<QuantizationArgs> inputActivations) {
        public SchemeGroup {
            requireNonNull(name, "name is null");
            targets = List.copyOf(requireNonNull(targets, "targets is null"));
            requireNonNull(weights, "weights is null");
            requireNonNull(inputActivations, "inputActivations is null");
        }
    }

    /**
     * compressed-tensors quantization arguments.
     *
     * @param numBits 4, 8, ...
     * @param type {@code int} or {@code float}
     * @param symmetric whether no zero point is stored
     * @param strategy {@code tensor}, {@code channel}, {@code group}, {@code block} or {@code token}
     * @param groupSize rows per group for the group strategy, -1 otherwise
     * @param actOrder {@code group} when a {@code weight_g_idx} is stored
     * @param dynamic whether scales are computed per call (activations)
     */
    record QuantizationArgs(int numBits, String type, boolean symmetric, String strategy, int groupSize, Optional<String> actOrder, boolean dynamic) {
        public QuantizationArgs {
            requireNonNull(type, "type is null");
            requireNonNull(strategy, "strategy is null");
            requireNonNull(actOrder, "actOrder is null");
        }
    }

    /**
     * vLLM's {@code fp8} method: e4m3fn weights with a per-tensor scale.
     *
     * @param staticActivations {@code activation_scheme: static}: an {@code input_scale} per layer
     * @param weightBlockSize block size of block-wise FP8, empty for per-tensor
     */
    record Fp8(boolean staticActivations, Optional<List<Integer>> weightBlockSize) implements QuantizationConfig {
        @Override
        public String method() {
            return "fp8";
        }
    }

    /** Matching of compressed-tensors targets and ignore entries. */
    final class Targets {
        private Targets() {
        }

        static boolean matches(String target, String layer) {
            if (target.startsWith("re:")) {
                return Pattern.compile(target.substring(3)).matcher(layer).matches();
            }
            return layer.equals(target) || layer.endsWith("." + target);
        }
    }
}
