#define _GNU_SOURCE
#include "textclf_kernels.h"
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>

int textclf_stop_blas_threads(void) {
    // Looked up rather than linked: OpenBLAS builds on OpenMP have no such function.
    int (*shutdown)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (shutdown == NULL) return 0;
    shutdown();
    return 1;
}

int textclf_usable_cores(void) {
    cpu_set_t set;
    int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    FILE *file = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (file != NULL) {
        long long quota = 0, period = 0;
        // "max 100000" (no quota) fails the first conversion and is ignored.
        if (fscanf(file, "%lld %lld", &quota, &period) == 2 && quota > 0 && period > 0) {
            long long allowed = (quota + period - 1) / period;
            if (allowed < cores) cores = (int)allowed;
        }
        fclose(file);
    }
    return cores < 1 ? 1 : cores;
}
