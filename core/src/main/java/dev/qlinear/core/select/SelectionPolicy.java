package dev.qlinear.core.select;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * What the user says about kernels, on top of declared priorities.
 *
 * <ul>
 *   <li>disabled: never selected, shown as refused "disabled by" where the setting came from;</li>
 *   <li>preferred: tried before every other kernel, in the order given, where they can run the layer;</li>
 *   <li>forced: the only kernel considered for layers of its kind (a weight-only kernel forced does not affect
 *       FP8 layers); a forced kernel that cannot run a layer is an error, never a silent downgrade.</li>
 * </ul>
 *
 * @param disabled kernel id to the setting that disabled it, such as {@code QLINEAR_DISABLED_KERNELS}
 * @param preferred kernel ids in order of preference
 * @param forced kernel ids forced, at most one per layer kind
 */
public record SelectionPolicy(Map<String, String> disabled, List<String> preferred, Set<String> forced) {

    public static final String DISABLED_ENV = "QLINEAR_DISABLED_KERNELS";
    public static final String PREFERRED_ENV = "QLINEAR_PREFERRED_KERNELS";
    public static final String FORCED_ENV = "QLINEAR_FORCED_KERNELS";
    public static final String DISABLED_PROPERTY = "qlinear.kernels.disabled";
    public static final String PREFERRED_PROPERTY = "qlinear.kernels.preferred";
    public static final String FORCED_PROPERTY = "qlinear.kernels.forced";

    private static final SelectionPolicy DEFAULT = new SelectionPolicy(Map.of(), List.of(), Set.of());

    public SelectionPolicy {
        disabled = Map.copyOf(requireNonNull(disabled, "disabled is null"));
        preferred = List.copyOf(requireNonNull(preferred, "preferred is null"));
        forced = Set.copyOf(requireNonNull(forced, "forced is null"));
        disabled.keySet().forEach(SelectionPolicy::checkId);
        preferred.forEach(SelectionPolicy::checkId);
        forced.forEach(SelectionPolicy::checkId);
        for (String id : forced) {
            if (disabled.containsKey(id)) {
                throw new IllegalArgumentException("kernel '" + id + "' is both forced and disabled (by " + disabled.get(id) + ")");
            }
        }
        if (preferred.stream().distinct().count() != preferred.size()) {
            throw new IllegalArgumentException("preferred kernels must not repeat, got " + preferred);
        }
    }

    /** No settings: declared priorities decide. */
    public static SelectionPolicy defaults() {
        return DEFAULT;
    }

    /**
     * The policy set by environment variables and system properties. Disabled kernels add up from both; for
     * preferred and forced kernels the system property replaces the environment variable.
     */
    public static SelectionPolicy fromEnvironment(Map<String, String> environment, Properties properties) {
        Map<String, String> disabled = new LinkedHashMap<>();
        ids(environment.get(DISABLED_ENV)).forEach(id -> disabled.putIfAbsent(id, DISABLED_ENV));
        ids(properties.getProperty(DISABLED_PROPERTY)).forEach(id -> disabled.putIfAbsent(id, "-D" + DISABLED_PROPERTY));
        List<String> preferred = Optional.ofNullable(properties.getProperty(PREFERRED_PROPERTY)).or(() -> Optional.ofNullable(environment.get(PREFERRED_ENV)))
                .map(SelectionPolicy::ids).orElse(List.of());
        List<String> forced = Optional.ofNullable(properties.getProperty(FORCED_PROPERTY)).or(() -> Optional.ofNullable(environment.get(FORCED_ENV)))
                .map(SelectionPolicy::ids).orElse(List.of());
        return new SelectionPolicy(disabled, preferred, Set.copyOf(forced));
    }

    /** This policy with more kernels disabled by the named setting. */
    public SelectionPolicy disable(List<String> ids, String source) {
        Map<String, String> more = new LinkedHashMap<>(disabled);
        ids.forEach(id -> more.putIfAbsent(id, source));
        return new SelectionPolicy(more, preferred, forced);
    }

    /** This policy with these kernels preferred first, replacing earlier preferences. */
    public SelectionPolicy prefer(List<String> ids) {
        return new SelectionPolicy(disabled, ids, forced);
    }

    /** This policy with these kernels forced, replacing earlier forced kernels. */
    public SelectionPolicy force(Set<String> ids) {
        return new SelectionPolicy(disabled, preferred, ids);
    }

    /** Splits a comma-separated list of kernel ids, ignoring blanks. */
    public static List<String> ids(String list) {
        if (list == null || list.isBlank()) {
            return List.of();
        }
        List<String> ids = new ArrayList<>();
        Arrays.stream(list.split(",")).map(String::trim).filter(id -> !id.isEmpty()).forEach(ids::add);
        return List.copyOf(ids);
    }

    private static void checkId(String id) {
        if (!id.matches("[a-z0-9][a-z0-9-]{0,63}")) {
            throw new IllegalArgumentException("'" + id + "' is not a kernel id: ids are lower-case letters, digits and dashes");
        }
    }
}
