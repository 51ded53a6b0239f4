package dev.qlinear.conformance;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives test methods the run's {@link ConformanceSettings}, read from JUnit configuration parameters (which fall
 * back to system properties, so {@code -Dqlinear.conformance.seed=...} works from Maven).
 */
public final class ConformanceSettingsResolver implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == ConformanceSettings.class;
    }

    @Override
    public ConformanceSettings resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        try {
            return ConformanceSettings.from(extensionContext::getConfigurationParameter);
        }
        catch (IllegalArgumentException e) {
            throw new ParameterResolutionException("invalid conformance settings: " + e.getMessage(), e);
        }
    }
}
