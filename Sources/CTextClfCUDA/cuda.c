// Run-time loading of the CUDA driver and NVRTC; see textclf_cuda.h.
#include "textclf_cuda.h"

#include <dlfcn.h>
#include <stdio.h>

// Resolves `symbol` into `slot`, or reports it missing and fails the load.
#define RESOLVE(library, slot, symbol)                                                         \
    do {                                                                                       \
        *(void **)&(slot) = dlsym(library, symbol);                                            \
        if (!(slot)) {                                                                         \
            snprintf(error, error_size, "%s lacks %s", path, symbol);                          \
            return -1;                                                                         \
        }                                                                                      \
    } while (0)

static void *open_library(const char *path, char *error, size_t error_size) {
    void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!library) snprintf(error, error_size, "cannot load %s (%s)", path, dlerror());
    return library;
}

int textclf_cuda_load_driver(const char *path, textclf_cuda_driver_api *api, char *error, size_t error_size) {
    void *library = open_library(path, error, error_size);
    if (!library) return -1;
    RESOLVE(library, api->Init, "cuInit");
    RESOLVE(library, api->DriverGetVersion, "cuDriverGetVersion");
    RESOLVE(library, api->DeviceGetCount, "cuDeviceGetCount");
    RESOLVE(library, api->DeviceGet, "cuDeviceGet");
    RESOLVE(library, api->DeviceGetName, "cuDeviceGetName");
    RESOLVE(library, api->DeviceTotalMem, "cuDeviceTotalMem_v2");
    RESOLVE(library, api->DeviceGetAttribute, "cuDeviceGetAttribute");
    RESOLVE(library, api->GetErrorString, "cuGetErrorString");
    RESOLVE(library, api->DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    RESOLVE(library, api->CtxSetCurrent, "cuCtxSetCurrent");
    RESOLVE(library, api->MemAlloc, "cuMemAlloc_v2");
    RESOLVE(library, api->MemFree, "cuMemFree_v2");
    RESOLVE(library, api->MemcpyHtoD, "cuMemcpyHtoD_v2");
    RESOLVE(library, api->MemcpyDtoH, "cuMemcpyDtoH_v2");
    RESOLVE(library, api->ModuleLoadData, "cuModuleLoadData");
    RESOLVE(library, api->ModuleGetFunction, "cuModuleGetFunction");
    RESOLVE(library, api->LaunchKernel, "cuLaunchKernel");
    return 0;
}

int textclf_cuda_load_nvrtc(const char *path, textclf_nvrtc_api *api, char *error, size_t error_size) {
    void *library = open_library(path, error, error_size);
    if (!library) return -1;
    RESOLVE(library, api->Version, "nvrtcVersion");
    RESOLVE(library, api->GetErrorString, "nvrtcGetErrorString");
    RESOLVE(library, api->CreateProgram, "nvrtcCreateProgram");
    RESOLVE(library, api->DestroyProgram, "nvrtcDestroyProgram");
    RESOLVE(library, api->CompileProgram, "nvrtcCompileProgram");
    RESOLVE(library, api->GetProgramLogSize, "nvrtcGetProgramLogSize");
    RESOLVE(library, api->GetProgramLog, "nvrtcGetProgramLog");
    RESOLVE(library, api->GetCUBINSize, "nvrtcGetCUBINSize");
    RESOLVE(library, api->GetCUBIN, "nvrtcGetCUBIN");
    return 0;
}

int textclf_cuda_load_cublas(const char *path, textclf_cublas_api *api, char *error, size_t error_size) {
    void *library = open_library(path, error, error_size);
    if (!library) return -1;
    RESOLVE(library, api->Create, "cublasCreate_v2");
    RESOLVE(library, api->Sgemm, "cublasSgemm_v2");
    return 0;
}
