package dev.qlinear.aiterfp8;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One row of aiter's tuned-GEMM CSV: the instance and split aiter's tuner found fastest for one shape on one GPU model.
 *
 * @param gfx the GPU architecture, such as {@code gfx942}; empty in files older than the column
 * @param computeUnits {@code cu_num}: 304 on an MI300X, 80 on an MI308X
 * @param m rows of the activation the shape was tuned for
 * @param n output features
 * @param k input features
 * @param weightType {@code q_dtype_w}, the torch dtype of the weight, such as {@code torch.float8_e4m3fnuz}
 * @param libtype the kernel library: {@code ck}, {@code cktile}, {@code asm}, ...
 * @param kernelId the instance within its library
 * @param splitK the split of K ({@code 0} or {@code 1}: none)
 * @param kernelName the instance's name, for diagnostics; empty when the column is missing
 */
record TunedGemmRow(Optional<String> gfx, int computeUnits, int m, int n, int k, String weightType, String libtype, int kernelId, int splitK,
        String kernelName) {

    TunedGemmRow {
        requireNonNull(gfx, "gfx is null");
        requireNonNull(weightType, "weightType is null");
        requireNonNull(libtype, "libtype is null");
        requireNonNull(kernelName, "kernelName is null");
    }
}
