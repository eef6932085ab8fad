#include "textclf_kernels.h"
#include <immintrin.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

// Plain C with restrict pointers so that the compiler vectorises the loops (square roots go
// through __builtin_elementwise_sqrt, which has no errno to set); contraction into FMA is off
// so that every backend computes bit-identical values.
#pragma STDC FP_CONTRACT OFF

// Built for AVX-512, for AVX2 and for the baseline ISA, and chosen at load time: wider
// vectors only, the same IEEE operations in the same order (no FMA: contraction is off), so
// every version gives the same bits.
__attribute__((target_clones("avx512f", "avx2", "default")))
void textclf_adam_step(float *restrict param, const float *restrict grad, float *restrict m,
                       float *restrict v, long count, float weight1, float beta2, float weight2,
                       float negative_step, float bias_correction2_root, float epsilon) {
    for (long i = 0; i < count; i++) {
        float g = grad[i];
        float mean = m[i] + weight1 * (g - m[i]);
        m[i] = mean;
        float second = v[i] * beta2 + weight2 * g * g;
        v[i] = second;
        param[i] = param[i] + negative_step * mean / (__builtin_elementwise_sqrt(second) / bias_correction2_root + epsilon);
    }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
long textclf_first_nonfinite(const float *values, long count) {
    // A value is NaN or infinite exactly when its exponent bits are all ones; adding one
    // to the exponent field then carries into the sign bit. OR-ing those carries over a
    // block is integer arithmetic that vectorises; only a flagged block is searched.
    const long block = 256;
    for (long start = 0; start < count; start += block) {
        long end = start + block < count ? start + block : count;
        unsigned flags = 0;
        for (long i = start; i < end; i++) {
            unsigned bits;
            memcpy(&bits, values + i, sizeof bits);
            flags |= ((bits & 0x7f800000u) + 0x00800000u) & 0x80000000u;
        }
        if (flags) {
            for (long i = start; i < end; i++) {
                if (!isfinite(values[i])) return i;
            }
        }
    }
    return -1;
}

// Unaligned 8- and 4-float vectors for short copies.
typedef float textclf_float8 __attribute__((vector_size(32), aligned(4)));
typedef float textclf_float4 __attribute__((vector_size(16), aligned(4)));

// Copies `count` floats with vector moves, for rows too short for a call to memcpy to pay.
// The empty asm hides the loop's shape from the optimiser, which would otherwise turn the
// loops back into memcpy calls.
static inline void copy_short(float *restrict out, const float *restrict source, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        __asm__("" : "+r"(i));
        *(textclf_float8 *)(out + i) = *(const textclf_float8 *)(source + i);
    }
    if (i + 4 <= count) {
        *(textclf_float4 *)(out + i) = *(const textclf_float4 *)(source + i);
        i += 4;
    }
    for (; i < count; i++) {
        __asm__("" : "+r"(i));
        out[i] = source[i];
    }
}

// Asks for every cache line of `bytes` bytes at `start` (a row need not begin on a line).
static inline void prefetch_span(const char *start, long bytes) {
    const char *line = (const char *)((uintptr_t)start & ~(uintptr_t)63);
    for (; line < start + bytes; line += 64) __builtin_prefetch(line);
}

void textclf_prefetch_rows(const float *source, const ptrdiff_t *rows, long count, long columns) {
    for (long i = 0; i < count; i++) {
        prefetch_span((const char *)(source + rows[i] * columns), columns * (long)sizeof(float));
    }
}

__attribute__((target_clones("avx2", "default")))
void textclf_gather_rows(float *restrict out, const float *restrict source, const ptrdiff_t *restrict rows,
                         long count, long columns) {
    // The rows are scattered (a shuffled batch), so the hardware prefetcher cannot follow
    // them: ask for a row a few positions ahead while copying the current one.
    const long ahead = 4;
    const int inline_copy = columns <= 64;
    for (long i = 0; i < count; i++) {
        if (i + ahead < count) {
            prefetch_span((const char *)(source + rows[i + ahead] * columns), columns * (long)sizeof(float));
        }
        if (inline_copy) {
            copy_short(out + i * columns, source + rows[i] * columns, columns);
        } else {
            memcpy(out + i * columns, source + rows[i] * columns, (size_t)columns * sizeof(float));
        }
    }
}

