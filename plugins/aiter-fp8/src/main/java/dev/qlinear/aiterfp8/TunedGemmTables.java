package dev.qlinear.aiterfp8;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import static java.util.Objects.requireNonNull;

/**
 * aiter's tuned-GEMM CSVs and the shim's kernel lists, each file read once for the life of the kernel, and the tables
 * made from them per platform. A file that cannot be read is logged once, as a warning through {@link System.Logger},
 * and gives an empty table that keeps the reason. Safe for concurrent use.
 */
final class TunedGemmTables {

    private static final System.Logger LOG = System.getLogger(TunedGemmTables.class.getName());

    private final ConcurrentMap<Path, Loaded<List<TunedGemmRow>>> csvFiles = new ConcurrentHashMap<>();
    private final ConcurrentMap<Path, Loaded<Set<Integer>>> kernelLists = new ConcurrentHashMap<>();
    private final ConcurrentMap<TableId, TunedGemmTable> tables = new ConcurrentHashMap<>();

    private record TableId(Path csv, Path kernelList, TunedGemmTable.Key key) {
    }

    /** The table of the CSV's rows that the kernel list's instances run on the platform of {@code key}. */
    TunedGemmTable table(Path csv, Path kernelList, TunedGemmTable.Key key) {
        requireNonNull(csv, "csv is null");
        requireNonNull(kernelList, "kernelList is null");
        requireNonNull(key, "key is null");
        return tables.computeIfAbsent(new TableId(csv, kernelList, key), id -> make(id.csv(), id.kernelList(), id.key()));
    }

    private TunedGemmTable make(Path csv, Path kernelList, TunedGemmTable.Key key) {
        Loaded<List<TunedGemmRow>> rows = csvFiles.computeIfAbsent(csv, file -> logged(TunedGemmCsv.read(file)));
        Loaded<Set<Integer>> kernelIds = kernelLists.computeIfAbsent(kernelList, file -> logged(KernelList.read(file)));
        return switch (rows) {
            case Loaded.Unreadable<List<TunedGemmRow>> unreadable -> TunedGemmTable.unreadable(unreadable.why());
            case Loaded.Read<List<TunedGemmRow>> read -> switch (kernelIds) {
                case Loaded.Unreadable<Set<Integer>> unreadable -> TunedGemmTable.unreadable(unreadable.why());
                case Loaded.Read<Set<Integer>> ids -> TunedGemmTable.of(read.contents(), ids.contents(), key);
            };
        };
    }

    private static <T> Loaded<T> logged(Loaded<T> loaded) {
        if (loaded instanceof Loaded.Unreadable<T> unreadable) {
            LOG.log(System.Logger.Level.WARNING, "aiter-fp8 treats every shape as untuned here: " + unreadable.why());
        }
        return loaded;
    }
}
