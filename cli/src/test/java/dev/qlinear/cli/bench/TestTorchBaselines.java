package dev.qlinear.cli.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

final class TestTorchBaselines {

    @TempDir
    Path folder;

    /** What bench/torch_baselines.py writes: the schema of bench/README.md, §9.3's FP8 times. */
    private Path torchFile(String device) throws IOException {
        Path file = folder.resolve("torch.json");
        Files.writeString(file, """
                {
                  "schema": "qlinear-torch-baselines/1",
                  "date": "2026-11-21T15:05:00Z",
                  "device": "%s",
                  "torch": "2.11.0+cu130",
                  "cuda": "13.0",
                  "l2Bytes": 52428800,
                  "rotateBytes": 209715200,
                  "rows": [
                    {"source": "torch-fp8-rowwise", "n": 6144, "k": 4096, "m": 1, "medianMicros": 23.1, "p10Micros": 22.9, "p90Micros": 23.6, "samples": 30, "callsPerSample": 10},
                    {"source": "torch-fp16", "n": 6144, "k": 4096, "m": 1, "medianMicros": 29.0, "p10Micros": 28.8, "p90Micros": 29.5, "samples": 30, "callsPerSample": 10},
                    {"source": "torch-fp8-rowwise", "n": 8192, "k": 8192, "m": 16, "medianMicros": 40.0, "p10Micros": 39.0, "p90Micros": 41.0, "samples": 30, "callsPerSample": 10}
                  ],
                  "skipped": [
                    {"source": "torch-fp8-rowwise", "n": 4096, "k": 2112, "m": 1, "reason": "RuntimeException: K must be a multiple of 16"}
                  ]
                }
                """.formatted(device));
        return file;
    }

    @Test
    void mergesTorchRowsIntoTheReportsTables() throws IOException {
        BenchReport merged = TorchBaselines.read(torchFile("NVIDIA H100 80GB HBM3")).mergeInto(BenchFixture.report());

        Measurement fp8 = merged.rows().stream()
                .filter(row -> row.source() == Source.TORCH_FP8_ROWWISE && row.layer().equals(BenchFixture.QKV) && row.m() == 1).findFirst().orElseThrow();
        assertThat(fp8.bytes()).isEqualTo(6144L * 4096 + 4 * 6144 + 4096 + 4 + 2 * 6144);
        assertThat(merged.speedupVsCublas(fp8).getAsDouble()).isCloseTo(29.3 / 23.1, within(1e-12));
        assertThat(merged.rows()).hasSize(BenchFixture.report().rows().size() + 3);
        // a layer only torch measured gets its own table, without a cuBLAS speed-up
        assertThat(merged.layers()).containsExactly(BenchFixture.QKV, BenchFixture.AWKWARD, new LayerKey(8192, 8192));
        assertThat(merged.notes()).anyMatch(note -> note.startsWith("torch baselines: torch 2.11.0+cu130 on NVIDIA H100 80GB HBM3"))
                .anyMatch(note -> note.contains("torch skipped torch-fp8-rowwise 4096x2112 M=1: RuntimeException: K must be a multiple of 16"))
                .noneMatch(note -> note.contains("compare with care"));

        String markdown = BenchMarkdown.render(merged);
        assertThat(markdown).contains("| 1 | torch._scaled_mm fp8 row-wise | PTPC | 23.1 | 22.9 | 23.6 | 2.2 | 25.2 | 1091 | 36 | 1.27× |");
        assertThat(markdown).contains("| torch._scaled_mm fp8 row-wise | 6144x4096 (llama3-8b qkv) | 1.27× | – | – | – |");
    }

    @Test
    void mergingTwiceReplacesTheEarlierRows() throws IOException {
        TorchBaselines torch = TorchBaselines.read(torchFile("NVIDIA H100 80GB HBM3"));

        BenchReport twice = torch.mergeInto(torch.mergeInto(BenchFixture.report()));

        assertThat(twice.rows()).hasSize(BenchFixture.report().rows().size() + 3);
    }

    @Test
    void warnsWhenTorchRanOnAnotherDevice() throws IOException {
        BenchReport merged = TorchBaselines.read(torchFile("NVIDIA H200")).mergeInto(BenchFixture.report());

        assertThat(merged.notes()).contains("the torch baselines were measured on NVIDIA H200, not on NVIDIA H100 80GB HBM3: compare with care");
    }

    @Test
    void refusesAnotherSchemaAndUnknownSources() throws IOException {
        Path file = torchFile("NVIDIA H100 80GB HBM3");
        Files.writeString(file, Files.readString(file).replace("\"torch-fp16\"", "\"cublas-fp16\""));
        assertThatThrownBy(() -> TorchBaselines.read(file)).hasMessage("torch baselines torch.json.rows[1].source is 'cublas-fp16', expected torch-fp16 or torch-fp8-rowwise");

        Files.writeString(file, Files.readString(file).replace("qlinear-torch-baselines/1", "qlinear-torch-baselines/9"));
        assertThatThrownBy(() -> TorchBaselines.read(file)).hasMessageContaining("schema is 'qlinear-torch-baselines/9', expected 'qlinear-torch-baselines/1'");
    }
}