// Column sums: every column is added up in row order from +0, one rounding per addition, as
// a running sum in memory would; the versions differ only in how many columns they keep in
// registers at once.

__attribute__((target("avx512f")))
static void sum_columns_avx512(float *restrict out, const float *restrict source, long rows, long columns) {
    for (long column = 0; column < columns; column += 16) {
        long width = columns - column < 16 ? columns - column : 16;
        __mmask16 mask = (__mmask16)((1u << width) - 1);
        __m512 total = _mm512_setzero_ps();
        for (long row = 0; row < rows; row++) {
            total = _mm512_add_ps(total, _mm512_maskz_loadu_ps(mask, source + row * columns + column));
        }
        _mm512_mask_storeu_ps(out + column, mask, total);
    }
}

__attribute__((target("avx2")))
static void sum_columns_avx2(float *restrict out, const float *restrict source, long rows, long columns) {
    int lanes[16];
    for (int i = 0; i < 16; i++) lanes[i] = i < 8 ? -1 : 0;
    for (long column = 0; column < columns; column += 8) {
        long width = columns - column < 8 ? columns - column : 8;
        __m256i mask = _mm256_loadu_si256((const __m256i *)(lanes + 8 - width));
        __m256 total = _mm256_setzero_ps();
        for (long row = 0; row < rows; row++) {
            total = _mm256_add_ps(total, _mm256_maskload_ps(source + row * columns + column, mask));
        }
        _mm256_maskstore_ps(out + column, mask, total);
    }
}

static void sum_columns_plain(float *restrict out, const float *restrict source, long rows, long columns) {
    for (long column = 0; column < columns; column++) out[column] = 0.0f;
    for (long row = 0; row < rows; row++) {
        for (long column = 0; column < columns; column++) out[column] += source[row * columns + column];
    }
}

// 1 with AVX-512, 2 with AVX2, 3 otherwise.
static int avx_instruction_set(void) {
    static atomic_int chosen;
    int available = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (!available) {
        __builtin_cpu_init();
        available = __builtin_cpu_supports("avx512f") ? 1 : __builtin_cpu_supports("avx2") ? 2 : 3;
        atomic_store_explicit(&chosen, available, memory_order_relaxed);
    }
    return available;
}

int textclf_sum_columns_using(int instruction_set, float *restrict out, const float *restrict source, long rows,
                              long columns) {
    const int available = avx_instruction_set();
    const int set = instruction_set == 0 ? available : instruction_set;
    if (set < available || set > 3) return 0;
    if (set == 1) {
        sum_columns_avx512(out, source, rows, columns);
    } else if (set == 2) {
        sum_columns_avx2(out, source, rows, columns);
    } else {
        sum_columns_plain(out, source, rows, columns);
    }
    return 1;
}

void textclf_sum_columns(float *restrict out, const float *restrict source, long rows, long columns) {
    textclf_sum_columns_using(0, out, source, rows, columns);
}

__attribute__((target_clones("avx2", "default")))
void textclf_repeat_row(float *restrict out, const float *restrict row, long count, long columns) {
    const int inline_copy = columns <= 64;
    for (long i = 0; i < count; i++) {
        if (inline_copy) {
            copy_short(out + i * columns, row, columns);
        } else {
            memcpy(out + i * columns, row, (size_t)columns * sizeof(float));
        }
    }
}

