#include "textclf_kernels.h"
#include <immintrin.h>
#include <stdatomic.h>
#include <string.h>

// The products of narrow matrices (at most 15 columns) in the order of OpenBLAS's Haswell
// SGEMM kernel, so that they can stand in for its calls bit for bit (see the header).
//
// Every output element is a chain of fused multiply-adds over the inner dimension starting
// from +0, added to the existing value (or to +0 when beta is 0), except in the rows the
// kernel computes in blocks of four: there the first eight columns keep two chains, one over
// the even and one over the odd positions of each complete block of eight (the rest of the
// inner dimension goes to the even chain), and add them before adding the existing value.

#pragma STDC FP_CONTRACT OFF

// The rows that the kernel computes in blocks of four: OpenBLAS takes the rows of the
// result twelve at a time, then four at a time while more than four remain, then the rest.
static inline void split_rows(long m, long *first, long *end) {
    long whole = m / 12 * 12;
    *first = whole;
    *end = whole + (m - whole) / 4 * 4;
}

// `b` as a k × 16 row-major block, columns past n zero (so that whole vectors can be read).
// Stored transposed, its columns are gathered one value at a time (only small `b`s are);
// stored untransposed, the AVX-512 loops read its rows in place with masked loads.
static inline void pack_transposed(float *restrict packed, const float *restrict b, long ldb, long k, long n) {
    memset(packed, 0, (size_t)k * 16 * sizeof(float));
    for (long c = 0; c < n; c++) {
        for (long kk = 0; kk < k; kk++) packed[kk * 16 + c] = b[c * ldb + kk];
    }
}

__attribute__((target("avx2")))
static void pack_rows_avx2(float *restrict packed, const float *restrict b, long ldb, long k, long n) {
    int lanes[24];
    for (int i = 0; i < 24; i++) lanes[i] = i < 8 ? -1 : 0;
    // Masks for columns 0-7 and 8-15: `lanes + 8 - width` starts with `width` ones.
    const long low = n < 8 ? n : 8, high = n > 8 ? n - 8 : 0;
    const __m256i low_mask = _mm256_loadu_si256((const __m256i *)(lanes + 8 - low));
    const __m256i high_mask = _mm256_loadu_si256((const __m256i *)(lanes + 8 - high));
    for (long kk = 0; kk < k; kk++) {
        _mm256_store_ps(packed + kk * 16, _mm256_maskload_ps(b + kk * ldb, low_mask));
        _mm256_store_ps(packed + kk * 16 + 8, _mm256_maskload_ps(b + kk * ldb + 8, high_mask));
    }
}

#define OP_A(r, kk) (trans_a ? a[(kk) * lda + (r)] : a[(r) * lda + (kk)])

// Stores the first `count` (at most 8) lanes of `v` with plain moves of 8, 4, 2 and 1 lanes:
// AVX2's masked stores (`vmaskmovps`) are slow on some CPUs.
__attribute__((target("avx2"), always_inline))
static inline void store_lanes8(float *destination, __m256 v, long count) {
    if (count & 8) {
        _mm256_storeu_ps(destination, v);
        return;
    }
    __m128 part = _mm256_castps256_ps128(v);
    if (count & 4) {
        _mm_storeu_ps(destination, part);
        part = _mm256_extractf128_ps(v, 1);
        destination += 4;
    }
    if (count & 2) {
        _mm_storel_pi((__m64 *)destination, part);
        part = _mm_movehl_ps(part, part);
        destination += 2;
    }
    if (count & 1) _mm_store_ss(destination, part);
}

// The first `count` (at most 16) lanes of `v`, with one masked store: AVX-512's masked stores
// are fast (unlike AVX2's `vmaskmovps`), and the 8-, 4-, 2- and 1-lane pieces that
// store_lanes8 writes took the small products here up to three times as long.
__attribute__((target("avx512f"), always_inline))
static inline void store_lanes16(float *destination, __m512 v, long count) {
    _mm512_mask_storeu_ps(destination, (__mmask16)((1u << count) - 1), v);
}

