package dev.qlinear.tritonw4a16;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.qlinear.core.device.CpuDevice;
import dev.qlinear.core.weights.HostTensor;
import dev.qlinear.spi.config.WeightOnlyConfig;
import dev.qlinear.spi.device.ExecutionStream;
import dev.qlinear.spi.device.KernelArguments;
import dev.qlinear.spi.device.MemoryKind;
import dev.qlinear.spi.device.Tensor;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonKernel;
import dev.qlinear.spi.triton.TritonKernelInfo;
import dev.qlinear.spi.type.ScalarType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.qlinear.spi.type.ScalarType.BFLOAT16;
import static dev.qlinear.spi.type.ScalarType.FLOAT16;
import static dev.qlinear.spi.type.ScalarType.UINT4;
import static dev.qlinear.spi.type.ScalarType.UINT4B8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The launch contract of {@code w4a16.py}, with the variants as the manifests in the jar describe them and a
 * recording stand-in for the host's loaded kernel: which variant runs, its grid, and every argument in order.
 */
final class TestTritonW4a16Launcher {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CODES = 0x10000;
    private static final long SCALES = 0x20000;
    private static final long ZERO_POINTS = 0x30000;
    private static final long BIAS = 0x40000;
    private static final long X = 0x100000;
    private static final long OUT = 0x200000;

    @Test
    void theArgumentIndicesAreThoseOfEveryManifest() throws IOException {
        for (String variant : TritonW4a16Variants.all()) {
            List<String> names = info(variant).parameterNames();
            if (variant.startsWith("w4a16_reduce_")) {
                assertThat(names).as(variant).containsExactly("partials_ptr", "bias_ptr", "out_ptr", "M", "N", "stride_om", "splits", "has_bias");
                assertThat(names.get(TritonW4a16Launcher.REDUCE_SPLITS)).isEqualTo("splits");
                assertThat(names.get(TritonW4a16Launcher.REDUCE_HAS_BIAS)).isEqualTo("has_bias");
            }
            else {
                assertThat(names).as(variant).containsExactly("x_ptr", "codes_ptr", "scales_ptr", "zeros_ptr", "bias_ptr", "out_ptr", "partials_ptr", "M", "N", "K",
                        "stride_xm", "stride_om", "group_size", "k_per_split", "has_bias");
                assertThat(names.get(TritonW4a16Launcher.GEMM_PARTIALS)).isEqualTo("partials_ptr");
                assertThat(names.get(TritonW4a16Launcher.GEMM_K_PER_SPLIT)).isEqualTo("k_per_split");
            }
        }
    }

    @Test
    void decodeSplitsKThenReducesInSplitOrderWithTheBias() throws IOException {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(4096, 4096, UINT4B8, FLOAT16, 128, false, false);
        Setup setup = setup(config, true);
        setup.launcher().apply(device(FLOAT16, 1, 4096, 4096, X), device(FLOAT16, 1, 4096, 4096, OUT), setup.stream());

        long partials = setup.device().workspace(setup.stream(), ScalarType.FLOAT32, 1).address();
        // 32 column tiles; 16 splits of 256 rows of K (plan in TestTritonW4a16Variants); the sym variant reads no zero points,
        // so it gets the scales again
        assertThat(setup.launches()).containsExactly(
                new Launch("w4a16_f16_sym_m16n128k64", 32, 16, 1, List.of(X, CODES, SCALES, SCALES, BIAS, OUT, partials, 1L, 4096L, 4096L, 4096L, 4096L, 128L, 256L, 1L)),
                new Launch("w4a16_reduce_f16", 4, 1, 1, List.of(partials, BIAS, OUT, 1L, 4096L, 4096L, 16L, 1L)));
    }

    @Test
    void largeMRunsOneSplitWithStridedRowsAndNoPartialSums() throws IOException {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(2112, 576, UINT4, BFLOAT16, 128, true, false);
        Setup setup = setup(config, false);
        // a column slice of a wider activation, and outputs in a wider buffer
        setup.launcher().apply(device(BFLOAT16, 300, 2112, 2136, X + 16), device(BFLOAT16, 300, 576, 640, OUT), setup.stream());

        // 5 column tiles of 128, 2 row tiles of 256; the GEMM gets the output for partial sums, which it never writes;
        // the partial group: 17 groups of 128, group_size 128
        assertThat(setup.launches()).containsExactly(
                new Launch("w4a16_bf16_zp_m256n128k64", 5, 1, 2, List.of(X + 16, CODES, SCALES, ZERO_POINTS, 0L, OUT, OUT, 300L, 576L, 2112L, 2136L, 640L, 128L, 2112L, 0L)));
    }

