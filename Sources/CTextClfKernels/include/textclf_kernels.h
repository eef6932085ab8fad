#ifndef TEXTCLF_KERNELS_H
#define TEXTCLF_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Whether the calling thread flushes subnormal floats to zero, as results (flush-to-zero)
/// and as inputs (denormals-are-zero). 0 on processors where this cannot be set.
int textclf_flushes_subnormals(void);

/// Turns flushing of subnormal floats on (`on` nonzero) or off for the calling thread;
/// threads it creates afterwards inherit the setting. Returns whether it was on.
int textclf_set_flush_subnormals(int on);

/// The widest vector instructions the CPU (and the operating system) supports: 3 for
/// AVX-512 (F, BW, VL, DQ and CD), 2 for AVX2 with FMA, 1 for AVX, 0 otherwise (and on
/// processors other than x86).
int textclf_cpu_vector_level(void);

/// Adam's update without weight decay or AMSGrad, in place, over `count` elements:
///   m = m + weight1 * (g - m);  v = v * beta2 + weight2 * g * g;
///   param = param + negative_step * m / (sqrt(v) / bias_correction2_root + epsilon)
/// with the operation order of textclf's scalar definition (no contraction into FMA), so
/// the result is the same as the scalar loop's. The buffers must not overlap.
void textclf_adam_step(float *restrict param, const float *restrict grad, float *restrict m,
                       float *restrict v, long count, float weight1, float beta2, float weight2,
                       float negative_step, float bias_correction2_root, float epsilon);

/// The index of the first NaN or infinite value among `count`, or -1 when all are finite.
long textclf_first_nonfinite(const float *values, long count);

/// Copies row `rows[i]` of the row-major `source` (`columns` wide) to row `i` of `out`, for
/// `i` in `0..<count`, prefetching the rows ahead. The indices must be in range.
void textclf_gather_rows(float *restrict out, const float *restrict source, const ptrdiff_t *restrict rows,
                         long count, long columns);

/// Hints that rows `rows[0..<count]` of the row-major `source` (`columns` wide) will be read
/// soon: asks the cache for every line they cover, reading and writing nothing. The indices
/// must be in range.
void textclf_prefetch_rows(const float *source, const ptrdiff_t *rows, long count, long columns);

/// `out[j] = Σ_i source[i * columns + j]` for `j` in `0..<columns`: each column summed in row
/// order from +0, as a running sum would (vectorised across columns only).
void textclf_sum_columns(float *restrict out, const float *restrict source, long rows, long columns);

/// ``textclf_sum_columns`` on a chosen implementation: 1 AVX-512, 2 AVX2, 3 plain C, 0 the
/// best the CPU has. Returns 0 without writing when the CPU lacks it, else 1. For tests.
int textclf_sum_columns_using(int instruction_set, float *restrict out, const float *restrict source, long rows,
                              long columns);

/// `count` copies of the `columns` values at `row`, one after another at `out`.
void textclf_repeat_row(float *restrict out, const float *restrict row, long count, long columns);

/// The rows of a softmax cross-entropy: for each of `rows` rows of `classes` logits (at least
/// one), with the row's maximum `top`, `e = exp(x − top)` and `total = Σ e` (in column order),
/// writes `products[i] = q · (x − (log(total) + top))` and `gradient[i] = e · (1 / total) ·
/// weight − q` (times `1 / divisor` unless `divisor` is 1), where `q` is the row's `weight`
/// in the column `targets[row]` and 0 elsewhere: the arithmetic of textclf's softmax,
/// log-softmax and cross-entropy composition, in its order. `scratch` holds `3 · rows` floats
/// of working space. The targets must be columns.
void textclf_softmax_cross_entropy(float *restrict gradient, float *restrict products, float *restrict scratch,
                                   const float *restrict logits, long rows, long classes,
                                   const ptrdiff_t *restrict targets, const float *restrict weights, float divisor);

/// `out[i] = e^values[i]` for `count` values, within 1.01 ulp, the same bits on every CPU (a
/// vectorised polynomial, not the C library's `expf`): the exponential of the softmax kernels.
/// `out` is either `values` or memory that does not overlap it.
void textclf_exp(float *out, const float *values, long count);

/// `out[i] = log(values[i])` for `count` values, within 0.83 ulp, the same bits on every CPU:
/// the logarithm of the softmax kernels. `out` is either `values` or memory that does not
/// overlap it.
void textclf_log(float *out, const float *values, long count);

/// ``textclf_exp`` or ``textclf_log`` by one implementation: `instruction_set` 1 for
/// AVX-512, 2 for AVX2 with FMA, 3 for the baseline, 0 for the best this CPU runs. Returns 0
/// (computing nothing) when the CPU lacks the instructions asked for. For tests: every
/// version gives the same bits.
int textclf_exp_using(int instruction_set, float *out, const float *values, long count);
int textclf_log_using(int instruction_set, float *out, const float *values, long count);

/// `count` steps of xoshiro256** from `state` (s0, s1, s2, s3; advanced in place): for each
/// step's 64-bit output `x`, writes the float whose bits are `pattern` to `out[i]` when
/// `x >> 40` (24 bits) is below `threshold`, else +0. With `threshold = ⌈p · 2²⁴⌉` and a
/// float's bits as `pattern`, these are the values of drawing `Float(x >> 40) · 2⁻²⁴ < p ?
/// value : 0` one after another.
void textclf_bernoulli_fill(uint64_t *restrict state, float *restrict out, long count, uint64_t threshold,
                            uint32_t pattern);

/// Stops OpenBLAS's worker threads when its build has them (`blas_thread_shutdown_`, a weak
/// reference); OpenBLAS starts them again for the first product that runs on several threads.
/// Returns whether there was such a function. Its threads spin on a core for a while after
/// they start and after every threaded product.
int textclf_stop_blas_threads(void);

/// The cores this process may use: the CPUs in its affinity mask, fewer when the cgroup v2
/// CPU quota (`/sys/fs/cgroup/cpu.max`) allows less (rounded up); at least 1.
int textclf_usable_cores(void);

/// `pow(base, exponent)` from the C library, remembering the last few results on the calling
/// thread: an optimizer step asks for the same bias-correction powers for every parameter.
double textclf_pow_remembered(double base, double exponent);

/// `out[i] = x[i] > 0 ? x[i] : 0` (NaN and -0 give +0).
void textclf_relu(float *restrict out, const float *restrict x, long count);

/// `out[i] = x[i] > 0 ? gradient[i] : 0`: the gradient through a ReLU whose input was `x`.
void textclf_relu_backward(float *restrict out, const float *restrict x, const float *restrict gradient, long count);

/// `out[i] = a[i] · b[i]`.
void textclf_multiply(float *restrict out, const float *restrict a, const float *restrict b, long count);

/// Asks the kernel to start writing a file's dirty pages to disk without waiting (Linux's
/// `sync_file_range` with `SYNC_FILE_RANGE_WRITE`; nothing elsewhere), so that a later `fsync`
/// finds them on their way. Returns 0, or -1 with `errno` set.
int textclf_start_writeback(int descriptor);

#endif
