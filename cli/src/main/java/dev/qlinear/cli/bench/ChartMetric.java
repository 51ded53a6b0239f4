package dev.qlinear.cli.bench;

/** What a bench chart plots against M. */
public enum ChartMetric {
    SPEEDUP("speed-up over cuBLAS fp16", "speed-up (cuBLAS time / time)"),
    BANDWIDTH("achieved bandwidth", "GB/s (bytes moved / time)");

    private final String title;
    private final String axisTitle;

    ChartMetric(String title, String axisTitle) {
        this.title = title;
        this.axisTitle = axisTitle;
    }

    public String title() {
        return title;
    }

    public String axisTitle() {
        return axisTitle;
    }
}
