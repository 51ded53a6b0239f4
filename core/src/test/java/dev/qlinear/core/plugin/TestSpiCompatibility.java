package dev.qlinear.core.plugin;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

final class TestSpiCompatibility {

    @Test
    void aRangeThatAdmitsTheHostIsCompatible() {
        assertThat(SpiCompatibility.check(">=1.0.0 & <2.0.0", "1.0.0", "1.3.2")).isEmpty();
    }

    @Test
    void aBareVersionMeansUpToTheNextMajor() {
        assertThat(SpiCompatibility.check("1.2.0", "1.2.0", "1.4.0")).isEmpty();
        assertThat(SpiCompatibility.check("1.2.0", "1.2.0", "2.0.0")).hasValue("requires SPI '1.2.0' but this host provides SPI 2.0.0");
        assertThat(SpiCompatibility.check("1.2.0", "1.2.0", "1.1.0")).hasValue("requires SPI '1.2.0' but this host provides SPI 1.1.0");
    }

    @Test
    void anOpenRangeStillCannotCrossAMajorTheJarWasNotCompiledFor() {
        assertThat(SpiCompatibility.check(">=1.0.0", "1.0.0", "2.0.0"))
                .hasValue("compiled against SPI 1.0.0 but this host provides SPI 2.0.0: a different major version is incompatible");
    }

    @Test
    void aPluginCompiledAgainstANewerMinorNeedsANewerHost() {
        assertThat(SpiCompatibility.check(">=1.0.0 & <2.0.0", "1.5.0", "1.2.0"))
                .hasValue("compiled against SPI 1.5.0, newer than this host's SPI 1.2.0: upgrade qlinear");
    }

    @Test
    void missingOrMalformedRequirementsAreRefused() {
        assertThat(SpiCompatibility.check("", "1.0.0", "1.0.0")).hasValueSatisfying(problem -> assertThat(problem).startsWith("plugin.requires is missing"));
        assertThat(SpiCompatibility.check("*", "1.0.0", "1.0.0")).hasValueSatisfying(problem -> assertThat(problem).startsWith("plugin.requires is missing"));
        assertThat(SpiCompatibility.check(">=one", "1.0.0", "1.0.0")).hasValueSatisfying(problem -> assertThat(problem).startsWith("plugin.requires '>=one' is not a valid version range"));
        assertThat(SpiCompatibility.check(">=1.0.0", "1.x", "1.0.0")).hasValue("kernel manifest names an invalid SPI version '1.x'");
    }
}
