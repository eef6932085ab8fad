#ifndef TEXTCLF_KERNELS_H
#define TEXTCLF_KERNELS_H

#include <stddef.h>

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

#endif
