package dev.qlinear.aiterfp8;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.commons.csv.DuplicateHeaderMode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Reads aiter's tuned-GEMM CSV (columns {@code gfx, cu_num, M, N, K, q_dtype_w, libtype, kernelId, splitK, us,
 * kernelName, tflops, bw, errRatio}; files older than the {@code gfx} column lack it). Every row must have an integer in
 * each of {@link #INTEGER_COLUMNS}: a file with a missing column, a short row or a bad number is unreadable as a whole,
 * with the line and the value named, rather than read in part.
 */
final class TunedGemmCsv {

    static final String GFX = "gfx";
    static final List<String> INTEGER_COLUMNS = List.of("cu_num", "M", "N", "K", "kernelId", "splitK");
    static final List<String> REQUIRED_COLUMNS = List.of("cu_num", "M", "N", "K", "q_dtype_w", "libtype", "kernelId", "splitK");
    private static final String KERNEL_NAME = "kernelName";
    private static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .setTrim(true)
            .setIgnoreEmptyLines(true)
            .setDuplicateHeaderMode(DuplicateHeaderMode.DISALLOW)
            .get();

    private TunedGemmCsv() {
    }

    /** The rows of the file in file order, or why it is unreadable ({@code tuned-GEMM CSV <path> is unreadable: <why>}). */
    static Loaded<List<TunedGemmRow>> read(Path csv) {
        requireNonNull(csv, "csv is null");
        try (CSVParser parser = CSVParser.parse(csv, StandardCharsets.UTF_8, FORMAT)) {
            List<String> header = parser.getHeaderNames();
            List<String> missing = REQUIRED_COLUMNS.stream().filter(column -> !header.contains(column)).toList();
            if (!missing.isEmpty()) {
                return unreadable(csv, "the header " + header + " lacks the column" + (missing.size() == 1 ? " " : "s ") + String.join(", ", missing));
            }
            boolean hasGfx = header.contains(GFX);
            boolean hasKernelName = header.contains(KERNEL_NAME);
            List<TunedGemmRow> rows = new ArrayList<>();
            for (CSVRecord record : parser) {
                long line = parser.getCurrentLineNumber();
                if (!record.isConsistent()) {
                    return unreadable(csv, "line " + line + " has " + record.size() + " values, the header " + header.size());
                }
                int[] numbers = new int[INTEGER_COLUMNS.size()];
                for (int i = 0; i < numbers.length; i++) {
                    String column = INTEGER_COLUMNS.get(i);
                    String value = record.get(column);
                    try {
                        numbers[i] = Integer.parseInt(value);
                    }
                    catch (NumberFormatException e) {
                        return unreadable(csv, "line " + line + ": " + column + " '" + value + "' is not an integer");
                    }
                }
                rows.add(new TunedGemmRow(hasGfx ? Optional.of(record.get(GFX)) : Optional.empty(), numbers[0], numbers[1], numbers[2], numbers[3],
                        record.get("q_dtype_w"), record.get("libtype"), numbers[4], numbers[5], hasKernelName ? record.get(KERNEL_NAME) : ""));
            }
            return new Loaded.Read<>(List.copyOf(rows));
        }
        catch (NoSuchFileException e) {
            return unreadable(csv, "no such file");
        }
        catch (IOException e) {
            return unreadable(csv, e.toString());
        }
        catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            // Commons CSV reports malformed text (an unclosed quote, a duplicate or empty header name) with these
            return unreadable(csv, e.getMessage());
        }
    }

    private static Loaded<List<TunedGemmRow>> unreadable(Path csv, String why) {
        return new Loaded.Unreadable<>("tuned-GEMM CSV " + csv + " is unreadable: " + why);
    }
}
