/*
 * Entry points of qlinear's host calling convention (HostLibrary): int32_t entry(const void* arguments, void* stream).
 * TestHipHostLibrary compiles this into a shared library with gcc and calls it through HipHostLibrary.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The struct of the Java signature POINTER, INT32, INT32, INT64, FLOAT32, POINTER, INT32: two int32 share 8 bytes, the others are padded. */
struct probe_arguments {
    int64_t* out;
    int32_t i32;
    int32_t second_i32;
    int64_t i64;
    float f32;
    const void* pointer;
    int32_t tail;
};

/* Writes what it read, the stream and the struct's layout into out[0..13]. */
int32_t qlinear_probe_record(const void* arguments, void* stream) {
    const struct probe_arguments* a = (const struct probe_arguments*) arguments;
    int64_t* out = a->out;
    uint32_t f32_bits;
    memcpy(&f32_bits, &a->f32, sizeof f32_bits);
    out[0] = a->i32;
    out[1] = a->i64;
    out[2] = f32_bits;
    out[3] = (int64_t) (intptr_t) a->pointer;
    out[4] = a->tail;
    out[5] = (int64_t) (intptr_t) stream;
    out[6] = offsetof(struct probe_arguments, i32);
    out[7] = offsetof(struct probe_arguments, i64);
    out[8] = offsetof(struct probe_arguments, f32);
    out[9] = offsetof(struct probe_arguments, pointer);
    out[10] = offsetof(struct probe_arguments, tail);
    out[11] = sizeof(struct probe_arguments);
    out[12] = a->second_i32;
    out[13] = offsetof(struct probe_arguments, second_i32);
    return 0;
}

/* Returns the error code it is given: the struct of the Java signature INT32. */
int32_t qlinear_probe_fail(const void* arguments, void* stream) {
    (void) stream;
    return *(const int32_t*) arguments;
}