// Results of 1, 2 or 4 columns stored without gaps, with `a` stored transposed (so that a
// column of `a` is contiguous): 16 / n rows share a vector, lane l holding row l / n and
// column l % n, and up to four such groups of rows are computed at once. Each element is the
// same chain of fused multiply-adds as in the row-per-vector loops (no rows are split when
// there are fewer than eight columns).
__attribute__((target("avx512f,fma"), always_inline))
static inline void narrow_groups_avx512(const int groups, long r, long m, long n, long k, const float *restrict a,
                                        long lda, const float *restrict packed, long stride, int beta_zero,
                                        __m512 fixed, __m512i row_of_lane, __m512i column_of_lane, float *restrict c) {
    const long per = 16 / n;
    const __m512 zero = _mm512_setzero_ps();
    __m512 acc[4] = {zero, zero, zero, zero};
    __mmask16 rows_mask[4];
    long rows[4];
    for (int g = 0; g < groups; g++) {
        long first = r + g * per;
        rows[g] = m - first < per ? m - first : per;
        rows_mask[g] = (__mmask16)((1u << rows[g]) - 1);
    }
    for (long kk = 0; kk < k; kk++) {
        const __m512 columns =
            _mm512_permutexvar_ps(column_of_lane, _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), packed + kk * stride));
        for (int g = 0; g < groups; g++) {
            const __m512 values = _mm512_maskz_loadu_ps(rows_mask[g], a + kk * lda + r + g * per);
            acc[g] = _mm512_fmadd_ps(_mm512_permutexvar_ps(row_of_lane, values), columns, acc[g]);
        }
    }
    for (int g = 0; g < groups; g++) {
        float *out = c + (r + g * per) * n;
        const long count = rows[g] * n;
        const __mmask16 out_mask = (__mmask16)(count == 16 ? 0xffff : (1u << count) - 1);
        const __m512 base = beta_zero ? fixed : _mm512_maskz_loadu_ps(out_mask, out);
        store_lanes16(out, _mm512_add_ps(acc[g], base), count);
    }
}

__attribute__((target("avx512f,fma")))
static void ordered_narrow_avx512(long m, long n, long k, const float *restrict a, long lda,
                                  const float *restrict packed, long stride, int beta_zero, const float *restrict bias,
                                  float *restrict c) {
    const long per = 16 / n;
    int row_lanes[16], column_lanes[16];
    for (int l = 0; l < 16; l++) {
        row_lanes[l] = (int)(l / n);
        column_lanes[l] = (int)(l % n);
    }
    const __m512i row_of_lane = _mm512_loadu_si512(row_lanes);
    const __m512i column_of_lane = _mm512_loadu_si512(column_lanes);
    // What the products are added to when it is not the old values: the bias or zero.
    const __m512 fixed = bias != NULL
        ? _mm512_permutexvar_ps(column_of_lane, _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), bias))
        : _mm512_setzero_ps();
    const int fixed_base = bias != NULL || beta_zero;
    for (long r = 0; r < m; r += 4 * per) {
        const long left = (m - r + per - 1) / per;
        switch (left >= 4 ? 4 : left) {
        case 4: narrow_groups_avx512(4, r, m, n, k, a, lda, packed, stride, fixed_base, fixed, row_of_lane, column_of_lane, c); break;
        case 3: narrow_groups_avx512(3, r, m, n, k, a, lda, packed, stride, fixed_base, fixed, row_of_lane, column_of_lane, c); break;
        case 2: narrow_groups_avx512(2, r, m, n, k, a, lda, packed, stride, fixed_base, fixed, row_of_lane, column_of_lane, c); break;
        default: narrow_groups_avx512(1, r, m, n, k, a, lda, packed, stride, fixed_base, fixed, row_of_lane, column_of_lane, c); break;
        }
    }
}

// `rows` (at most `block`) consecutive rows from `r`, one chain per row and vector: the rows
// past `rows` repeat the last one and are not stored.
__attribute__((target("avx512f,fma"), always_inline))
static inline void rows_avx512(const int block, const int trans_a, long r, long rows, long k, const float *restrict a,
                               long lda, const float *restrict packed, long stride, int fixed_base, __m512 fixed,
                               __mmask16 mask, long n, float *restrict c, long ldc) {
    const __m512 zero = _mm512_setzero_ps();
    long source[16];
    for (int i = 0; i < block; i++) source[i] = r + (i < rows ? i : rows - 1);
    __m512 acc[16];
    for (int i = 0; i < block; i++) acc[i] = zero;
    for (long kk = 0; kk < k; kk++) {
        const __m512 column = _mm512_maskz_loadu_ps(mask, packed + kk * stride);
        for (int i = 0; i < block; i++) acc[i] = _mm512_fmadd_ps(_mm512_set1_ps(OP_A(source[i], kk)), column, acc[i]);
    }
    for (int i = 0; i < rows; i++) {
        const __m512 base = fixed_base ? fixed : _mm512_maskz_loadu_ps(mask, c + (r + i) * ldc);
        store_lanes16(c + (r + i) * ldc, _mm512_add_ps(acc[i], base), n);
    }
}