static inline float bits_to_float(uint32_t bits) {
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static inline uint32_t float_to_bits(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

// e^x without branches: x = n·ln 2 + r with n = round(x / ln 2) and |r| ≤ ln 2 / 2 (ln 2 in
// two parts, so that r is nearly exact), Cephes's degree-6 minimax polynomial for e^r, and
// 2^n applied as two exact power-of-two factors so that results down to the subnormals
// round once. Within 1.01 ulp of e^x for every float (checked exhaustively); e^0 = 1
// exactly, large x gives +inf, very negative x gives 0, NaN stays NaN. Every operation is a
// single IEEE operation (FMA only where written), so each instruction set gives the same bits.
static inline float exp_body(float x) {
    const float clamped = fminf(fmaxf(x, -104.0f), 89.0f);
    const float shifter = 12582912.0f; // 1.5 · 2²³: adding it rounds to an integer
    const float n = (clamped * 1.44269504088896341f + shifter) - shifter;
    float r = fmaf(n, -0.693359375f, clamped);
    r = fmaf(n, 2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    const float y = fmaf(p, r * r, r) + 1.0f;
    const int32_t k = (int32_t)n;
    const int32_t half = k >> 1;
    const float first = bits_to_float((uint32_t)(half + 127) << 23);
    const float second = bits_to_float((uint32_t)(k - half + 127) << 23);
    const float result = (y * first) * second;
    return x != x ? x : result;
}

// log(x) without branches: x = m · 2^e with m in [√½, √2), f = m − 1, and Cephes's
// polynomial for log(1 + f), with e · ln 2 added in two parts. Within 0.83 ulp of log(x) for
// every non-negative float (checked exhaustively), subnormals included; log(1) = 0 exactly,
// log(0) = −inf, log(+inf) = +inf, and negative numbers and NaN give NaN.
static inline float log_body(float x) {
    const int subnormal = float_to_bits(x) < 0x00800000u;
    const float scaled = subnormal ? x * 8388608.0f : x;
    const uint32_t bits = float_to_bits(scaled);
    int32_t e = (int32_t)((bits >> 23) & 0xffu) - 126 - (subnormal ? 23 : 0);
    const float m = bits_to_float((bits & 0x007fffffu) | 0x3f000000u);
    const int low = m < 0.707106781186547524f;
    e = low ? e - 1 : e;
    const float f = low ? (m + m) - 1.0f : m - 1.0f;
    const float z = f * f;
    float y = 7.0376836292e-2f;
    y = fmaf(y, f, -1.1514610310e-1f);
    y = fmaf(y, f, 1.1676998740e-1f);
    y = fmaf(y, f, -1.2420140846e-1f);
    y = fmaf(y, f, 1.4249322787e-1f);
    y = fmaf(y, f, -1.6668057665e-1f);
    y = fmaf(y, f, 2.0000714765e-1f);
    y = fmaf(y, f, -2.4999993993e-1f);
    y = fmaf(y, f, 3.3333331174e-1f);
    y = (y * f) * z;
    const float ef = (float)e;
    y = fmaf(ef, -2.12194440e-4f, y);
    y = fmaf(z, -0.5f, y);
    float result = f + y;
    result = fmaf(ef, 0.693359375f, result);
    result = x == INFINITY ? x : result;
    result = (x < 0.0f || x != x) ? bits_to_float(0x7fc00000u) : result;
    return x == 0.0f ? -INFINITY : result;
}

// Each function over an array, built for AVX-512, for AVX2 with FMA and for the baseline
// (which computes fmaf in software: slower, the same bits).
// In place and out of place are separate loops: with `out` equal to `values`, a loop over two
// pointers fails the vectoriser's overlap check and runs one value at a time.
#define ELEMENTWISE_LOOPS(body)                                                                      \
    if (out == values) {                                                                             \
        for (long i = 0; i < count; i++) out[i] = body(out[i]);                                      \
    } else {                                                                                         \
        float *restrict target = out;                                                                \
        const float *restrict source = values;                                                       \
        for (long i = 0; i < count; i++) target[i] = body(source[i]);                                \
    }

// 1 with AVX-512, 2 with AVX2 and FMA, 3 otherwise.
static int elementwise_instruction_set(void) {
    static atomic_int chosen;
    int set = atomic_load_explicit(&chosen, memory_order_relaxed);
    if (!set) {
        __builtin_cpu_init();
        set = __builtin_cpu_supports("avx512f") ? 1
              : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 2
                                                                               : 3;
        atomic_store_explicit(&chosen, set, memory_order_relaxed);
    }
    return set;
}

// The three versions of `body` over an array and `textclf_<name>_using`, which picks one.
#define ELEMENTWISE_VERSIONS(name, body)                                                             \
    __attribute__((target("avx512f"))) static void name##_avx512(float *out, const float *values, long count) { \
        ELEMENTWISE_LOOPS(body)                                                                      \
    }                                                                                                \
    __attribute__((target("avx2,fma"))) static void name##_avx2(float *out, const float *values, long count) {  \
        ELEMENTWISE_LOOPS(body)                                                                      \
    }                                                                                                \
    static void name##_plain(float *out, const float *values, long count) { ELEMENTWISE_LOOPS(body) } \
    int textclf_##name##_using(int instruction_set, float *out, const float *values, long count) {   \
        const int available = elementwise_instruction_set();                                         \
        const int set = instruction_set == 0 ? available : instruction_set;                          \
        if (set < available || set > 3) return 0;                                                    \
        if (set == 1) {                                                                              \
            name##_avx512(out, values, count);                                                       \
        } else if (set == 2) {                                                                       \
            name##_avx2(out, values, count);                                                         \
        } else {                                                                                     \
            name##_plain(out, values, count);                                                        \
        }                                                                                            \
        return 1;                                                                                    \
    }

