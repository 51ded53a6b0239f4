package dev.qlinear.core.reference.layouts;

import java.util.List;
import java.util.Optional;

/** The reference packers qlinear knows, by layout name. */
public final class ReferenceLayouts {

    private static final List<ReferenceLayout> LAYOUTS = List.of(new AiterPreshuffleLayout(), new CanonicalLayout(),
            new CpuVectorW4Layout(), new ExllamaLayout(), new MarlinLayout(), new TritonW4a16Layout());

    private ReferenceLayouts() {
    }

    public static Optional<ReferenceLayout> find(String name) {
        return LAYOUTS.stream().filter(layout -> layout.name().equals(name)).findFirst();
    }

    public static List<String> names() {
        return LAYOUTS.stream().map(ReferenceLayout::name).toList();
    }
}
