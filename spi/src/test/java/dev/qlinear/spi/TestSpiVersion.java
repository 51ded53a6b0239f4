package dev.qlinear.spi;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

final class TestSpiVersion {

    @Test
    void currentIsMajorMinorPatch() {
        assertThat(SpiVersion.current()).matches("\\d+\\.\\d+\\.\\d+");
    }

    @Test
    void currentIsFilteredFromTheBuild() {
        // target/classes holds spi.properties filtered with qlinear.spi.version from the parent pom.
        assertThat(SpiVersion.current()).isEqualTo("1.3.0");
    }
}
