package dev.qlinear.conformance.cases;

import static java.util.Objects.requireNonNull;

/**
 * A value of the sweep that the kernel does not declare, such as a group size or an activation type, reported once
 * instead of once per case.
 *
 * @param id such as {@code not-declared-group-256}
 * @param row the grid row
 * @param column the grid column
 * @param reason what is not declared and what the kernel declares instead
 */
public record NotDeclaredCase(String id, String row, String column, String reason) implements PlannedCase {
    public NotDeclaredCase {
        requireNonNull(id, "id is null");
        requireNonNull(row, "row is null");
        requireNonNull(column, "column is null");
        requireNonNull(reason, "reason is null");
    }

    @Override
    public String description() {
        return reason;
    }
}
