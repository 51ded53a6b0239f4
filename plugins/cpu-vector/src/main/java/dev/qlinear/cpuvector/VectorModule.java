package dev.qlinear.cpuvector;

import dev.qlinear.spi.kernel.Verdict;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.platform.Vendor;

/**
 * Whether this JVM can run the kernels: the Vector API is an incubating module that only
 * {@code --add-modules jdk.incubator.vector} at start-up puts in the boot layer. Checked without touching a vector
 * class, so that a JVM without the module refuses the kernels instead of failing with NoClassDefFoundError.
 */
final class VectorModule {

    static final String NAME = "jdk.incubator.vector";

    private static final boolean PRESENT = ModuleLayer.boot().findModule(NAME).isPresent();

    private VectorModule() {
    }

    static Verdict check(Platform platform) {
        return Verdict.checks()
                .require(platform.vendor() == Vendor.CPU, "platform", "cpu", platform.spec())
                .require(PRESENT, "Java Vector API", "a JVM started with --add-modules " + NAME, NAME + " not in the boot layer")
                .verdict();
    }

    static void require() {
        if (!PRESENT) {
            throw new IllegalStateException("the cpu-vector kernels need the Java Vector API: start the JVM with --add-modules " + NAME);
        }
    }
}
