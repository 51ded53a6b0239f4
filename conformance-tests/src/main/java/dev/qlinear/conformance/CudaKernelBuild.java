package dev.qlinear.conformance;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Whether a CUDA plugin's build could compile its kernels here, for the plugin's own tests of its jar: the build
 * ({@code plugins/build-cuda.sh}) makes no kernel images where it finds no nvcc, and still passes, so tests of the
 * images are skipped there and tests of the suite expect "not built" refusals instead.
 */
public final class CudaKernelBuild {

    private CudaKernelBuild() {
    }

    /** Where {@code plugins/build-cuda.sh} looks for nvcc: {@code $NVCC}, else PATH, {@code $CUDA_HOME/bin}, {@code /usr/local/cuda/bin}. */
    public static Optional<Path> nvcc() {
        String explicit = System.getenv("NVCC");
        List<Path> candidates = new ArrayList<>();
        if (explicit != null && !explicit.isBlank()) {
            candidates.add(Path.of(explicit));
        }
        else {
            for (String directory : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!directory.isBlank()) {
                    candidates.add(Path.of(directory, "nvcc"));
                }
            }
            String cudaHome = System.getenv("CUDA_HOME");
            if (cudaHome != null && !cudaHome.isBlank()) {
                candidates.add(Path.of(cudaHome, "bin", "nvcc"));
            }
            candidates.add(Path.of("/usr/local/cuda/bin/nvcc"));
        }
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    /** Skips the calling test where the build made no kernel images. */
    public static void assumeImagesWereBuilt() {
        assumeTrue(nvcc().isPresent(), "nvcc is not on this machine ($NVCC, PATH, $CUDA_HOME/bin, /usr/local/cuda/bin): the build made no kernel images, "
                + "as designed; run the build where nvcc is to check them");
    }
}
