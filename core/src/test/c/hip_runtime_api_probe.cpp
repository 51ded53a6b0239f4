// What Debian's hip_runtime_api.h says about the parts of the HIP runtime API that HipRuntimeApi binds: the size of
// hipDeviceProp_t, the offset of every field it reads, and the value of every constant it names. One "name value" per
// line; TestHipRuntimeApiLayout compiles this with g++ and compares each line with the Java binding.
#include <hip/hip_runtime_api.h>

#include <cstddef>
#include <cstdio>

#define FIELD(name) std::printf("hipDeviceProp_t.%s %zu\n", #name, offsetof(hipDeviceProp_t, name))
#define CONSTANT(name) std::printf("%s %lld\n", #name, static_cast<long long>(name))

int main() {
    std::printf("sizeof(hipDeviceProp_t) %zu\n", sizeof(hipDeviceProp_t));
    FIELD(name);
    FIELD(totalGlobalMem);
    FIELD(warpSize);
    FIELD(major);
    FIELD(minor);
    FIELD(multiProcessorCount);
    FIELD(l2CacheSize);
    FIELD(gcnArchName);

    CONSTANT(hipSuccess);
    CONSTANT(hipErrorInvalidValue);
    CONSTANT(hipErrorOutOfMemory);
    CONSTANT(hipErrorNoDevice);
    CONSTANT(hipErrorInvalidDevice);
    CONSTANT(hipErrorNotFound);
    CONSTANT(hipMemcpyHostToDevice);
    CONSTANT(hipMemcpyDeviceToHost);
    CONSTANT(hipMemcpyDeviceToDevice);
    CONSTANT(hipStreamNonBlocking);
    return 0;
}