    @Test
    void aChannelwiseLayerIsOneGroupOfK() throws IOException {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(4224, 128, UINT4B8, BFLOAT16, -1, false, false);
        Setup setup = setup(config, false);
        setup.launcher().apply(device(BFLOAT16, 40, 4224, 4224, X), device(BFLOAT16, 40, 128, 128, OUT), setup.stream());
        Launch gemm = setup.launches().getFirst();
        assertThat(gemm.variant()).isEqualTo("w4a16_bf16_sym_m64n128k64");
        assertThat(gemm.values().get(TritonW4a16Launcher.GEMM_GROUP_SIZE)).isEqualTo(4224L);
        // 1 column tile of a middle-tier 64 x 128 tile: 264 programs wanted on 132 SMs, so 66 K tiles become 66 splits of 64 rows
        assertThat(gemm.gridX()).isEqualTo(1);
        assertThat(gemm.gridY()).isEqualTo(66);
        assertThat(setup.launches().get(1).variant()).isEqualTo("w4a16_reduce_bf16");
    }

    @Test
    void refusesInputsAndOutputsTheImagesCannotRead() throws IOException {
        WeightOnlyConfig config = WeightOnlyConfig.unsharded(256, 64, UINT4B8, FLOAT16, 64, false, false);
        Setup setup = setup(config, false);
        TritonW4a16Launcher launcher = setup.launcher();
        ExecutionStream stream = setup.stream();
        Tensor out = device(FLOAT16, 2, 64, 64, OUT);
        assertThatThrownBy(() -> launcher.apply(new DeviceTensor(FLOAT16, new long[] {2, 256}, new long[] {1, 2}, X), out, stream))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input must have unit stride along K and a row stride of at least K=256 and a multiple of 8, got strides [1, 2]");
        assertThatThrownBy(() -> launcher.apply(device(FLOAT16, 2, 256, 260, X), out, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input must have unit stride along K and a row stride of at least K=256 and a multiple of 8, got strides [260, 1]");
        assertThatThrownBy(() -> launcher.apply(device(FLOAT16, 2, 256, 256, X + 8), out, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input address 0x100008 must be 16-byte aligned: the images load and store 16 bytes at a time");
        assertThatThrownBy(() -> launcher.apply(device(BFLOAT16, 2, 256, 256, X), out, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input must be float16 [M, K=256], got bfloat16[2, 256]");
        assertThatThrownBy(() -> launcher.apply(device(FLOAT16, 2, 256, 256, X), device(FLOAT16, 2, 64, 72, OUT + 2), stream))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output address 0x200002 must be 16-byte aligned: the images load and store 16 bytes at a time");
        assertThatThrownBy(() -> launcher.apply(device(FLOAT16, 2, 256, 256, X), new DeviceTensor(FLOAT16, new long[] {2, 64}, new long[] {1, 2}, OUT), stream))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output must have unit stride along N and a row stride of at least N=64 and a multiple of 8, got strides [1, 2]");
        assertThatThrownBy(() -> launcher.apply(device(FLOAT16, 3, 256, 256, X), out, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output must be float16 [M=3, N=64], got float16[2, 64]");
        assertThatThrownBy(() -> launcher.apply(device(FLOAT16, 65537, 256, 256, X), out, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input rows M must be in [1, 65536], got M=65537");
        Tensor host = HostTensor.wrap(MemorySegment.ofArray(new short[512]), FLOAT16, 2, 256);
        assertThatThrownBy(() -> launcher.apply(host, out, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input must be in device memory, got HOST memory");
        assertThat(setup.launches()).isEmpty();
        // one row: its stride is never read, so any stride will do
        launcher.apply(new DeviceTensor(FLOAT16, new long[] {1, 256}, new long[] {3, 1}, X), device(FLOAT16, 1, 64, 64, OUT), stream);
        assertThat(setup.launches().getFirst().values().get(TritonW4a16Launcher.GEMM_STRIDE_XM)).isEqualTo(256L);
    }

    /** A launcher over fake addresses, the variants as their sm_90a manifests describe them, recording launches. */
    private static Setup setup(WeightOnlyConfig config, boolean bias) throws IOException {
        List<Launch> launches = new ArrayList<>();
        List<TritonKernel> gemms = new ArrayList<>();
        int groupSize = TritonW4a16Kernel.groupSize(config);
        for (TritonW4a16Variants.Tier tier : TritonW4a16Variants.TIERS) {
            gemms.add(new RecordingKernel(info(TritonW4a16Variants.gemm(config.activationType(), config.zeroPoints(), groupSize, tier)), launches));
        }
        RecordingKernel reduce = new RecordingKernel(info(TritonW4a16Variants.reduce(config.activationType())), launches);
        CpuDevice device = new CpuDevice(Platform.parse("cuda:sm_90"));
        device.reserveWorkspace(TritonW4a16Variants.workspaceBytes(config.n(), config.k(), groupSize, 132, TritonW4a16Kernel.MAX_ROWS));
        TritonW4a16Launcher.PreparedTensors tensors = new TritonW4a16Launcher.PreparedTensors(CODES, SCALES, config.zeroPoints() ? ZERO_POINTS : 0,
                bias ? BIAS : 0);
        return new Setup(new TritonW4a16Launcher(config, tensors, device, gemms, reduce, 132), device, device.defaultStream(), launches);
    }

    private record Setup(TritonW4a16Launcher launcher, CpuDevice device, ExecutionStream stream, List<Launch> launches) {
    }

    private static TritonKernelInfo info(String variant) throws IOException {
        String resource = TritonW4a16Variants.DIRECTORY + "/" + variant + ".sm_90a.json";
        JsonNode manifest;
        try (InputStream stream = TestTritonW4a16Launcher.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(stream).as(resource).isNotNull();
            manifest = JSON.readTree(stream);
        }
        List<String> names = new ArrayList<>();
        List<KernelArguments.Kind> kinds = new ArrayList<>();
        for (JsonNode parameter : manifest.get("parameters")) {
            if (!parameter.path("appended").asBoolean(false)) {
                names.add(parameter.get("name").asText());
                String type = parameter.get("type").asText();
                kinds.add(type.startsWith("*") ? KernelArguments.Kind.POINTER : switch (type) {
                    case "i32" -> KernelArguments.Kind.INT32;
                    case "i64" -> KernelArguments.Kind.INT64;
                    case "fp32" -> KernelArguments.Kind.FLOAT32;
                    default -> throw new IllegalStateException(resource + ": parameter type " + type);
                });
            }
        }
        return new TritonKernelInfo(variant, manifest.get("function").asText(), "sm_90a", names, kinds, Map.of(), manifest.get("num_warps").asInt(),
                manifest.get("num_stages").asInt(), manifest.get("shared_bytes").asInt(), manifest.get("triton_version").asText());
    }

    /** One launch: the variant, its grid and its own arguments' raw values. */
    private record Launch(String variant, int gridX, int gridY, int gridZ, List<Long> values) {
    }

    /** The host's loaded kernel as the SPI describes it, recording instead of launching. */
    private record RecordingKernel(TritonKernelInfo info, List<Launch> launches) implements TritonKernel {
        @Override
        public KernelArguments newArguments() {
            List<KernelArguments.Kind> signature = new ArrayList<>(info.parameterKinds());
            signature.add(KernelArguments.Kind.POINTER);
            signature.add(KernelArguments.Kind.POINTER);
            return new KernelArguments(signature);
        }

        @Override
        public void launch(int gridX, int gridY, int gridZ, KernelArguments arguments, ExecutionStream stream) {
            assertThat(arguments.count()).isEqualTo(info.parameterKinds().size() + 2);
            List<Long> values = new ArrayList<>();
            for (int index = 0; index < info.parameterKinds().size(); index++) {
                values.add(arguments.rawValue(index));
            }
            launches.add(new Launch(info.variant(), gridX, gridY, gridZ, List.copyOf(values)));
        }
    }

    private static Tensor device(ScalarType dtype, long rows, long columns, long rowStride, long address) {
        return new DeviceTensor(dtype, new long[] {rows, columns}, new long[] {rowStride, 1}, address);
    }

    /** A tensor in device memory at a made-up address: the launcher reads only its description. */
    private record DeviceTensor(ScalarType dtype, long[] shape, long[] strides, long address) implements Tensor {
        @Override
        public int rank() {
            return shape.length;
        }

        @Override
        public long size(int dimension) {
            return shape[dimension];
        }

        @Override
        public long stride(int dimension) {
            return strides[dimension];
        }

        @Override
        public MemoryKind memory() {
            return MemoryKind.DEVICE;
        }

        @Override
        public Optional<MemorySegment> hostSegment() {
            return Optional.empty();
        }
    }
}
