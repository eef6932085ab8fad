// The CUDA driver API and NVRTC as textclf uses them, loaded at run time: the driver from
// libcuda.so.1 (installed with the NVIDIA driver), NVRTC from the CUDA toolkit or the
// nvidia-cuda-nvrtc pip wheel. One binary runs with or without them, and the build needs no
// CUDA SDK. Types and constants are those of cuda.h and nvrtc.h (stable ABI); only what
// textclf calls is declared.
#ifndef TEXTCLF_CUDA_H
#define TEXTCLF_CUDA_H

#include <stddef.h>

typedef int tcu_result;  // CUresult; 0 is CUDA_SUCCESS
typedef int tcu_device;  // CUdevice
typedef unsigned long long tcu_deviceptr;  // CUdeviceptr
typedef struct CUctx_st *tcu_context;
typedef struct CUmod_st *tcu_module;
typedef struct CUfunc_st *tcu_function;
typedef struct CUstream_st *tcu_stream;
typedef struct cublasContext *tcublas_handle;
typedef struct _nvrtcProgram *tnvrtc_program;

#define TCU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT 16
#define TCU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define TCU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76

/// The driver entry points textclf calls.
typedef struct {
    tcu_result (*Init)(unsigned int);
    tcu_result (*DriverGetVersion)(int *);
    tcu_result (*DeviceGetCount)(int *);
    tcu_result (*DeviceGet)(tcu_device *, int);
    tcu_result (*DeviceGetName)(char *, int, tcu_device);
    tcu_result (*DeviceTotalMem)(size_t *, tcu_device);
    tcu_result (*DeviceGetAttribute)(int *, int, tcu_device);
    tcu_result (*GetErrorString)(tcu_result, const char **);
    tcu_result (*DevicePrimaryCtxRetain)(tcu_context *, tcu_device);
    tcu_result (*CtxSetCurrent)(tcu_context);
    tcu_result (*MemAlloc)(tcu_deviceptr *, size_t);
    tcu_result (*MemFree)(tcu_deviceptr);
    tcu_result (*MemcpyHtoD)(tcu_deviceptr, const void *, size_t);
    tcu_result (*MemcpyDtoH)(void *, tcu_deviceptr, size_t);
    tcu_result (*ModuleLoadData)(tcu_module *, const void *);
    tcu_result (*ModuleGetFunction)(tcu_function *, tcu_module, const char *);
    tcu_result (*LaunchKernel)(tcu_function, unsigned int, unsigned int, unsigned int, unsigned int, unsigned int,
                               unsigned int, unsigned int, tcu_stream, void **, void **);
} textclf_cuda_driver_api;

/// The cuBLAS entry points textclf calls (column-major BLAS; 0 is CUBLAS_STATUS_SUCCESS).
typedef struct {
    int (*Create)(tcublas_handle *);
    int (*Sgemm)(tcublas_handle, int, int, int, int, int, const float *, const float *, int, const float *, int,
                 const float *, float *, int);
} textclf_cublas_api;

#define TCUBLAS_OP_N 0
#define TCUBLAS_OP_T 1

/// The NVRTC entry points textclf calls.
typedef struct {
    int (*Version)(int *, int *);
    const char *(*GetErrorString)(int);
    int (*CreateProgram)(tnvrtc_program *, const char *, const char *, int, const char *const *, const char *const *);
    int (*DestroyProgram)(tnvrtc_program *);
    int (*CompileProgram)(tnvrtc_program, int, const char *const *);
    int (*GetProgramLogSize)(tnvrtc_program, size_t *);
    int (*GetProgramLog)(tnvrtc_program, char *);
    int (*GetCUBINSize)(tnvrtc_program, size_t *);
    int (*GetCUBIN)(tnvrtc_program, char *);
} textclf_nvrtc_api;

/// Loads the driver from `path` (a file name for the loader's search, or a full path) and
/// resolves its entry points into `api`. Returns 0, or -1 with `error` saying why.
int textclf_cuda_load_driver(const char *path, textclf_cuda_driver_api *api, char *error, size_t error_size);

/// Loads NVRTC from `path` and resolves its entry points into `api`. Returns 0, or -1 with
/// `error` saying why.
int textclf_cuda_load_nvrtc(const char *path, textclf_nvrtc_api *api, char *error, size_t error_size);

/// Loads cuBLAS from `path` and resolves its entry points into `api`. Returns 0, or -1 with
/// `error` saying why.
int textclf_cuda_load_cublas(const char *path, textclf_cublas_api *api, char *error, size_t error_size);

#endif
