package dev.qlinear.core.triton;

import dev.qlinear.spi.device.Device;
import dev.qlinear.spi.device.GpuFunction;
import dev.qlinear.spi.device.GpuModule;
import dev.qlinear.spi.platform.Architecture;
import dev.qlinear.spi.platform.Platform;
import dev.qlinear.spi.triton.TritonImages;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The steps of {@link Device#loadTriton} that do not depend on the device's kind: pick the target, read and check the
 * manifest and the image, load the image and look its entry point up. Devices cache what {@link #load} returns.
 */
public final class TritonLoader {

    private TritonLoader() {
    }

    /**
     * The target of {@code variant} this platform runs ({@link TritonImages#targetFor}).
     *
     * @throws IllegalArgumentException naming the variant, the platform's architecture and the targets there are when
     *         none runs on it
     * @throws UnsupportedOperationException on a CPU
     */
    public static String target(TritonImages images, String variant, Platform platform) {
        requireNonNull(images, "images is null");
        requireNonNull(variant, "variant is null");
        requireNonNull(platform, "platform is null");
        if (platform.architecture() instanceof Architecture.Cpu) {
            throw new UnsupportedOperationException(platform.spec() + " runs no Triton kernels (asked for " + variant + ")");
        }
        return images.targetFor(variant, platform).orElseThrow(() -> {
            List<String> targets = images.targetsByVariant().get(variant);
            if (targets == null) {
                List<String> variants = images.targetsByVariant().keySet().stream().sorted().toList();
                String shown = variants.isEmpty() ? "none" : variants.size() <= 5 ? String.join(", ", variants)
                        : String.join(", ", variants.subList(0, 5)) + " and " + (variants.size() - 5) + " more";
                return new IllegalArgumentException("the " + images + " have no Triton variant '" + variant + "' (variants: " + shown + "); build it with "
                        + TritonImages.PIPELINE);
            }
            return new IllegalArgumentException("no image of Triton variant " + variant + " runs on " + platform.architecture().name() + " ("
                    + platform.spec() + "): its targets are " + targets.stream().sorted().toList() + "; build one for this device with " + TritonImages.PIPELINE);
        });
    }

    /**
     * Reads and checks the manifest of one image.
     *
     * @throws IllegalArgumentException naming the manifest when it is invalid or describes another variant or target
     * @throws IllegalStateException when the jar lacks it
     */
    public static TritonManifest manifest(TritonImages images, String variant, String target) {
        requireNonNull(images, "images is null");
        requireNonNull(variant, "variant is null");
        requireNonNull(target, "target is null");
        String resource = images.manifestResource(variant, target);
        TritonManifest manifest = TritonManifest.parse(resource, images.read(resource));
        if (!manifest.variant().equals(variant) || !manifest.target().equals(target)) {
            throw new IllegalArgumentException(resource + " describes variant " + manifest.variant() + " for " + manifest.target() + ", not " + variant
                    + " for " + target + "; rebuild the images with " + TritonImages.PIPELINE);
        }
        return manifest;
    }

    /**
     * Loads the image of {@code variant} this device runs as a module of the device, and wraps its entry point. The
     * module stays loaded until the device closes.
     */
    public static LoadedTritonKernel load(Device device, TritonImages images, String variant) {
        requireNonNull(device, "device is null");
        return load(device, images, variant, target(images, variant, device.platform()));
    }

    /** Loads one given image of {@code variant} on the device (see {@link #load(Device, TritonImages, String)}). */
    public static LoadedTritonKernel load(Device device, TritonImages images, String variant, String target) {
        requireNonNull(device, "device is null");
        TritonManifest manifest = manifest(images, variant, target);
        List<String> extensions = switch (device.platform().architecture()) {
            case Architecture.Cuda cuda -> List.of("cubin", "ptx");
            case Architecture.Rocm rocm -> List.of("hsaco");
            case Architecture.Cpu cpu -> throw new UnsupportedOperationException(device.platform().spec() + " runs no Triton kernels (asked for " + variant + ")");
        };
        String extension = manifest.image().substring(manifest.image().lastIndexOf('.') + 1);
        if (!extensions.contains(extension)) {
            throw new IllegalArgumentException(images.manifestResource(variant, target) + " names the image " + manifest.image() + ", but "
                    + device.platform().spec() + " loads " + String.join(" or ", extensions) + " images");
        }
        String resource = images.directory() + "/" + manifest.image();
        byte[] image = images.read(resource);
        GpuModule module = device.loadModule(resource, image);
        GpuFunction function;
        try {
            function = module.function(manifest.function());
        }
        catch (RuntimeException e) {
            module.close();
            throw e;
        }
        return new LoadedTritonKernel(manifest, function);
    }
}