__attribute__((target("avx512f,fma"), always_inline))
static inline void ordered_avx512(const int trans_a, long m, long n, long k, const float *restrict a, long lda,
                           const float *restrict packed, long stride, int beta_zero, const float *restrict bias,
                           float *restrict c, long ldc) {
    const __mmask16 mask = (__mmask16)((1u << n) - 1);
    const __m512 zero = _mm512_setzero_ps();
    // What each row's products are added to: the bias, nothing, or the row's old values.
    const int fixed_base = bias != NULL || beta_zero;
    const __m512 fixed = bias != NULL ? _mm512_maskz_loadu_ps(mask, bias) : zero;
    if (trans_a && (n == 1 || n == 2 || n == 4) && ldc == n) {
        ordered_narrow_avx512(m, n, k, a, lda, packed, stride, beta_zero, bias, c);
        return;
    }
    long split_first, split_end;
    split_rows(m, &split_first, &split_end);
    if (n < 8) split_first = split_end = m;
    long r = 0;
    while (r < m) {
        if (r == split_first && split_end > split_first) {
            // Even and odd chains (columns 0-7), the plain chain for columns 8-15; the rows
            // four at a time (split_rows makes them a multiple of four), side by side, so that
            // their twelve chains overlap.
            for (; r < split_end; r += 4) {
                __m512 even[4], odd[4], plain[4];
                for (int i = 0; i < 4; i++) even[i] = odd[i] = plain[i] = zero;
                const long blocks = k / 8;
                for (long block = 0; block < blocks; block++) {
                    for (long j = 0; j < 8; j += 2) {
                        const long kk = block * 8 + j;
                        const __m512 first = _mm512_maskz_loadu_ps(mask, packed + kk * stride);
                        const __m512 second = _mm512_maskz_loadu_ps(mask, packed + (kk + 1) * stride);
                        for (int i = 0; i < 4; i++) {
                            even[i] = _mm512_fmadd_ps(_mm512_set1_ps(OP_A(r + i, kk)), first, even[i]);
                            odd[i] = _mm512_fmadd_ps(_mm512_set1_ps(OP_A(r + i, kk + 1)), second, odd[i]);
                        }
                    }
                }
                for (long kk = blocks * 8; kk < k; kk++) {
                    const __m512 column = _mm512_maskz_loadu_ps(mask, packed + kk * stride);
                    for (int i = 0; i < 4; i++) even[i] = _mm512_fmadd_ps(_mm512_set1_ps(OP_A(r + i, kk)), column, even[i]);
                }
                for (long kk = 0; kk < k; kk++) {
                    const __m512 column = _mm512_maskz_loadu_ps(mask, packed + kk * stride);
                    for (int i = 0; i < 4; i++) plain[i] = _mm512_fmadd_ps(_mm512_set1_ps(OP_A(r + i, kk)), column, plain[i]);
                }
                for (int i = 0; i < 4; i++) {
                    __m512 acc = _mm512_mask_blend_ps((__mmask16)0x00ff, plain[i], _mm512_add_ps(even[i], odd[i]));
                    __m512 base = fixed_base ? fixed : _mm512_maskz_loadu_ps(mask, c + (r + i) * ldc);
                    store_lanes16(c + (r + i) * ldc, _mm512_add_ps(acc, base), n);
                }
            }
            continue;
        }
        long stop = r < split_first ? split_first : m;
        // Twelve rows at a time: twelve independent chains keep the FMA units busy. The rows
        // left over go in a group of four or eight, which repeats its last row in the chains
        // it does not need and stores only its own rows.
        while (stop - r >= 12) {
            rows_avx512(12, trans_a, r, 12, k, a, lda, packed, stride, fixed_base, fixed, mask, n, c, ldc);
            r += 12;
        }
        if (stop - r > 4) {
            rows_avx512(8, trans_a, r, stop - r < 8 ? stop - r : 8, k, a, lda, packed, stride, fixed_base, fixed, mask, n, c, ldc);
            r += stop - r < 8 ? stop - r : 8;
        }
        if (stop > r) {
            rows_avx512(4, trans_a, r, stop - r, k, a, lda, packed, stride, fixed_base, fixed, mask, n, c, ldc);
            r = stop;
        }
    }
}

