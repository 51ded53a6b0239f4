package dev.qlinear.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestBenchChart {

    @TempDir
    Path folder;

    @Test
    void drawsAPngOfTheRequestedSizeWithALinePerKernel() throws IOException {
        Path file = folder.resolve("speedup.png");

        ChartSupport.draw(BenchFixture.report(), ChartMetric.SPEEDUP, 900, 640, file);

        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image.getWidth()).isEqualTo(900);
        assertThat(image.getHeight()).isEqualTo(640);
        Set<Integer> colors = colors(image);
        // the kernel's markers in the palette's first colour, the cuBLAS reference line in grey
        assertThat(colors).contains(0x4E79A7, 0x808080);
        assertThat(colors.size()).isGreaterThan(20);
    }

    @Test
    void drawsBandwidthWithEveryBaseline() throws IOException {
        Path file = folder.resolve("bandwidth.png");

        ChartSupport.draw(BenchFixture.report(), ChartMetric.BANDWIDTH, 1200, 500, file);

        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image.getWidth()).isEqualTo(1200);
        assertThat(image.getHeight()).isEqualTo(500);
        // cuBLAS is the second series: its markers are drawn only on the bandwidth chart
        assertThat(colors(image)).contains(0x4E79A7, 0xF28E2B);
    }

    @Test
    void aReportWithoutRowsHasNothingToDraw() {
        BenchReport empty = new BenchReport(BenchFixture.header(), BenchFixture.report().copy(), List.of(), List.of(),
                List.of(), List.of());

        assertThatThrownBy(() -> ChartSupport.draw(empty, ChartMetric.SPEEDUP, 800, 600, folder.resolve("empty.png")))
                .hasMessage("the report has no rows to chart as speed-up over cuBLAS fp16");
    }

    @Test
    void thisJdkCanDrawAndTheBundleHintNamesTheCommand() {
        assertThat(ChartSupport.unavailable()).isEmpty();
        assertThat(ChartSupport.howToDraw(Path.of("out", "bench.json")))
                .endsWith("./qlinear bench chart " + Path.of("out", "bench.json") + " --out " + Path.of("out", "bench.png"));
    }

    private static Set<Integer> colors(BufferedImage image) {
        Set<Integer> colors = new HashSet<>();
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                colors.add(image.getRGB(x, y) & 0xFFFFFF);
            }
        }
        return colors;
    }
}
