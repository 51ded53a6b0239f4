package dev.qlinear.core.format;

/** A checkpoint's tensors do not match what its quantization config says they are; the message names the layer and the rule. */
public final class CheckpointFormatException extends RuntimeException {
    public CheckpointFormatException(String message) {
        super(message);
    }
}
