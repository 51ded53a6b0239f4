package dev.qlinear.conformance;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The per-kernel table of outcome counts that a run ends with. */
public final class SummaryTable {

    private SummaryTable() {
    }

    /** Counts per kernel (in the order given) and a total row, in aligned columns. */
    public static String render(Map<String, Map<Outcome, Integer>> byKernel) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"kernel", "pass", "fail", "not declared", "cannot run here"});
        Map<Outcome, Integer> total = new EnumMap<>(Outcome.class);
        for (Map.Entry<String, Map<Outcome, Integer>> entry : byKernel.entrySet()) {
            rows.add(row(entry.getKey(), entry.getValue()));
            entry.getValue().forEach((outcome, count) -> total.merge(outcome, count, Integer::sum));
        }
        rows.add(row("total", total));
        int[] widths = new int[5];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder table = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-" + widths[0] + "s", row[0]));
            for (int i = 1; i < row.length; i++) {
                line.append("  ").append(String.format(Locale.ROOT, "%" + widths[i] + "s", row[i]));
            }
            table.append(line.toString().stripTrailing()).append('\n');
        }
        return table.toString();
    }

    private static String[] row(String name, Map<Outcome, Integer> counts) {
        return new String[] {name,
                String.valueOf(counts.getOrDefault(Outcome.PASS, 0)),
                String.valueOf(counts.getOrDefault(Outcome.FAIL, 0)),
                String.valueOf(counts.getOrDefault(Outcome.NOT_DECLARED, 0)),
                String.valueOf(counts.getOrDefault(Outcome.CANNOT_RUN_HERE, 0))};
    }
}