ELEMENTWISE_VERSIONS(exp, exp_body)
ELEMENTWISE_VERSIONS(log, log_body)

void textclf_exp(float *out, const float *values, long count) { textclf_exp_using(0, out, values, count); }

void textclf_log(float *out, const float *values, long count) { textclf_log_using(0, out, values, count); }

// In passes over all rows (shifts, exponentials, sums, logarithms, then the products and the
// gradient), so that the exponentials and logarithms are computed a vector at a time; each
// value is computed as in a single pass per row.
__attribute__((target_clones("avx512f", "avx2", "default")))
void textclf_softmax_cross_entropy(float *restrict gradient, float *restrict products, float *restrict scratch,
                                   const float *restrict logits, long rows, long classes,
                                   const ptrdiff_t *restrict targets, const float *restrict weights, float divisor) {
    const float factor = 1.0f / divisor;
    const long count = rows * classes;
    float *tops = scratch, *totals = scratch + rows, *logs = scratch + 2 * rows;
    if (classes == 2) {
        // Two classes (the common case) without inner loops: the same operations in order.
        for (long row = 0; row < rows; row++) {
            const float a = logits[2 * row], b = logits[2 * row + 1];
            const float top = b > a ? b : a;
            tops[row] = top;
            gradient[2 * row] = a - top;
            gradient[2 * row + 1] = b - top;
        }
        textclf_exp(gradient, gradient, count);
        for (long row = 0; row < rows; row++) totals[row] = (0.0f + gradient[2 * row]) + gradient[2 * row + 1];
        textclf_log(logs, totals, rows);
        for (long row = 0; row < rows; row++) {
            const float inverse = 1.0f / totals[row];
            const float log_total = logs[row] + tops[row];
            const float weight = weights[row];
            const ptrdiff_t label = targets[row];
            for (long column = 0; column < 2; column++) {
                const float q = column == label ? weight : 0.0f;
                products[2 * row + column] = q * (logits[2 * row + column] - log_total);
                const float g = gradient[2 * row + column] * inverse * weight - q;
                gradient[2 * row + column] = divisor != 1.0f ? g * factor : g;
            }
        }
        return;
    }
    for (long row = 0; row < rows; row++) {
        const float *source = logits + row * classes;
        float top = source[0];
        for (long column = 1; column < classes; column++) {
            if (source[column] > top) top = source[column];
        }
        tops[row] = top;
        for (long column = 0; column < classes; column++) gradient[row * classes + column] = source[column] - top;
    }
    textclf_exp(gradient, gradient, count);
    for (long row = 0; row < rows; row++) {
        float total = 0.0f;
        for (long column = 0; column < classes; column++) total += gradient[row * classes + column];
        totals[row] = total;
    }
    textclf_log(logs, totals, rows);
    for (long row = 0; row < rows; row++) {
        const float *source = logits + row * classes;
        float *out = gradient + row * classes;
        float *product = products + row * classes;
        const float inverse = 1.0f / totals[row];
        const float log_total = logs[row] + tops[row];
        const float weight = weights[row];
        const ptrdiff_t label = targets[row];
        for (long column = 0; column < classes; column++) {
            const float q = column == label ? weight : 0.0f;
            product[column] = q * (source[column] - log_total);
            const float g = out[column] * inverse * weight - q;
            out[column] = divisor != 1.0f ? g * factor : g;
        }
    }
}

