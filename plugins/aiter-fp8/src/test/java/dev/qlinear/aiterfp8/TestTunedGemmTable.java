package dev.qlinear.aiterfp8;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/** aiter's tuned-GEMM CSV read from real files: the platform's rows, lookup by M, malformed files, reading once. */
final class TestTunedGemmTable {

    private static final TunedGemmTable.Key MI300 = new TunedGemmTable.Key("torch.float8_e4m3fnuz", "gfx942", OptionalInt.empty());
    private static final TunedGemmTable.Key MI300X = new TunedGemmTable.Key("torch.float8_e4m3fnuz", "gfx942", OptionalInt.of(304));
    private static final TunedGemmTable.Key MI308X = new TunedGemmTable.Key("torch.float8_e4m3fnuz", "gfx942", OptionalInt.of(80));
    private static final TunedGemmTable.Key MI350 = new TunedGemmTable.Key("torch.float8_e4m3fn", "gfx950", OptionalInt.empty());

    @TempDir
    Path temp;

    private final List<LogRecord> logged = new ArrayList<>();
    private final Logger logger = Logger.getLogger(TunedGemmTables.class.getName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (logged) {
                logged.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void captureLogs() {
        logger.addHandler(handler);
    }

    @AfterEach
    void releaseLogs() {
        logger.removeHandler(handler);
    }

    private Path csv(String... lines) throws IOException {
        Path file = Files.createTempFile(temp, "tuned", ".csv");
        Files.write(file, List.of(lines));
        return file;
    }

    private Path kernels(String... lines) throws IOException {
        Path file = Files.createTempFile(temp, "kernels", ".list");
        Files.write(file, List.of(lines));
        return file;
    }

    @Test
    void keepsThePlatformsCkRowsOfListedInstancesAndLooksUpTheSmallestTunedMAtLeastM() throws IOException {
        Path file = csv(Installations.TUNED.toArray(String[]::new));

        TunedGemmTable table = new TunedGemmTables().table(file, kernels("3", "7", "12", "18"), MI300);

        assertThat(table.unreadable()).isEmpty();
        assertThat(table.shapeCount()).isEqualTo(1);
        TunedGemmTable.TunedShape shape = table.shape(704, 576).orElseThrow();
        assertThat(shape.byRows().keySet()).containsExactly(1, 16, 64, 256);
        assertThat(shape.lookup(1).kernelId()).isEqualTo(3);
        assertThat(shape.lookup(2).kernelId()).isEqualTo(7);
        assertThat(shape.lookup(16)).isEqualTo(new TunedGemmRow(java.util.Optional.of("gfx942"), 304, 16, 704, 576, "torch.float8_e4m3fnuz", "ck", 7, 2,
                "a8w8_bpreshuffle_128x32x64x256"));
        assertThat(shape.lookup(17).kernelId()).isEqualTo(12);
        assertThat(shape.lookup(256).kernelId()).isEqualTo(18);
        // above the largest tuned M: the largest
        assertThat(shape.lookup(257).kernelId()).isEqualTo(18);
        assertThat(shape.lookup(65536).kernelId()).isEqualTo(18);
        assertThat(table.shape(576, 704)).as("N and K are not interchangeable").isEmpty();
    }

    @Test
    void filtersByDtypeLibtypeKernelListGfxAndTheDevicesComputeUnits() throws IOException {
        Path file = csv(Installations.HEADER,
                "gfx942,304,1,128,256,torch.float8_e4m3fnuz,ck,3,0,1,a,1,1,0",
                "gfx942,304,2,128,256,torch.float8_e4m3fnuz,asm,3,0,1,b,1,1,0",
                "gfx942,304,4,128,256,torch.float8_e4m3fnuz,cktile,3,0,1,c,1,1,0",
                "gfx942,304,8,128,256,torch.float8_e4m3fnuz,ck,99,0,1,d,1,1,0",
                "gfx950,304,16,128,256,torch.float8_e4m3fnuz,ck,3,0,1,e,1,1,0",
                "gfx942,304,32,128,256,torch.float8_e4m3fn,ck,3,0,1,f,1,1,0",
                "gfx942,80,64,128,256,torch.float8_e4m3fnuz,ck,7,0,1,g,1,1,0",
                "gfx942,80,1,128,256,torch.float8_e4m3fnuz,ck,7,0,1,h,1,1,0",
                "gfx950,256,1,128,256,torch.float8_e4m3fn,ck,7,0,1,i,1,1,0");
        Path list = kernels("# compiled into the shim", "3", "", "7");
        TunedGemmTables tables = new TunedGemmTables();

        // a platform written as a spec has no compute units: rows of every MI300 model count, the first in the file for an M
        assertThat(tables.table(file, list, MI300).shape(128, 256).orElseThrow().byRows().values()).extracting(TunedGemmRow::kernelName)
                .containsExactly("a", "g");
        assertThat(tables.table(file, list, MI300X).shape(128, 256).orElseThrow().byRows().values()).extracting(TunedGemmRow::kernelName)
                .containsExactly("a");
        assertThat(tables.table(file, list, MI308X).shape(128, 256).orElseThrow().byRows().values()).extracting(TunedGemmRow::kernelName)
                .containsExactly("h", "g");
        assertThat(tables.table(file, list, MI350).shape(128, 256).orElseThrow().byRows().values()).extracting(TunedGemmRow::kernelName)
                .containsExactly("i");
        assertThat(tables.table(file, kernels("99"), MI300).shape(128, 256).orElseThrow().byRows().values()).extracting(TunedGemmRow::kernelName)
                .containsExactly("d");
        assertThat(tables.table(file, kernels("5"), MI300).shapeCount()).isZero();
    }

    @Test
    void aFileWithoutTheGfxColumnServesEveryArchitectureByDtype() throws IOException {
        Path file = csv("cu_num,M,N,K,q_dtype_w,libtype,kernelId,splitK,us,kernelName,tflops,bw,errRatio",
                "304,1,128,256,torch.float8_e4m3fnuz,ck,3,0,1,old,1,1,0",
                "256,1,128,256,torch.float8_e4m3fn,ck,3,0,1,older,1,1,0");
        Path list = kernels("3");
        TunedGemmTables tables = new TunedGemmTables();

        assertThat(tables.table(file, list, MI300).shape(128, 256).orElseThrow().lookup(1).kernelName()).isEqualTo("old");
        assertThat(tables.table(file, list, MI300).shape(128, 256).orElseThrow().lookup(1).gfx()).isEmpty();
        assertThat(tables.table(file, list, MI350).shape(128, 256).orElseThrow().lookup(1).kernelName()).isEqualTo("older");
    }

    @Test
    void aFileMissingAColumnIsLoggedOnceAndTreatedAsEmptyKeepingTheReason() throws IOException {
        Path file = csv("gfx,cu_num,M,N,K,q_dtype_w,libtype,kernelId,us", "gfx942,304,1,128,256,torch.float8_e4m3fnuz,ck,3,1");
        TunedGemmTables tables = new TunedGemmTables();

        TunedGemmTable table = tables.table(file, kernels("3"), MI300);
        tables.table(file, kernels("3"), MI300X);

        assertThat(table.shapeCount()).isZero();
        assertThat(table.unreadable()).contains("tuned-GEMM CSV " + file + " is unreadable: the header [gfx, cu_num, M, N, K, q_dtype_w, libtype, kernelId, us]"
                + " lacks the column splitK");
        assertThat(logged).singleElement().satisfies(record -> {
            assertThat(record.getLevel()).isEqualTo(Level.WARNING);
            assertThat(record.getMessage()).isEqualTo("aiter-fp8 treats every shape as untuned here: " + table.unreadable().orElseThrow());
        });
    }

    @Test
    void aBadNumberOrAShortRowMakesTheWholeFileUnreadableNamingTheLine() throws IOException {
        Path badNumber = csv(Installations.HEADER, "gfx942,304,1,128,256,torch.float8_e4m3fnuz,ck,3,0,1,a,1,1,0",
                "gfx942,304,1x,128,256,torch.float8_e4m3fnuz,ck,3,0,1,a,1,1,0");
        Path shortRow = csv(Installations.HEADER, "gfx942,304,1,128,256,torch.float8_e4m3fnuz,ck");
        Path unclosedQuote = csv(Installations.HEADER, "gfx942,304,1,128,256,\"torch.float8_e4m3fnuz,ck,3,0,1,a,1,1,0");
        Path list = kernels("3");
        TunedGemmTables tables = new TunedGemmTables();

        assertThat(tables.table(badNumber, list, MI300).unreadable()).contains("tuned-GEMM CSV " + badNumber + " is unreadable: line 3: M '1x' is not an integer");
        assertThat(tables.table(shortRow, list, MI300).unreadable()).contains("tuned-GEMM CSV " + shortRow + " is unreadable: line 2 has 7 values, the header 14");
        assertThat(tables.table(unclosedQuote, list, MI300).unreadable()).hasValueSatisfying(why -> assertThat(why)
                .startsWith("tuned-GEMM CSV " + unclosedQuote + " is unreadable: "));
        assertThat(tables.table(badNumber, list, MI300).shapeCount()).isZero();
        assertThat(logged).hasSize(3);
    }

    @Test
    void anUnreadableKernelListEmptiesTheTableWithItsReason() throws IOException {
        Path list = kernels("3", "ck_7");

        TunedGemmTable table = new TunedGemmTables().table(csv(Installations.TUNED.toArray(String[]::new)), list, MI300);

        assertThat(table.shapeCount()).isZero();
        assertThat(table.unreadable()).contains("aiter shim kernel list " + list + " is unreadable: line 2 'ck_7' is not a kernelId");
    }

    @Test
    void eachFileIsReadOnceForTheLifeOfTheTables() throws IOException {
        Path file = csv(Installations.TUNED.toArray(String[]::new));
        Path list = kernels("3", "7", "12", "18");
        TunedGemmTables tables = new TunedGemmTables();
        TunedGemmTable first = tables.table(file, list, MI300);

        Files.write(file, List.of("not, a, table"));
        Files.write(list, List.of("nothing"));

        assertThat(tables.table(file, list, MI300)).isSameAs(first);
        // another platform's table is made from the rows read the first time
        assertThat(tables.table(file, list, MI300X).shape(704, 576)).isPresent();
        assertThat(new TunedGemmTables().table(file, list, MI300).unreadable()).isPresent();
    }

    @Test
    void concurrentCallersGetOneTable() throws Exception {
        Path file = csv(Installations.TUNED.toArray(String[]::new));
        Path list = kernels("3", "7", "12", "18");
        TunedGemmTables tables = new TunedGemmTables();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<TunedGemmTable>> calls = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                calls.add(() -> tables.table(file, list, MI300));
            }
            List<Future<TunedGemmTable>> results = pool.invokeAll(calls);
            TunedGemmTable first = results.getFirst().get();
            for (Future<TunedGemmTable> result : results) {
                assertThat(result.get()).isSameAs(first);
            }
        }
        finally {
            pool.shutdownNow();
        }
    }
}
