package dev.qlinear.core.plugin;

/** What became of an installed plugin. */
public enum PluginState {
    /** Loaded and its kernels registered. */
    STARTED,
    /** Not used, for the reasons listed with it; other plugins are unaffected. */
    REFUSED
}