static inline uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// `count` steps of xoshiro256**'s state, recording each step's `s1` (the output function's
// input).
static inline __attribute__((always_inline)) void xoshiro_steps(uint64_t *restrict state, uint64_t *restrict recorded,
                                                                long count) {
    uint64_t s0 = state[0], s1 = state[1], s2 = state[2], s3 = state[3];
    for (long i = 0; i < count; i++) {
        recorded[i] = s1;
        const uint64_t t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotate_left(s3, 45);
    }
    state[0] = s0;
    state[1] = s1;
    state[2] = s2;
    state[3] = s3;
}

// Whether a draw keeps its value: xoshiro256**'s output function on the recorded `s1`, its top
// 24 bits below `threshold`. 1 or 0.
static inline uint64_t draw_keeps(uint64_t recorded, uint64_t threshold) {
    const uint64_t bits = (rotate_left(recorded * 5, 7) * 9) >> 40;
    return (bits - threshold) >> 63;
}

// Two passes per block of draws: the serial part (the state update) records each step's
// `s1`, then the output function, comparison and selection run over the block without the
// state's dependency chain, so the compiler can vectorise them.
__attribute__((target_clones("avx512f", "avx2", "default")))
void textclf_bernoulli_fill(uint64_t *restrict state, float *restrict out, long count, uint64_t threshold,
                            uint32_t pattern) {
    uint64_t recorded[256];
    for (long start = 0; start < count; start += 256) {
        const long block = count - start < 256 ? count - start : 256;
        xoshiro_steps(state, recorded, block);
        for (long i = 0; i < block; i++) {
            const uint32_t selected = pattern & (0u - (uint32_t)draw_keeps(recorded[i], threshold));
            memcpy(out + start + i, &selected, sizeof selected);
        }
    }
}

// A few recent results per thread, keyed by the arguments' bits.
#define REMEMBERED_POWERS 4
static __thread struct {
    uint64_t base, exponent;
    double result;
    int used;
} remembered_powers[REMEMBERED_POWERS];
static __thread int next_remembered_power;

double textclf_pow_remembered(double base, double exponent) {
    uint64_t base_bits, exponent_bits;
    memcpy(&base_bits, &base, sizeof base_bits);
    memcpy(&exponent_bits, &exponent, sizeof exponent_bits);
    for (int i = 0; i < REMEMBERED_POWERS; i++) {
        if (remembered_powers[i].used && remembered_powers[i].base == base_bits && remembered_powers[i].exponent == exponent_bits) {
            return remembered_powers[i].result;
        }
    }
    const double result = pow(base, exponent);
    const int slot = next_remembered_power;
    next_remembered_power = (slot + 1) % REMEMBERED_POWERS;
    remembered_powers[slot].base = base_bits;
    remembered_powers[slot].exponent = exponent_bits;
    remembered_powers[slot].result = result;
    remembered_powers[slot].used = 1;
    return result;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void textclf_relu(float *restrict out, const float *restrict x, long count) {
    for (long i = 0; i < count; i++) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void textclf_relu_backward(float *restrict out, const float *restrict x, const float *restrict gradient, long count) {
    for (long i = 0; i < count; i++) out[i] = x[i] > 0.0f ? gradient[i] : 0.0f;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void textclf_multiply(float *restrict out, const float *restrict a, const float *restrict b, long count) {
    for (long i = 0; i < count; i++) out[i] = a[i] * b[i];
}
