package dev.qlinear.core.testing;

import java.nio.file.Path;

/** The two well-behaved test plugins every selection test installs: alpha (fast-w4, portable-w4) and gamma (exl-w4, fp8-ptpc). */
public final class TestPluginsFolder {

    private TestPluginsFolder() {
    }

    public static Path withGoodPlugins(Path folder) {
        PluginJarBuilder.plugin("alpha").buildInto(folder, "alpha-1.0.0.jar");
        PluginJarBuilder.plugin("gamma").buildInto(folder, "gamma-1.0.0.jar");
        return folder;
    }
}
