package dev.qlinear.cpuvector;

import java.security.SecureRandom;

/** Fresh seeds for property tests: every run draws new data, and each assertion names its seed to replay it. */
final class Seeds {

    private static final SecureRandom SOURCE = new SecureRandom();

    private Seeds() {
    }

    static long fresh() {
        return SOURCE.nextLong();
    }
}
