package dev.qlinear.conformance;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The suite over a plugins folder, as {@link ConformanceLauncher} and {@code qlinear conformance} run it: the folder
 * and the plugin come from {@value ConformanceSettings#PLUGINS} and {@value ConformanceSettings#PLUGIN}.
 */
@ExtendWith(ConformanceSettingsResolver.class)
public final class PluginsFolderConformance {

    @TestFactory
    @DisplayName("qlinear conformance")
    public Stream<DynamicNode> conformance(ConformanceSettings settings, TestReporter reporter) {
        Path folder = settings.pluginsFolder().orElseThrow(() -> new IllegalArgumentException(
                ConformanceSettings.PLUGINS + " is not set: the suite needs the plugins folder to test"));
        return ConformanceSuite.dynamicTests(KernelSource.pluginsFolder(folder, settings.pluginId()), Sweep.defaults(), settings, reporter);
    }
}
