package dev.qlinear.cli.bench;

import dev.qlinear.core.cuda.CudaStream;
import dev.qlinear.core.cuda.CudaTensor;

import java.util.function.IntConsumer;

import static java.util.Objects.requireNonNull;

/**
 * A source that a layer times at every M, alternately with the others: cuBLAS fp16 or one kernel, set up once per
 * layer with the copies of the weights its calls rotate over.
 *
 * @param source cuBLAS fp16 or a kernel
 * @param name the baseline's key or the kernel id
 * @param copies copies of the weights
 * @param bytes bytes of one copy
 * @param setupNanos how long the copies and the JIT warm-up took
 * @param call one call
 */
record TimedSource(Source source, String name, int copies, long bytes, long setupNanos, Call call) {

    /** One call on rows of the activation and of the output; the index rotates over the copies. */
    @FunctionalInterface
    interface Call {
        void call(CudaTensor input, CudaTensor output, int index, CudaStream stream);
    }

    TimedSource {
        requireNonNull(source, "source is null");
        requireNonNull(name, "name is null");
        requireNonNull(call, "call is null");
    }

    /** The call on these rows and this stream, as the timer takes it. */
    IntConsumer on(CudaTensor input, CudaTensor output, CudaStream stream) {
        return index -> call.call(input, output, index, stream);
    }

    /** The call on these rows, on the stream the launch probe gives. */
    LaunchProbe.StreamCall onAnyStream(CudaTensor input, CudaTensor output) {
        return (index, stream) -> call.call(input, output, index, stream);
    }
}
