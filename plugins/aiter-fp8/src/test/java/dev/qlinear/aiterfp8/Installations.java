package dev.qlinear.aiterfp8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * aiter installations in a temporary folder, laid out as {@code build-shim.sh} leaves them: the source tree's
 * {@value AiterInstallation#TUNED_GEMM_CSV} and, in {@code qlinear/}, the kernel list and the shim. The shim is an empty
 * file where asked: enough to be found, never run.
 */
final class Installations {

    static final String HEADER = "gfx,cu_num,M,N,K,q_dtype_w,libtype,kernelId,splitK,us,kernelName,tflops,bw,errRatio";
    /** The shape tuned in {@link #TUNED}: N=704, K=576, at M 1, 16, 64 and 256. */
    static final List<String> TUNED = List.of(HEADER,
            "gfx942,304,1,704,576,torch.float8_e4m3fnuz,ck,3,0,3.1,a8w8_bpreshuffle_64x16x64x256,0.3,130.9,0.0",
            "gfx942,304,16,704,576,torch.float8_e4m3fnuz,ck,7,2,3.4,a8w8_bpreshuffle_128x32x64x256,3.8,124.4,0.0",
            "gfx942,304,64,704,576,torch.float8_e4m3fnuz,ck,12,0,4.0,a8w8_bpreshuffle_256x64x128x128,13.0,121.4,0.0",
            "gfx942,304,256,704,576,torch.float8_e4m3fnuz,ck,18,0,6.2,a8w8_bpreshuffle_256x128x128x128,33.5,163.9,0.0",
            "gfx950,256,1,704,576,torch.float8_e4m3fn,ck,3,0,2.9,a8w8_bpreshuffle_64x16x64x256,0.3,140.0,0.0");
    static final List<String> KERNELS = List.of("3", "7", "12", "18");

    private Installations() {
    }

    /** An installation at {@code home}: the CSV and kernel list when given, the shim when {@code shim}. */
    static Path lay(Path home, List<String> csv, List<String> kernels, boolean shim) {
        try {
            Files.createDirectories(home.resolve("aiter/configs"));
            Files.createDirectories(home.resolve("qlinear"));
            if (csv != null) {
                Files.write(home.resolve(AiterInstallation.TUNED_GEMM_CSV), csv);
            }
            if (kernels != null) {
                Files.write(home.resolve("qlinear/kernels.list"), kernels);
            }
            if (shim) {
                Files.createFile(home.resolve("qlinear/libqlinear_aiter_fp8.so"));
            }
            return home;
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A complete installation with {@link #TUNED} and {@link #KERNELS}. */
    static Path complete(Path home) {
        return lay(home, TUNED, KERNELS, true);
    }

    /** Settings naming the installation in {@value AiterSettings#AITER_HOME}, aiter on. */
    static AiterSettings settings(Path home) {
        return AiterSettings.fromEnvironment(Map.of(AiterSettings.AITER_HOME, home.toString()));
    }

    /** The fixture installation of {@code src/test/aiter-home}: tuned for the conformance suite's shapes, no shim. */
    static Path fixture() {
        return Path.of(System.getProperty("aiter.fixture.home", "src/test/aiter-home")).toAbsolutePath();
    }
}
