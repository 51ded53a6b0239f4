package dev.qlinear.cli.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layers {@code --shapes} names: presets (KERNELS.md §9.4) and explicit {@code NxK} items, N output and K input
 * features, as in a PyTorch weight's shape.
 */
final class ShapeLists {

    static final List<BenchShape> LLAMA3_8B = List.of(
            BenchShape.named(6144, 4096, "llama3-8b qkv"),
            BenchShape.named(4096, 4096, "llama3-8b o"),
            BenchShape.named(28672, 4096, "llama3-8b gate_up"),
            BenchShape.named(4096, 14336, "llama3-8b down"));

    static final List<BenchShape> LLAMA3_70B = List.of(
            BenchShape.named(10240, 8192, "llama3-70b qkv"),
            BenchShape.named(8192, 8192, "llama3-70b o"),
            BenchShape.named(57344, 8192, "llama3-70b gate_up"),
            BenchShape.named(8192, 28672, "llama3-70b down"));

    /** Dimensions that break 128-alignment rules: K with a power-of-two divisor of 64 or 16, N = 2112 or 4224. */
    static final List<BenchShape> AWKWARD = List.of(
            BenchShape.named(4096, 2112, "gemma-4 down, K=2112"),
            BenchShape.named(2112, 7168, "deepseek-v3 N=2112"),
            BenchShape.named(4224, 4160, "N=4224, K=4160 (machete test shape)"),
            BenchShape.named(8192, 14784, "qwen2.5-72b down TP2, K=14784"),
            BenchShape.named(8192, 3696, "qwen2.5-72b down TP8, K=3696"));

    static final Map<String, List<BenchShape>> PRESETS = presets();

    private static final Pattern EXPLICIT = Pattern.compile("([0-9]+)[xX×]([0-9]+)");

    private ShapeLists() {
    }

    private static Map<String, List<BenchShape>> presets() {
        Map<String, List<BenchShape>> presets = new LinkedHashMap<>();
        presets.put("llama3-8b", LLAMA3_8B);
        presets.put("llama3-70b", LLAMA3_70B);
        presets.put("awkward", AWKWARD);
        List<BenchShape> all = new ArrayList<>();
        all.addAll(LLAMA3_8B);
        all.addAll(LLAMA3_70B);
        all.addAll(AWKWARD);
        presets.put("all", List.copyOf(all));
        return Collections.unmodifiableMap(presets);
    }

    /** The shapes of the items, in order, each layer once (the first name wins). */
    static List<BenchShape> parse(List<String> items) {
        Map<LayerKey, BenchShape> shapes = new LinkedHashMap<>();
        for (String item : items) {
            for (BenchShape shape : parseItem(item)) {
                shapes.putIfAbsent(shape.layer(), shape);
            }
        }
        if (shapes.isEmpty()) {
            throw new IllegalArgumentException("--shapes names no layer; use " + String.join(", ", PRESETS.keySet()) + " or NxK items");
        }
        return List.copyOf(shapes.values());
    }

    private static List<BenchShape> parseItem(String raw) {
        String item = raw.trim().toLowerCase(Locale.ROOT);
        List<BenchShape> preset = PRESETS.get(item);
        if (preset != null) {
            return preset;
        }
        Matcher matcher = EXPLICIT.matcher(item);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("shape '" + raw + "' is neither a preset (" + String.join(", ", PRESETS.keySet())
                    + ") nor NxK with two positive integers, such as 4096x14336");
        }
        Optional<Integer> n = positive(matcher.group(1));
        Optional<Integer> k = positive(matcher.group(2));
        if (n.isEmpty() || k.isEmpty()) {
            throw new IllegalArgumentException("shape '" + raw + "' needs N and K between 1 and " + Integer.MAX_VALUE);
        }
        return List.of(new BenchShape(new LayerKey(n.get(), k.get()), Optional.empty()));
    }

    private static Optional<Integer> positive(String digits) {
        try {
            int value = Integer.parseInt(digits);
            return value >= 1 ? Optional.of(value) : Optional.empty();
        }
        catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
