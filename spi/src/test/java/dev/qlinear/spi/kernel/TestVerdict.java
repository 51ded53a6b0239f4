package dev.qlinear.spi.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

final class TestVerdict {

    private static final Reason K_ALIGNMENT = new Reason("K alignment", "K % 128 == 0", "K=2112");
    private static final Reason N_ALIGNMENT = new Reason("N alignment", "N % 64 == 0", "N=100");
    private static final Reason GROUP_SIZE = new Reason("group size", "one of [-1, 32, 64, 128]", "96");

    @Test
    void reasonMessageFormat() {
        assertThat(K_ALIGNMENT.message()).isEqualTo("K alignment: needs K % 128 == 0, got K=2112");
        assertThat(K_ALIGNMENT).hasToString("K alignment: needs K % 128 == 0, got K=2112");
    }

    @Test
    void reasonNeedsAConstraint() {
        assertThatThrownBy(() -> new Reason(" ", "x", "y"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("constraint must not be blank");
    }

    @Test
    void acceptedHasNoReasons() {
        assertThat(Verdict.accepted().isAccepted()).isTrue();
        assertThat(Verdict.accepted().reasons()).isEmpty();
        assertThat(Verdict.accepted()).hasToString("accepted");
    }

    @Test
    void checksCollectEveryFailureInOrder() {
        int k = 2112;
        int n = 100;
        Verdict verdict = Verdict.checks()
                .require(k % 128 == 0, "K alignment", "K % 128 == 0", "K=" + k)
                .require(k > 0, "K positive", "K > 0", "K=" + k)
                .require(n % 64 == 0, "N alignment", "N % 64 == 0", "N=" + n)
                .verdict();
        assertThat(verdict.isAccepted()).isFalse();
        assertThat(verdict.reasons()).containsExactly(K_ALIGNMENT, N_ALIGNMENT);
        assertThat(verdict).hasToString("refused: K alignment: needs K % 128 == 0, got K=2112; N alignment: needs N % 64 == 0, got N=100");
    }

    @Test
    void checksWithNoFailureAccept() {
        Verdict verdict = Verdict.checks()
                .require(true, "K alignment", "K % 128 == 0", "K=4096")
                .add(Verdict.accepted())
                .verdict();
        assertThat(verdict.isAccepted()).isTrue();
    }

    @Test
    void checksAddAnotherVerdictsReasons() {
        Verdict verdict = Verdict.checks()
                .require(false, "K alignment", "K % 128 == 0", "K=2112")
                .add(Verdict.refused(N_ALIGNMENT, GROUP_SIZE))
                .verdict();
        assertThat(verdict.reasons()).containsExactly(K_ALIGNMENT, N_ALIGNMENT, GROUP_SIZE);
    }

    @Test
    void verdictDoesNotChangeWhenTheChecksGoOn() {
        Verdict.Checks checks = Verdict.checks().require(false, "K alignment", "K % 128 == 0", "K=2112");
        Verdict first = checks.verdict();
        checks.require(false, "N alignment", "N % 64 == 0", "N=100");
        assertThat(first.reasons()).containsExactly(K_ALIGNMENT);
    }

    @Test
    void refusedKeepsEveryReason() {
        Verdict verdict = Verdict.refused(K_ALIGNMENT, N_ALIGNMENT, GROUP_SIZE);
        assertThat(verdict.isAccepted()).isFalse();
        assertThat(verdict.reasons()).containsExactly(K_ALIGNMENT, N_ALIGNMENT, GROUP_SIZE);
    }

    @Test
    void andConcatenatesReasons() {
        Verdict left = Verdict.refused(K_ALIGNMENT);
        Verdict right = Verdict.refused(N_ALIGNMENT, GROUP_SIZE);
        assertThat(left.and(right).reasons()).containsExactly(K_ALIGNMENT, N_ALIGNMENT, GROUP_SIZE);
        assertThat(right.and(left).reasons()).containsExactly(N_ALIGNMENT, GROUP_SIZE, K_ALIGNMENT);
        assertThat(left.and(Verdict.accepted())).isEqualTo(left);
        assertThat(Verdict.accepted().and(right)).isEqualTo(right);
        assertThat(Verdict.accepted().and(Verdict.accepted()).isAccepted()).isTrue();
    }

    @Test
    void reasonsAreImmutable() {
        Verdict verdict = new Verdict(new ArrayList<>(List.of(K_ALIGNMENT)));
        assertThatThrownBy(() -> verdict.reasons().add(N_ALIGNMENT))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
