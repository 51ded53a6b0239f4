package dev.qlinear.aiterfp8;

import dev.qlinear.spi.kernel.Reason;
import dev.qlinear.spi.kernel.Verdict;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What the environment says about aiter: whether to use it, where it is, and aiter's own override of its tuned-GEMM
 * table. Read once, by the provider from {@link System#getenv()}; a value that cannot be read is not an error here but a
 * refusal of {@code supports}, which names the value and what is accepted.
 *
 * @param useAiter {@value #USE_AITER}: on when unset
 * @param home {@value #AITER_HOME}: the aiter source tree, when set
 * @param tunedGemmFile {@value #TUNED_GEMM_FILE}: the tuned-GEMM CSV to read instead of the one in the source tree, when set
 * @param userHome {@code HOME}, for the usual place {@code $HOME/aiter}, when set
 */
record AiterSettings(Switch useAiter, Optional<Path> home, Optional<Path> tunedGemmFile, Optional<Path> userHome) {

    static final String USE_AITER = "QLINEAR_ROCM_USE_AITER";
    static final String AITER_HOME = "QLINEAR_AITER_HOME";
    /** aiter's own variable for its pre-shuffled a8w8 tuned-GEMM CSV, honoured so that qlinear reads the table aiter runs with. */
    static final String TUNED_GEMM_FILE = "AITER_CONFIG_GEMM_A8W8_BPRESHUFFLE_FILE";
    static final List<String> ON = List.of("1", "true", "on", "yes");
    static final List<String> OFF = List.of("0", "false", "off", "no");

    AiterSettings {
        requireNonNull(useAiter, "useAiter is null");
        requireNonNull(home, "home is null");
        requireNonNull(tunedGemmFile, "tunedGemmFile is null");
        requireNonNull(userHome, "userHome is null");
    }

    /** The settings of an environment such as {@link System#getenv()}; blank values count as unset. */
    static AiterSettings fromEnvironment(Map<String, String> environment) {
        requireNonNull(environment, "environment is null");
        return new AiterSettings(Switch.parse(value(environment, USE_AITER)), value(environment, AITER_HOME).map(AiterSettings::path),
                value(environment, TUNED_GEMM_FILE).map(AiterSettings::path), value(environment, "HOME").map(AiterSettings::path));
    }

    /** Accepted when aiter is on; otherwise refused, saying why. */
    Verdict enabled() {
        return switch (useAiter) {
            case Switch.On on -> Verdict.accepted();
            case Switch.Off off -> Verdict.refused(new Reason("aiter enabled", USE_AITER + " unset or one of " + ON, USE_AITER + "=" + off.value()));
            case Switch.Unreadable unreadable -> Verdict.refused(new Reason(USE_AITER, "one of " + ON + " (use aiter) or " + OFF
                    + " (do not), in any case", "'" + unreadable.value() + "'"));
        };
    }

    private static Optional<String> value(Map<String, String> environment, String name) {
        return Optional.ofNullable(environment.get(name)).map(String::trim).filter(value -> !value.isEmpty());
    }

    /** Relative paths are taken from the working directory, as a shell would. */
    private static Path path(String value) {
        return Path.of(value).toAbsolutePath().normalize();
    }

    /** The value of {@value #USE_AITER}. */
    sealed interface Switch {

        static Switch parse(Optional<String> value) {
            if (value.isEmpty()) {
                return new On();
            }
            String word = value.get().toLowerCase(Locale.ROOT);
            if (ON.contains(word)) {
                return new On();
            }
            return OFF.contains(word) ? new Off(value.get()) : new Unreadable(value.get());
        }

        /** Unset, or set to one of {@link #ON}. */
        record On() implements Switch {
        }

        /** Set to one of {@link #OFF}. */
        record Off(String value) implements Switch {
            public Off {
                requireNonNull(value, "value is null");
            }
        }

        /** Set to something else. */
        record Unreadable(String value) implements Switch {
            public Unreadable {
                requireNonNull(value, "value is null");
            }
        }
    }
}
