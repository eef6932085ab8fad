#define _GNU_SOURCE
#include "textclf_kernels.h"
#include <sched.h>
#include <stdio.h>

// OpenBLAS's function that stops its worker threads, in its pthread builds only (builds on
// OpenMP have none): a weak reference is null when the linked OpenBLAS lacks it.
extern int blas_thread_shutdown_(void) __attribute__((weak));

int textclf_stop_blas_threads(void) {
    if (blas_thread_shutdown_ == NULL) return 0;
    blas_thread_shutdown_();
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
