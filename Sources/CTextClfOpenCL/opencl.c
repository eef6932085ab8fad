// Run-time loading of the OpenCL ICD loader; see textclf_opencl.h.
#include "textclf_opencl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static textclf_opencl_api api;
static const textclf_opencl_api *loaded;
static char error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    // The ICD loader's soname; a plain libOpenCL.so is a development link, often absent.
    const char *names[] = {"libOpenCL.so.1", "libOpenCL.so"};
    void *library = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !library; i++) {
        library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    }
    if (!library) {
        snprintf(error, sizeof error, "cannot load libOpenCL.so.1 (%s)", dlerror());
        return;
    }
#define RESOLVE(name)                                                                          \
    do {                                                                                       \
        *(void **)&api.name = dlsym(library, "cl" #name);                                      \
        if (!api.name) {                                                                       \
            snprintf(error, sizeof error, "libOpenCL.so.1 lacks cl" #name);                    \
            return;                                                                            \
        }                                                                                      \
    } while (0)
    RESOLVE(GetPlatformIDs);
    RESOLVE(GetPlatformInfo);
    RESOLVE(GetDeviceIDs);
    RESOLVE(GetDeviceInfo);
    RESOLVE(CreateContext);
    RESOLVE(ReleaseContext);
    RESOLVE(CreateCommandQueue);
    RESOLVE(ReleaseCommandQueue);
    RESOLVE(CreateProgramWithSource);
    RESOLVE(BuildProgram);
    RESOLVE(GetProgramBuildInfo);
    RESOLVE(ReleaseProgram);
    RESOLVE(CreateKernel);
    RESOLVE(ReleaseKernel);
    RESOLVE(SetKernelArg);
    RESOLVE(EnqueueNDRangeKernel);
    RESOLVE(CreateBuffer);
    RESOLVE(ReleaseMemObject);
    RESOLVE(EnqueueWriteBuffer);
    RESOLVE(EnqueueReadBuffer);
    RESOLVE(Finish);
#undef RESOLVE
    loaded = &api;
}

const textclf_opencl_api *textclf_opencl_load(void) {
    pthread_once(&once, load);
    return loaded;
}

const char *textclf_opencl_load_error(void) { return error; }
