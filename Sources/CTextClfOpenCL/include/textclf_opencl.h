// The OpenCL API as textclf uses it, loaded at run time from the ICD loader
// (libOpenCL.so.1), so that one binary runs with or without OpenCL and the build needs no
// OpenCL SDK. The types and constants are those of the Khronos headers (cl.h), whose ABI
// is stable across versions; only what textclf calls is declared.
#ifndef TEXTCLF_OPENCL_H
#define TEXTCLF_OPENCL_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t tcl_int;
typedef uint32_t tcl_uint;
typedef uint64_t tcl_ulong;
typedef struct _cl_platform_id *tcl_platform_id;
typedef struct _cl_device_id *tcl_device_id;
typedef struct _cl_context *tcl_context;
typedef struct _cl_command_queue *tcl_command_queue;
typedef struct _cl_program *tcl_program;
typedef struct _cl_kernel *tcl_kernel;
typedef struct _cl_mem *tcl_mem;
typedef struct _cl_event *tcl_event;

enum {
    TCL_SUCCESS = 0,
    TCL_DEVICE_NOT_FOUND = -1,
    TCL_BUILD_PROGRAM_FAILURE = -11,
    TCL_PLATFORM_NOT_FOUND_KHR = -1001,
};

#define TCL_TRUE 1u
#define TCL_DEVICE_TYPE_DEFAULT (1ull << 0)
#define TCL_DEVICE_TYPE_CPU (1ull << 1)
#define TCL_DEVICE_TYPE_GPU (1ull << 2)
#define TCL_DEVICE_TYPE_ACCELERATOR (1ull << 3)
#define TCL_DEVICE_TYPE_ALL 0xFFFFFFFFull
#define TCL_PLATFORM_VERSION 0x0901u
#define TCL_PLATFORM_NAME 0x0902u
#define TCL_PLATFORM_VENDOR 0x0903u
#define TCL_DEVICE_TYPE 0x1000u
#define TCL_DEVICE_MAX_COMPUTE_UNITS 0x1002u
#define TCL_DEVICE_MAX_WORK_GROUP_SIZE 0x1004u
#define TCL_DEVICE_MAX_MEM_ALLOC_SIZE 0x1010u
#define TCL_DEVICE_GLOBAL_MEM_SIZE 0x101Fu
#define TCL_DEVICE_NAME 0x102Bu
#define TCL_DEVICE_VENDOR 0x102Cu
#define TCL_DRIVER_VERSION 0x102Du
#define TCL_DEVICE_VERSION 0x102Fu
#define TCL_PROGRAM_BUILD_LOG 0x1183u
#define TCL_MEM_READ_WRITE (1ull << 0)
#define TCL_MEM_COPY_HOST_PTR (1ull << 5)

/// The entry points textclf calls, resolved with dlsym.
typedef struct {
    tcl_int (*GetPlatformIDs)(tcl_uint, tcl_platform_id *, tcl_uint *);
    tcl_int (*GetPlatformInfo)(tcl_platform_id, tcl_uint, size_t, void *, size_t *);
    tcl_int (*GetDeviceIDs)(tcl_platform_id, tcl_ulong, tcl_uint, tcl_device_id *, tcl_uint *);
    tcl_int (*GetDeviceInfo)(tcl_device_id, tcl_uint, size_t, void *, size_t *);
    tcl_context (*CreateContext)(const intptr_t *, tcl_uint, const tcl_device_id *, void *, void *, tcl_int *);
    tcl_int (*ReleaseContext)(tcl_context);
    tcl_command_queue (*CreateCommandQueue)(tcl_context, tcl_device_id, tcl_ulong, tcl_int *);
    tcl_int (*ReleaseCommandQueue)(tcl_command_queue);
    tcl_program (*CreateProgramWithSource)(tcl_context, tcl_uint, const char **, const size_t *, tcl_int *);
    tcl_int (*BuildProgram)(tcl_program, tcl_uint, const tcl_device_id *, const char *, void *, void *);
    tcl_int (*GetProgramBuildInfo)(tcl_program, tcl_device_id, tcl_uint, size_t, void *, size_t *);
    tcl_int (*ReleaseProgram)(tcl_program);
    tcl_kernel (*CreateKernel)(tcl_program, const char *, tcl_int *);
    tcl_int (*ReleaseKernel)(tcl_kernel);
    tcl_int (*SetKernelArg)(tcl_kernel, tcl_uint, size_t, const void *);
    tcl_int (*EnqueueNDRangeKernel)(tcl_command_queue, tcl_kernel, tcl_uint, const size_t *, const size_t *,
                                    const size_t *, tcl_uint, const tcl_event *, tcl_event *);
    tcl_mem (*CreateBuffer)(tcl_context, tcl_ulong, size_t, void *, tcl_int *);
    tcl_int (*ReleaseMemObject)(tcl_mem);
    tcl_int (*EnqueueWriteBuffer)(tcl_command_queue, tcl_mem, tcl_uint, size_t, size_t, const void *, tcl_uint,
                                  const tcl_event *, tcl_event *);
    tcl_int (*EnqueueReadBuffer)(tcl_command_queue, tcl_mem, tcl_uint, size_t, size_t, void *, tcl_uint,
                                 const tcl_event *, tcl_event *);
    tcl_int (*Finish)(tcl_command_queue);
} textclf_opencl_api;

/// Loads the ICD loader once (thread-safe) and resolves every entry point.
/// Returns NULL when it cannot; textclf_opencl_load_error() then says why.
const textclf_opencl_api *textclf_opencl_load(void);

/// Why the last textclf_opencl_load() failed (the library or the symbol not found).
const char *textclf_opencl_load_error(void);

#endif
