package dev.qlinear.cli;

/** The user asked for something that cannot be done as written; the message names the value and the rule. Exit code 2. */
final class UsageException extends RuntimeException {

    UsageException(String message) {
        super(message);
    }

    UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
