// The calling thread's handling of subnormal floats, and the vector instructions the CPU has.

#include "textclf_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

// MXCSR's flush-to-zero (results) and denormals-are-zero (inputs) bits.
enum { textclf_ftz_daz = 0x8000 | 0x0040 };

int textclf_flushes_subnormals(void) { return (_mm_getcsr() & textclf_ftz_daz) == textclf_ftz_daz; }

int textclf_set_flush_subnormals(int on) {
    unsigned int csr = _mm_getcsr();
    int was = (csr & textclf_ftz_daz) == textclf_ftz_daz;
    _mm_setcsr(on ? (csr | textclf_ftz_daz) : (csr & ~(unsigned int)textclf_ftz_daz));
    return was;
}

#elif defined(__aarch64__)

// FPCR's FZ bit flushes subnormal inputs and results alike.
static unsigned long textclf_fpcr(void) {
    unsigned long value;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(value));
    return value;
}

int textclf_flushes_subnormals(void) { return (textclf_fpcr() >> 24) & 1; }

int textclf_set_flush_subnormals(int on) {
    unsigned long value = textclf_fpcr();
    int was = (value >> 24) & 1;
    value = on ? (value | (1UL << 24)) : (value & ~(1UL << 24));
    __asm__ __volatile__("msr fpcr, %0" : : "r"(value));
    return was;
}

#else

int textclf_flushes_subnormals(void) { return 0; }

int textclf_set_flush_subnormals(int on) {
    (void)on;
    return 0;
}

#endif

int textclf_cpu_vector_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd"))
        return 3;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx")) return 1;
#endif
    return 0;
}
