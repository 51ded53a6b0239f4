package dev.qlinear.core.cuda.blas;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** Whether {@code libcublas} could be loaded: the binding, or why not. */
public sealed interface CublasAvailability permits CublasAvailability.Loaded, CublasAvailability.Missing {

    /** The binding, when the library loaded. */
    Optional<Cublas> library();

    /** @param cublas the bound library */
    record Loaded(Cublas cublas) implements CublasAvailability {
        public Loaded {
            requireNonNull(cublas, "cublas is null");
        }

        @Override
        public Optional<Cublas> library() {
            return Optional.of(cublas);
        }
    }

    /** @param reason every file tried and why it did not load */
    record Missing(String reason) implements CublasAvailability {
        public Missing {
            requireNonNull(reason, "reason is null");
        }

        @Override
        public Optional<Cublas> library() {
            return Optional.empty();
        }
    }
}
