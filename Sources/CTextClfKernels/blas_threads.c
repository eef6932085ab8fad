#define _GNU_SOURCE
#include "textclf_kernels.h"
#include <dlfcn.h>

int textclf_stop_blas_threads(void) {
    // Looked up rather than linked: OpenBLAS builds on OpenMP have no such function.
    int (*shutdown)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown == NULL) return 0;
    shutdown();
    return 1;
}
