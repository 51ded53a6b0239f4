package dev.qlinear.cli.bench;

import dev.qlinear.spi.config.LayerKind;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * {@code bench.png}: one panel per layer, a line per kernel and baseline against M (log scale), under a title with the
 * device and the date. Only the chart command loads this class: it needs java.desktop and XChart, which the GPU
 * bundle leaves out.
 */
final class BenchChart {

    /** Tableau 10: distinguishable in print and for the common colour-vision deficiencies. */
    private static final List<Color> PALETTE = List.of(new Color(0x4E79A7), new Color(0xF28E2B), new Color(0xE15759), new Color(0x76B7B2),
            new Color(0x59A14F), new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F), new Color(0xBAB0AC));
    private static final int HEADER_HEIGHT = 70;
    private static final BasicStroke DASHED = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private BenchChart() {
    }

    static void write(BenchReport report, ChartMetric metric, int width, int height, Path file) throws IOException {
        List<LayerKey> layers = report.layers().stream().filter(layer -> !points(report, metric, layer).isEmpty()).toList();
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("the report has no rows to chart as " + metric.title());
        }
        int columns = (int) Math.ceil(Math.sqrt(layers.size()));
        int rows = (layers.size() + columns - 1) / columns;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D graphics = image.createGraphics();
        try {
            graphics.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            graphics.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            graphics.setColor(Color.WHITE);
            graphics.fillRect(0, 0, width, height);
            graphics.setColor(Color.BLACK);
            graphics.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
            graphics.drawString(title(report, metric), 12, 28);
            legend(graphics, report, metric, 12, 56);
            int panelWidth = width / columns;
            int panelHeight = Math.max(1, (height - HEADER_HEIGHT) / rows);
            for (int i = 0; i < layers.size(); i++) {
                XYChart chart = panel(report, metric, layers.get(i), panelWidth, panelHeight);
                Graphics2D cell = (Graphics2D) graphics.create((i % columns) * panelWidth, HEADER_HEIGHT + (i / columns) * panelHeight, panelWidth, panelHeight);
                try {
                    chart.paint(cell, panelWidth, panelHeight);
                }
                finally {
                    cell.dispose();
                }
            }
        }
        finally {
            graphics.dispose();
        }
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("this Java runtime has no PNG writer");
        }
    }

    private static String title(BenchReport report, ChartMetric metric) {
        BenchSettings settings = report.header().settings();
        List<String> layers = new ArrayList<>();
        if (settings.kinds().includes(LayerKind.WEIGHT_ONLY)) {
            layers.add(settings.weightType().name() + ", " + settings.activationType().name());
        }
        if (settings.kinds().includes(LayerKind.SCALED_MM)) {
            layers.add("fp8 PTPC, " + ScaledMmLayers.INPUT_TYPE.name());
        }
        return metric.title() + " vs M: " + report.header().device().name() + ", " + DATE.format(report.header().date()) + " (" + String.join("; ", layers) + ")";
    }

    private static XYChart panel(BenchReport report, ChartMetric metric, LayerKey layer, int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height)
                .title(layer + report.layerName(layer).map(name -> " " + name).orElse(""))
                .xAxisTitle("M (rows of the activation)")
                .yAxisTitle(metric.axisTitle())
                .build();
        XYStyler styler = chart.getStyler();
        styler.setXAxisLogarithmic(true);
        styler.setYAxisMin(0.0);
        styler.setYAxisDecimalPattern(metric == ChartMetric.SPEEDUP ? "0.00" : "#,##0");
        styler.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        styler.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
        styler.setPlotBackgroundColor(Color.WHITE);
        // one legend for all panels, under the title: a series has the same colour in every panel
        styler.setLegendVisible(false);
        styler.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        styler.setChartBackgroundColor(Color.WHITE);
        List<Series> all = report.series();
        double[] ms = points(report, metric, layer).stream().mapToDouble(Measurement::m).distinct().sorted().toArray();
        for (Series series : all) {
            if (metric == ChartMetric.SPEEDUP && series.source() == Source.CUBLAS_FP16) {
                continue;
            }
            List<Measurement> rows = report.rows(layer).stream().filter(row -> row.series().equals(series)).toList();
            double[] x = rows.stream().mapToDouble(Measurement::m).toArray();
            double[] y = rows.stream().mapToDouble(row -> value(report, metric, row).orElse(Double.NaN)).toArray();
            if (x.length == 0 || Arrays.stream(y).allMatch(Double::isNaN)) {
                continue;
            }
            XYSeries line = chart.addSeries(series.title(), x, y);
            Color color = PALETTE.get(all.indexOf(series) % PALETTE.size());
            line.setLineColor(color);
            line.setMarkerColor(color);
            line.setMarker(series.source().isBaseline() ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
        }
        if (ms.length > 0) {
            double level = metric == ChartMetric.SPEEDUP ? 1.0 : report.copy().gigabytesPerSecond();
            double[] flat = new double[ms.length];
            Arrays.fill(flat, level);
            XYSeries reference = chart.addSeries(referenceTitle(metric), ms, flat);
            reference.setLineColor(Color.GRAY);
            reference.setMarker(SeriesMarkers.NONE);
            reference.setLineStyle(DASHED);
        }
        return chart;
    }

    /** A swatch and the title of every series drawn, then the dashed reference line. */
    private static void legend(Graphics2D graphics, BenchReport report, ChartMetric metric, int x, int baseline) {
        graphics.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        List<Series> all = report.series();
        int at = x;
        for (Series series : all) {
            if (metric == ChartMetric.SPEEDUP && series.source() == Source.CUBLAS_FP16) {
                continue;
            }
            Color color = PALETTE.get(all.indexOf(series) % PALETTE.size());
            graphics.setColor(color);
            graphics.setStroke(new BasicStroke(2f));
            graphics.drawLine(at, baseline - 5, at + 28, baseline - 5);
            graphics.fillOval(at + 10, baseline - 9, 8, 8);
            graphics.setColor(Color.BLACK);
            graphics.drawString(series.title(), at + 34, baseline);
            at += 34 + graphics.getFontMetrics().stringWidth(series.title()) + 28;
        }
        graphics.setColor(Color.GRAY);
        graphics.setStroke(DASHED);
        graphics.drawLine(at, baseline - 5, at + 28, baseline - 5);
        graphics.setColor(Color.BLACK);
        graphics.drawString(referenceTitle(metric), at + 34, baseline);
    }

    private static String referenceTitle(ChartMetric metric) {
        return metric == ChartMetric.SPEEDUP ? "cuBLAS fp16 (1×)" : "device-to-device copy";
    }

    private static List<Measurement> points(BenchReport report, ChartMetric metric, LayerKey layer) {
        return report.rows(layer).stream().filter(row -> value(report, metric, row).isPresent()).toList();
    }

    private static OptionalDouble value(BenchReport report, ChartMetric metric, Measurement row) {
        return switch (metric) {
            case SPEEDUP -> row.source() == Source.CUBLAS_FP16 ? OptionalDouble.empty() : report.speedupVsCublas(row);
            case BANDWIDTH -> OptionalDouble.of(row.gigabytesPerSecond());
        };
    }
}
