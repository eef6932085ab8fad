#include "textclf_kernels.h"
#include <math.h>

// Plain C with restrict pointers so that the compiler vectorises the loop; contraction into
// FMA is off so that every backend computes bit-identical values.
#pragma STDC FP_CONTRACT OFF

void textclf_adam_step(float *restrict param, const float *restrict grad, float *restrict m,
                       float *restrict v, long count, float weight1, float beta2, float weight2,
                       float negative_step, float bias_correction2_root, float epsilon) {
    for (long i = 0; i < count; i++) {
        float g = grad[i];
        float mean = m[i] + weight1 * (g - m[i]);
        m[i] = mean;
        float second = v[i] * beta2 + weight2 * g * g;
        v[i] = second;
        param[i] = param[i] + negative_step * mean / (sqrtf(second) / bias_correction2_root + epsilon);
    }
}
