package dev.qlinear.core.select;

import dev.qlinear.core.plugin.KernelDiscovery;
import dev.qlinear.core.plugin.KernelRegistry;
import dev.qlinear.core.plugin.PluginJarInspector;
import dev.qlinear.core.testing.TestPluginsFolder;
import dev.qlinear.spi.config.LayerConfig;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

final class TestConcurrentSelection {

    private static final int THREADS = 16;
    private static final int SELECTIONS_PER_THREAD = 500;

    @Test
    void manyThreadsGetTheSameDecisionsAsOneThread(@TempDir Path plugins) throws Exception {
        KernelRegistry registry = new KernelDiscovery(new PluginJarInspector()).discover(Optional.of(TestPluginsFolder.withGoodPlugins(plugins)), Optional.empty());
        List<Platform> platforms = List.of(Platform.parse("cuda:sm_80"), Platform.parse("cuda:sm_90"), Platform.parse("rocm:gfx942"), Platform.parse("cpu"));
        List<LayerConfig> layers = new ArrayList<>();
        for (int k : new int[] {576, 2112, 4096, 14336}) {
            for (int groupSize : new int[] {-1, 32, 64}) {
                for (ScalarType activation : List.of(ScalarType.FLOAT16, ScalarType.BFLOAT16)) {
                    for (boolean actOrder : new boolean[] {false, true}) {
                        layers.add(WeightOnlyConfig.unsharded(k, 4096, ScalarType.UINT4B8, activation, groupSize, false, actOrder));
                    }
                }
            }
        }
        List<SelectionPolicy> policies = List.of(SelectionPolicy.defaults(), SelectionPolicy.defaults().disable(List.of("fast-w4"), "--disable"),
                SelectionPolicy.defaults().prefer(List.of("portable-w4")));

        KernelSelector reference = new KernelSelector(registry);
        Map<String, Optional<String>> expected = new ConcurrentHashMap<>();
        for (Platform platform : platforms) {
            for (LayerConfig layer : layers) {
                for (SelectionPolicy policy : policies) {
                    expected.put(key(platform, layer, policy), reference.explain(layer, platform, policy).selectedKernelId());
                }
            }
        }

        long seed = System.nanoTime();
        KernelSelector shared = new KernelSelector(registry);
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<Integer>> tasks = new ArrayList<>();
        for (int thread = 0; thread < THREADS; thread++) {
            Random random = new Random(seed + thread);
            tasks.add(() -> {
                start.await();
                int checked = 0;
                for (int i = 0; i < SELECTIONS_PER_THREAD; i++) {
                    Platform platform = platforms.get(random.nextInt(platforms.size()));
                    LayerConfig layer = layers.get(random.nextInt(layers.size()));
                    SelectionPolicy policy = policies.get(random.nextInt(policies.size()));
                    Optional<String> selected = shared.explain(layer, platform, policy).selectedKernelId();
                    assertThat(selected).as("seed %d: %s", seed, key(platform, layer, policy)).isEqualTo(expected.get(key(platform, layer, policy)));
                    checked++;
                }
                return checked;
            });
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> results = tasks.stream().map(executor::submit).toList();
            start.countDown();
            int total = 0;
            for (Future<Integer> result : results) {
                total += result.get();
            }
            assertThat(total).isEqualTo(THREADS * SELECTIONS_PER_THREAD);
        }
        finally {
            executor.shutdownNow();
        }
        assertThat(expected.values()).as("the layers must exercise both selections and refusals").contains(Optional.empty()).contains(Optional.of("fast-w4"));
    }

    private static String key(Platform platform, LayerConfig layer, SelectionPolicy policy) {
        return platform.spec() + " " + layer + " " + policy;
    }
}
