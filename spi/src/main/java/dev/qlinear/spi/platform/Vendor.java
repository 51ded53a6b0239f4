package dev.qlinear.spi.platform;

/** Who makes the device a kernel runs on. Vendors never share architecture numbers: a ROCm gfx942 is not a CUDA sm_90. */
public enum Vendor {
    CPU, CUDA, ROCM;

    /** The lower-case prefix of a platform spec: {@code cpu}, {@code cuda}, {@code rocm}. */
    public String specPrefix() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
