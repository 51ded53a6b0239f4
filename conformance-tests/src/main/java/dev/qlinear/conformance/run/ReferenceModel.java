package dev.qlinear.conformance.run;

import dev.qlinear.conformance.cases.ComputeCase;
import dev.qlinear.spi.config.ScaledMmConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.kernel.ToleranceClass;
import dev.qlinear.spi.type.ScalarType;
import dev.qlinear.spi.weights.QuantizedWeights;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

import static java.util.Objects.requireNonNull;

/**
 * One case's weights and the reference that goes with them: the canonical weights handed to {@code prepare}, the
 * exact output for any activations, the likely bugs to test a failing output against, and the blocks of K that a
 * failure can be traced to.
 */
sealed interface ReferenceModel permits WeightOnlyModel, ScaledMmModel {

    static ReferenceModel of(ComputeCase entry, ToleranceClass tolerance, RandomData data, double[] activations, Arena arena) {
        return switch (entry.config()) {
            case WeightOnlyConfig config -> WeightOnlyModel.create(config, entry.bias(), tolerance, data, arena);
            case ScaledMmConfig config -> ScaledMmModel.create(config, data, activations, arena);
        };
    }

    /** The type of the activations the kernel receives. */
    static ScalarType inputType(ComputeCase entry) {
        return switch (entry.config()) {
            case WeightOnlyConfig config -> config.activationType();
            case ScaledMmConfig config -> config.inputType();
        };
    }

    QuantizedWeights weights();

    /** The exact output {@code [rows, N]} for activations {@code [rows, K]}. */
    double[] reference(double[] activations, int rows);

    /** Outputs of likely bugs: when the kernel's output matches one, the failure says which bug it looks like. */
    List<Hypothesis> hypotheses();

    /** Blocks of K rows that a wrong output can be traced to by probing: groups, or runs of rows. Empty when not traced. */
    List<KBlock> blocks();

    /** Empty when rows of a batch must equal rows computed alone; otherwise why they need not. */
    Optional<String> batchDependence();

    /**
     * A likely bug and the output it would produce.
     *
     * @param explanation what the kernel's output matching this means
     * @param reference the output with that bug, for activations {@code [rows, K]}
     */
    record Hypothesis(String explanation, BiFunction<double[], Integer, double[]> reference) {
        public Hypothesis {
            requireNonNull(explanation, "explanation is null");
            requireNonNull(reference, "reference is null");
        }
    }

    /**
     * Rows of K that form a group or a run.
     *
     * @param label such as {@code group 3 (k [96, 128))}
     * @param range such as {@code k [96, 128)} for blocks of consecutive rows, empty for act-order groups
     * @param rows the rows
     */
    record KBlock(String label, String range, int[] rows) {
        public KBlock {
            requireNonNull(label, "label is null");
            requireNonNull(range, "range is null");
            requireNonNull(rows, "rows is null");
        }
    }
}