// The same order with two 8-lane halves, for CPUs with AVX2 and FMA but not AVX-512.
__attribute__((target("avx2,fma"), always_inline))
static inline void ordered_avx2(const int trans_a, long m, long n, long k, const float *restrict a, long lda,
                         const float *restrict packed, int beta_zero, const float *restrict bias, float *restrict c,
                         long ldc) {
    int lanes[16];
    for (int i = 0; i < 16; i++) lanes[i] = i < n ? -1 : 0;
    const __m256i low_mask = _mm256_loadu_si256((const __m256i *)lanes);
    const __m256i high_mask = _mm256_loadu_si256((const __m256i *)(lanes + 8));
    const int high = n > 8;
    const __m256 zero = _mm256_setzero_ps();
    long split_first, split_end;
    split_rows(m, &split_first, &split_end);
    if (n < 8) split_first = split_end = m;
    for (long r = 0; r < m; r++) {
        const int split = r >= split_first && r < split_end;
        __m256 low = zero, odd = zero, upper = zero;
        if (split) {
            long blocks = k / 8;
            for (long block = 0; block < blocks; block++) {
                for (long j = 0; j < 8; j += 2) {
                    long kk = block * 8 + j;
                    low = _mm256_fmadd_ps(_mm256_set1_ps(OP_A(r, kk)), _mm256_load_ps(packed + kk * 16), low);
                    odd = _mm256_fmadd_ps(_mm256_set1_ps(OP_A(r, kk + 1)), _mm256_load_ps(packed + (kk + 1) * 16), odd);
                }
            }
            for (long kk = blocks * 8; kk < k; kk++) {
                low = _mm256_fmadd_ps(_mm256_set1_ps(OP_A(r, kk)), _mm256_load_ps(packed + kk * 16), low);
            }
            low = _mm256_add_ps(low, odd);
            if (high) {
                for (long kk = 0; kk < k; kk++) {
                    upper = _mm256_fmadd_ps(_mm256_set1_ps(OP_A(r, kk)), _mm256_load_ps(packed + kk * 16 + 8), upper);
                }
            }
        } else if (high) {
            for (long kk = 0; kk < k; kk++) {
                __m256 value = _mm256_set1_ps(OP_A(r, kk));
                low = _mm256_fmadd_ps(value, _mm256_load_ps(packed + kk * 16), low);
                upper = _mm256_fmadd_ps(value, _mm256_load_ps(packed + kk * 16 + 8), upper);
            }
        } else {
            for (long kk = 0; kk < k; kk++) {
                low = _mm256_fmadd_ps(_mm256_set1_ps(OP_A(r, kk)), _mm256_load_ps(packed + kk * 16), low);
            }
        }
        float *row = c + r * ldc;
        // What the products are added to: the bias, nothing, or the row's old values.
        const float *source = bias != NULL ? bias : row;
        __m256 base = bias == NULL && beta_zero ? zero : _mm256_maskload_ps(source, low_mask);
        store_lanes8(row, _mm256_add_ps(low, base), high ? 8 : n);
        if (high) {
            base = bias == NULL && beta_zero ? zero : _mm256_maskload_ps(source + 8, high_mask);
            store_lanes8(row + 8, _mm256_add_ps(upper, base), n - 8);
        }
    }
}

// Each instruction set with the transposition of `a` fixed, so that the loops are compiled
// for one access pattern.
__attribute__((target("avx512f,fma")))
static void ordered_avx512_n(long m, long n, long k, const float *restrict a, long lda, const float *restrict packed,
                             long stride, int beta_zero, const float *restrict bias, float *restrict c, long ldc) {
    ordered_avx512(0, m, n, k, a, lda, packed, stride, beta_zero, bias, c, ldc);
}
__attribute__((target("avx512f,fma")))
static void ordered_avx512_t(long m, long n, long k, const float *restrict a, long lda, const float *restrict packed,
                             long stride, int beta_zero, const float *restrict bias, float *restrict c, long ldc) {
    ordered_avx512(1, m, n, k, a, lda, packed, stride, beta_zero, bias, c, ldc);
}
__attribute__((target("avx2,fma")))
static void ordered_avx2_n(long m, long n, long k, const float *restrict a, long lda, const float *restrict packed,
                           int beta_zero, const float *restrict bias, float *restrict c, long ldc) {
    ordered_avx2(0, m, n, k, a, lda, packed, beta_zero, bias, c, ldc);
}
__attribute__((target("avx2,fma")))
static void ordered_avx2_t(long m, long n, long k, const float *restrict a, long lda, const float *restrict packed,
                           int beta_zero, const float *restrict bias, float *restrict c, long ldc) {
    ordered_avx2(1, m, n, k, a, lda, packed, beta_zero, bias, c, ldc);
}

