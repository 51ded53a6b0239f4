package dev.qlinear.core.cuda;

import dev.qlinear.core.cuda.blas.Cublas;
import dev.qlinear.core.cuda.blas.CublasAvailability;
import dev.qlinear.core.reference.FloatCodec;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.device.DenseGemm;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.Random;
import java.util.stream.Stream;

import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** cuBLAS through FFM against a double-precision host reference, on a real CUDA device. */
@Tag("gpu")
final class TestCublasGemm {

    private static final int N = 256;
    private static final int K = 512;
    /** Rows of {@code a} are views into a wider buffer: a row stride of K + 64. */
    private static final int A_ROW_STRIDE = K + 64;

    private final Random random = new Random(1121);
    private final Object owner = new Object();
    private CudaDevice device;
    private DenseGemm gemm;
    private Arena arena;

    @BeforeEach
    void openCublas() {
        device = GpuTestSupport.device();
        CublasAvailability availability = Cublas.availability();
        assumeTrue(availability instanceof CublasAvailability.Loaded, () -> "no cuBLAS: " + ((CublasAvailability.Missing) availability).reason());
        gemm = device.denseGemm().orElseThrow();
        arena = Arena.ofConfined();
    }

    @AfterEach
    void release() {
        if (gemm != null) {
            device.release(owner);
            arena.close();
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(ScalarType.FLOAT16, ScalarType.BFLOAT16).flatMap(dtype -> Stream.of(1, 17, 64).map(m -> Arguments.of(dtype, m)));
    }

    @ParameterizedTest(name = "{0} M={1} N=256 K=512, strided rows of a")
    @MethodSource("cases")
    void multipliesLikeTheHostReference(ScalarType dtype, int m) {
        FloatCodec codec = FloatCodec.of(dtype);
        HostTensor aWide = randomMatrix(codec, m, A_ROW_STRIDE);
        HostTensor b = randomMatrix(codec, K, N);
        CudaTensor aWideOnDevice = device.allocate(owner, dtype, m, A_ROW_STRIDE);
        CudaTensor bOnDevice = device.allocate(owner, dtype, K, N);
        CudaTensor out = device.allocate(owner, dtype, m, N);
        try (CudaStream stream = device.newStream()) {
            device.copy(aWide, aWideOnDevice, stream);
            device.copy(b, bOnDevice, stream);
            device.fill(out, 0x7FFF, stream);

            gemm.multiply(aWideOnDevice.view(32, new long[] {m, K}, new long[] {A_ROW_STRIDE, 1}), bOnDevice, out, stream);

            HostTensor result = HostTensor.allocate(arena, dtype, m, N);
            device.copy(out, result, stream);
            double outputEpsilon = Math.pow(2, -dtype.mantissaBits());
            for (int row = 0; row < m; row++) {
                for (int column = 0; column < N; column++) {
                    double expected = 0;
                    double magnitude = 0;
                    for (int k = 0; k < K; k++) {
                        double product = value(codec, aWide, row * A_ROW_STRIDE + 32 + k) * value(codec, b, k * N + column);
                        expected += product;
                        magnitude += Math.abs(product);
                    }
                    double actual = value(codec, result, row * N + column);
                    // rounding of the output, plus float32 accumulation over K terms
                    double tolerance = outputEpsilon * Math.abs(expected) + 5e-5 * magnitude;
                    assertThat(actual).as("out[%d, %d] in %s", row, column, dtype).isCloseTo(expected, org.assertj.core.data.Offset.offset(tolerance));
                }
            }
        }
    }

    @Test
    void aMultiplicationCanBeCapturedIntoAGraph() {
        FloatCodec codec = FloatCodec.FLOAT16;
        CudaTensor a = device.allocate(owner, ScalarType.FLOAT16, 17, K);
        CudaTensor b = device.allocate(owner, ScalarType.FLOAT16, K, N);
        CudaTensor direct = device.allocate(owner, ScalarType.FLOAT16, 17, N);
        CudaTensor captured = device.allocate(owner, ScalarType.FLOAT16, 17, N);
        try (CudaStream stream = device.newStream()) {
            device.copy(randomMatrix(codec, 17, K), a, stream);
            device.copy(randomMatrix(codec, K, N), b, stream);
            device.fill(captured, 0x7E00, stream);
            // the first call creates the handle and the stream's cuBLAS workspace, which capture cannot
            gemm.multiply(a, b, direct, stream);

            try (CudaGraph graph = device.capture(stream, () -> gemm.multiply(a, b, captured, stream))) {
                graph.replay(stream);
            }

            HostTensor directBack = HostTensor.allocate(arena, ScalarType.FLOAT16, 17, N);
            HostTensor capturedBack = HostTensor.allocate(arena, ScalarType.FLOAT16, 17, N);
            device.copy(direct, directBack, stream);
            device.copy(captured, capturedBack, stream);
            assertThat(capturedBack.contentEquals(directBack)).isTrue();
        }
    }

    @Test
    void shapesAndTypesThatDoNotFitAreRefused() {
        CudaTensor a = device.allocate(owner, ScalarType.FLOAT16, 4, K);
        CudaTensor b = device.allocate(owner, ScalarType.FLOAT16, K, N);
        CudaTensor wrongOut = device.allocate(owner, ScalarType.FLOAT16, 4, N + 1);
        CudaTensor bf16Out = device.allocate(owner, ScalarType.BFLOAT16, 4, N);
        CudaStream stream = device.defaultStream();

        assertThatThrownBy(() -> gemm.multiply(a, b, wrongOut, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("out[M, N] = a[M, K] * b[K, N] does not fit a[4, 512], b[512, 256], out[4, 257]");
        assertThatThrownBy(() -> gemm.multiply(a, b, bf16Out, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got a float16, b float16, out bfloat16");
        assertThatThrownBy(() -> gemm.multiply(a, b.view(0, new long[] {K, N / 2}, new long[] {N, 2}), device.allocate(owner, ScalarType.FLOAT16, 4, N / 2), stream))
                .hasMessageContaining("must be contiguous");
    }

    private HostTensor randomMatrix(FloatCodec codec, int rows, int columns) {
        HostTensor tensor = HostTensor.allocate(arena, codec.type(), rows, columns);
        for (long i = 0; i < (long) rows * columns; i++) {
            double value = random.nextDouble(-1, 1);
            tensor.segment().setAtIndex(JAVA_SHORT, i, (short) codec.encode(value == 0 ? 0.5 : value));
        }
        return tensor;
    }

    private static double value(FloatCodec codec, HostTensor tensor, long index) {
        return codec.decode(tensor.segment().getAtIndex(JAVA_SHORT, index) & 0xFFFF);
    }
}
