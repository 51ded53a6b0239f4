package dev.qlinear.core.checkpoint;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Short forms of many layer names: {@code model.layers.{0..31}.mlp.down_proj} for 32 names that differ in one index. */
public final class LayerNames {

    private LayerNames() {
    }

    /** Names that differ only in their first numeric part are folded into one pattern with the indices as ranges. */
    public static List<String> summarize(List<String> names) {
        Map<String, TreeSet<Long>> indicesByPattern = new LinkedHashMap<>();
        List<String> summary = new ArrayList<>();
        for (String name : names) {
            String[] parts = name.split("\\.");
            int numeric = -1;
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].matches("\\d{1,9}")) {
                    numeric = i;
                    break;
                }
            }
            if (numeric < 0) {
                indicesByPattern.putIfAbsent(name, null);
                continue;
            }
            long index = Long.parseLong(parts[numeric]);
            parts[numeric] = "{}";
            indicesByPattern.computeIfAbsent(String.join(".", parts), pattern -> new TreeSet<>()).add(index);
        }
        for (Map.Entry<String, TreeSet<Long>> entry : indicesByPattern.entrySet()) {
            if (entry.getValue() == null) {
                summary.add(entry.getKey());
            }
            else if (entry.getValue().size() == 1) {
                summary.add(entry.getKey().replace("{}", String.valueOf(entry.getValue().first())));
            }
            else {
                summary.add(entry.getKey().replace("{}", "{" + ranges(entry.getValue()) + "}"));
            }
        }
        return List.copyOf(summary);
    }

    private static String ranges(TreeSet<Long> indices) {
        List<String> ranges = new ArrayList<>();
        Long start = null;
        Long previous = null;
        for (long index : indices) {
            if (start == null) {
                start = index;
            }
            else if (index != previous + 1) {
                ranges.add(range(start, previous));
                start = index;
            }
            previous = index;
        }
        ranges.add(range(start, previous));
        return String.join(",", ranges);
    }

    private static String range(long start, long end) {
        return start == end ? String.valueOf(start) : start + ".." + end;
    }
}
