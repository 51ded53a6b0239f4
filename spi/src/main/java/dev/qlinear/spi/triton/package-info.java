/**
 * Triton kernels compiled ahead of time and shipped as resources of a plugin jar. A plugin describes what its jar
 * holds with {@link dev.qlinear.spi.triton.TritonImages}, checks platforms against it, and launches a variant through
 * the {@link dev.qlinear.spi.triton.TritonKernel} the host loads for it ({@link dev.qlinear.spi.device.Device#loadTriton}).
 */
package dev.qlinear.spi.triton;
