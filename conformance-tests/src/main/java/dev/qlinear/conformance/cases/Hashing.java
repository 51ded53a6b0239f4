package dev.qlinear.conformance.cases;

import java.nio.charset.StandardCharsets;

/** A stable 64-bit string hash (FNV-1a), so seeds derived from names are the same on every JVM. */
public final class Hashing {

    private Hashing() {
    }

    public static long fnv64(String text) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xFF;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