// 0: not known yet; 1: AVX-512; 2: AVX2 and FMA; 3: neither.
static atomic_int instruction_set;

static int detect_instruction_set(void) {
    int found = atomic_load_explicit(&instruction_set, memory_order_relaxed);
    if (found) return found;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) found = 1;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) found = 2;
    else found = 3;
    atomic_store_explicit(&instruction_set, found, memory_order_relaxed);
    return found;
}

int textclf_sgemm_ordered_available(void) { return detect_instruction_set() != 3; }

int textclf_sgemm_ordered_using(int instruction_set, int trans_a, int trans_b, long m, long n, long k, const float *a,
                                long lda, const float *b, long ldb, int beta_zero, const float *bias, float *c,
                                long ldc) {
    if (m <= 0 || n <= 0 || n > TEXTCLF_ORDERED_MAX_COLUMNS || k <= 0 || k > TEXTCLF_ORDERED_MAX_INNER) return 0;
    const int available = detect_instruction_set();
    if (available == 3) return 0;
    // 1 (AVX-512) needs AVX-512; 2 (AVX2) runs on either; 0 takes the best.
    int set = instruction_set == 0 ? available : instruction_set;
    if (set < available || set > 2) return 0;
    float packed[TEXTCLF_ORDERED_MAX_INNER * 16] __attribute__((aligned(64)));
    if (trans_b) {
        pack_transposed(packed, b, ldb, k, n);
    } else if (set == 2) {
        pack_rows_avx2(packed, b, ldb, k, n);
    }
    if (set == 1) {
        // AVX-512 reads the rows of an untransposed `b` in place, with masked loads.
        const float *rows = trans_b ? packed : b;
        const long stride = trans_b ? 16 : ldb;
        (trans_a ? ordered_avx512_t : ordered_avx512_n)(m, n, k, a, lda, rows, stride, beta_zero, bias, c, ldc);
    } else {
        (trans_a ? ordered_avx2_t : ordered_avx2_n)(m, n, k, a, lda, packed, beta_zero, bias, c, ldc);
    }
    return 1;
}

int textclf_sgemm_ordered(int trans_a, int trans_b, long m, long n, long k, const float *a, long lda,
                          const float *b, long ldb, int beta_zero, float *c, long ldc) {
    return textclf_sgemm_ordered_using(0, trans_a, trans_b, m, n, k, a, lda, b, ldb, beta_zero, NULL, c, ldc);
}

int textclf_sgemm_ordered_bias(int trans_a, int trans_b, long m, long n, long k, const float *a, long lda,
                               const float *b, long ldb, const float *bias, float *c, long ldc) {
    return textclf_sgemm_ordered_using(0, trans_a, trans_b, m, n, k, a, lda, b, ldb, 0, bias, c, ldc);
}

// Verdicts on shapes: an open-addressing table of `key << 1 | verdict` entries (0: empty)
// that only ever gains entries, so a lookup never misses a recorded key.
#define VERDICT_SLOTS 4096
static _Atomic uint64_t verdicts[VERDICT_SLOTS];

static inline unsigned verdict_slot(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (unsigned)(key % VERDICT_SLOTS);
}

int textclf_gemm_verdict(uint64_t key) {
    unsigned slot = verdict_slot(key);
    for (unsigned probe = 0; probe < VERDICT_SLOTS; probe++) {
        uint64_t entry = atomic_load_explicit(&verdicts[slot], memory_order_acquire);
        if (entry == 0) return -1;
        if ((entry >> 1) == key) return (int)(entry & 1);
        slot = (slot + 1) % VERDICT_SLOTS;
    }
    return -1;
}

int textclf_gemm_record_verdict(uint64_t key, int agrees) {
    uint64_t wanted = (key << 1) | (agrees ? 1 : 0);
    unsigned slot = verdict_slot(key);
    for (unsigned probe = 0; probe < VERDICT_SLOTS; probe++) {
        uint64_t expected = 0;
        if (atomic_compare_exchange_strong_explicit(&verdicts[slot], &expected, wanted, memory_order_acq_rel,
                                                    memory_order_acquire)) {
            return 1;
        }
        // Another thread may have recorded the same key first (with the same verdict).
        if ((expected >> 1) == key) return 1;
        slot = (slot + 1) % VERDICT_SLOTS;
    }
    return 0;
}
