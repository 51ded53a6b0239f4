package dev.qlinear.core.checkpoint;

/** A checkpoint's {@code config.json} says something qlinear cannot use; the message names the field and the rule. */
public final class CheckpointConfigException extends RuntimeException {
    public CheckpointConfigException(String message) {
        super(message);
    }
}
