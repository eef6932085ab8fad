/// The GPU kernels, written once in a subset of C that compiles as OpenCL C and, behind a
/// prelude of macros, as CUDA C.
///
/// The subset: `KERNEL` functions whose pointer parameters are `GLOBAL`, `DEVICE` helper
/// functions, one work item per
/// element (`INDEX`, bounds-checked against the element count), `float` arithmetic through the
/// `F_…` math macros, `long` indices. Each kernel does exactly the arithmetic of the
/// `ReferenceBackend` operation it stands for (`UnaryMath`, `BinaryMath`, `ElementwiseKernel`),
/// in the same order, without contracting products and sums into fused multiply-adds, so
/// that the backends agree within the tolerances of the agreement tests.
///
/// Sums are taken in the reference's order, one work item per output value, with no atomics:
/// rows scattered to the same place, and the transposed sparse product, are grouped on the
/// host so that each work item adds its terms in order. The same inputs therefore give the
/// same bits on a device run after run.
enum DeviceKernelSource {
    /// The OpenCL C prelude.
    static let openCLPrelude = """
        #pragma OPENCL FP_CONTRACT OFF
        #define KERNEL __kernel
        #define DEVICE
        #define GLOBAL __global
        #define INDEX ((long)get_global_id(0))
        #define F_EXP(x) exp(x)
        #define F_LOG(x) log(x)
        #define F_TANH(x) tanh(x)
        #define F_ERF(x) erf(x)
        #define F_SQRT(x) sqrt(x)
        #define F_ABS(x) fabs(x)

        """

    /// The CUDA C prelude (NVRTC compiles the kernels as C++ with C linkage).
    static let cudaPrelude = """
        #define KERNEL extern "C" __global__
        #define DEVICE __device__
        #define GLOBAL
        #define INDEX ((long)blockIdx.x * blockDim.x + threadIdx.x)
        #define F_EXP(x) expf(x)
        #define F_LOG(x) logf(x)
        #define F_TANH(x) tanhf(x)
        #define F_ERF(x) erff(x)
        #define F_SQRT(x) sqrtf(x)
        #define F_ABS(x) fabsf(x)

        """

    /// The operation codes of ``UnaryOperation`` in the kernels, with its parameter.
    static func code(_ operation: UnaryOperation) -> (code: Int32, parameter: Float) {
        switch operation {
        case .relu: (0, 0)
        case .leakyRelu(let slope): (1, slope)
        case .tanh: (2, 0)
        case .sigmoid: (3, 0)
        case .gelu: (4, 0)
        case .exp: (5, 0)
        case .log: (6, 0)
        case .negate: (7, 0)
        case .square: (8, 0)
        case .sqrt: (9, 0)
        case .abs: (10, 0)
        case .sign: (11, 0)
        case .scale(let factor): (12, factor)
        case .shift(let value): (13, value)
        }
    }

    /// The operation codes of ``BinaryOperation`` in the kernels.
    static func code(_ operation: BinaryOperation) -> Int32 {
        switch operation {
        case .add: 0
        case .subtract: 1
        case .multiply: 2
        case .divide: 3
        case .maximum: 4
        case .minimum: 5
        }
    }

    /// The kernels, after a prelude.
    static let kernels = """
        // f(x) for the unary operation `op` (UnaryMath.value).
        DEVICE float unary_value(int op, float p, float x) {
            switch (op) {
            case 0: return x > 0 ? x : 0;
            case 1: return x > 0 ? x : p * x;
            case 2: return F_TANH(x);
            case 3: return 1 / (1 + F_EXP(-x));
            case 4: return 0.5f * x * (1 + F_ERF(x / F_SQRT(2.0f)));
            case 5: return F_EXP(x);
            case 6: return F_LOG(x);
            case 7: return -x;
            case 8: return x * x;
            case 9: return F_SQRT(x);
            case 10: return F_ABS(x);
            case 11: return x > 0 ? 1 : (x < 0 ? -1 : 0);
            case 12: return x * p;
            default: return x + p;
            }
        }

        // f'(x) given x and y = f(x) (UnaryMath.derivative).
        DEVICE float unary_derivative(int op, float p, float x, float y) {
            switch (op) {
            case 0: return x > 0 ? 1 : 0;
            case 1: return x > 0 ? 1 : p;
            case 2: return 1 - y * y;
            case 3: return y * (1 - y);
            case 4: {
                float cdf = 0.5f * (1 + F_ERF(x / F_SQRT(2.0f)));
                float pdf = F_EXP(-0.5f * x * x) / F_SQRT(2 * 3.14159265358979323846f);
                return cdf + x * pdf;
            }
            case 5: return y;
            case 6: return 1 / x;
            case 7: return -1;
            case 8: return 2 * x;
            case 9: return 0.5f / y;
            case 10: return x > 0 ? 1 : (x < 0 ? -1 : 0);
            case 11: return 0;
            case 12: return p;
            default: return 1;
            }
        }

        // a ∘ b (BinaryMath.value); maximum and minimum as Swift's max and min.
        DEVICE float binary_value(int op, float a, float b) {
            switch (op) {
            case 0: return a + b;
            case 1: return a - b;
            case 2: return a * b;
            case 3: return a / b;
            case 4: return b >= a ? b : a;
            default: return b < a ? b : a;
            }
        }

        KERNEL void unary_forward(int op, float p, const GLOBAL float *x, GLOBAL float *y, long n) {
            long i = INDEX;
            if (i < n) y[i] = unary_value(op, p, x[i]);
        }

        KERNEL void unary_backward(int op, float p, const GLOBAL float *x, const GLOBAL float *y,
                                   const GLOBAL float *g, GLOBAL float *out, long n) {
            long i = INDEX;
            if (i < n) out[i] = g[i] * unary_derivative(op, p, x[i], y[i]);
        }

        // b broadcast by `mode`: 0 the same shape, 1 one value, 2 one row of `columns` values.
        KERNEL void binary(int op, int mode, long columns, const GLOBAL float *a, const GLOBAL float *b,
                           GLOBAL float *out, long n) {
            long i = INDEX;
            if (i >= n) return;
            long j = mode == 0 ? i : (mode == 1 ? 0 : i % columns);
            out[i] = binary_value(op, a[i], b[j]);
        }

        // y += alpha · x.
        KERNEL void axpy(float alpha, const GLOBAL float *x, GLOBAL float *y, long n) {
            long i = INDEX;
            if (i < n) y[i] += alpha * x[i];
        }


        // C = alpha · op(A) · op(B) + beta · C, row-major (lda, ldb: the stored widths of A
        // and B); one work item per element of C; beta = 0 overwrites C.
        KERNEL void gemm(int transpose_a, int transpose_b, long m, long n, long k, long lda, long ldb, float alpha,
                         float beta, const GLOBAL float *a, const GLOBAL float *b, GLOBAL float *c) {
            long index = INDEX;
            if (index >= m * n) return;
            long i = index / n, j = index % n;
            float total = 0;
            for (long p = 0; p < k; p++) {
                float left = transpose_a ? a[p * lda + i] : a[i * lda + p];
                float right = transpose_b ? b[j * ldb + p] : b[p * ldb + j];
                total += left * right;
            }
            c[index] = alpha * total + (beta == 0 ? 0 : beta * c[index]);
        }

        // Column sums of a [rows, columns] matrix, one work item per column.
        KERNEL void sum_columns(long rows, long columns, const GLOBAL float *x, GLOBAL float *out) {
            long j = INDEX;
            if (j >= columns) return;
            float total = 0;
            for (long i = 0; i < rows; i++) total += x[i * columns + j];
            out[j] = total;
        }

        // Row sums, one work item per row.
        KERNEL void sum_rows(long rows, long columns, const GLOBAL float *x, GLOBAL float *out) {
            long i = INDEX;
            if (i >= rows) return;
            float total = 0;
            for (long j = 0; j < columns; j++) total += x[i * columns + j];
            out[i] = total;
        }

        // The sum of all n values, in order, by one work item.
        KERNEL void sum_all(long n, const GLOBAL float *x, GLOBAL float *out) {
            if (INDEX != 0) return;
            float total = 0;
            for (long i = 0; i < n; i++) total += x[i];
            out[0] = total;
        }

        // The first column of each row's maximum.
        KERNEL void argmax_rows(long rows, long columns, const GLOBAL float *x, GLOBAL long *out) {
            long i = INDEX;
            if (i >= rows) return;
            long best = 0;
            for (long j = 1; j < columns; j++) if (x[i * columns + j] > x[i * columns + best]) best = j;
            out[i] = best;
        }

        // For each block of `block` values, the index of its first NaN or infinity, or -1.
        // (x - x is NaN for an infinity; x != x for a NaN.)
        KERNEL void first_nonfinite(long n, long block, const GLOBAL float *x, GLOBAL long *out) {
            long b = INDEX;
            if (b * block >= n) return;
            long end = b * block + block < n ? b * block + block : n;
            long found = -1;
            for (long i = b * block; i < end; i++) {
                float v = x[i];
                if (v != v || v - v != 0) { found = i; break; }
            }
            out[b] = found;
        }

        // The maximum of row i (0 for an empty row).
        DEVICE float row_max(const GLOBAL float *row, long columns) {
            if (columns == 0) return 0;
            float top = row[0];
            for (long j = 1; j < columns; j++) if (row[j] > top) top = row[j];
            return top;
        }

        // The sum of exp(row[j] - top), in order.
        DEVICE float row_exp_sum(const GLOBAL float *row, long columns, float top) {
            float total = 0;
            for (long j = 0; j < columns; j++) total += F_EXP(row[j] - top);
            return total;
        }

        KERNEL void softmax_rows(long rows, long columns, const GLOBAL float *x, GLOBAL float *out) {
            long i = INDEX;
            if (i >= rows) return;
            const GLOBAL float *row = x + i * columns;
            float top = row_max(row, columns);
            float total = row_exp_sum(row, columns, top);
            for (long j = 0; j < columns; j++) out[i * columns + j] = F_EXP(row[j] - top) / total;
        }

        KERNEL void log_softmax_rows(long rows, long columns, const GLOBAL float *x, GLOBAL float *out) {
            long i = INDEX;
            if (i >= rows) return;
            const GLOBAL float *row = x + i * columns;
            float top = row_max(row, columns);
            float log_total = F_LOG(row_exp_sum(row, columns, top)) + top;
            for (long j = 0; j < columns; j++) out[i * columns + j] = row[j] - log_total;
        }

        // Softmax cross-entropy per row: the row's weighted log-probability of its target
        // (summed in order on the host) and the gradient (P · w − Q), times `scale` when
        // `scaled` (1 / divisor).
        KERNEL void softmax_cross_entropy(long rows, long classes, const GLOBAL float *logits, const GLOBAL long *targets,
                                          const GLOBAL float *weights, int scaled, float scale, GLOBAL float *gradient,
                                          GLOBAL float *row_terms) {
            long i = INDEX;
            if (i >= rows) return;
            const GLOBAL float *row = logits + i * classes;
            float top = row_max(row, classes);
            float total = row_exp_sum(row, classes, top);
            float log_total = F_LOG(total) + top;
            long target = targets[i];
            float w = weights[i];
            row_terms[i] = w * (row[target] - log_total);
            for (long j = 0; j < classes; j++) {
                float g = (F_EXP(row[j] - top) / total) * w - (j == target ? w : 0);
                gradient[i * classes + j] = scaled ? g * scale : g;
            }
        }

        // out[p] = x[indices[p]], row by row; one work item per element of out.
        KERNEL void gather_rows(long count, long columns, const GLOBAL float *x, const GLOBAL long *indices,
                                GLOBAL float *out) {
            long index = INDEX;
            if (index >= count * columns) return;
            long p = index / columns, j = index % columns;
            out[index] = x[indices[p] * columns + j];
        }

        // x[targets[g]] += rows[positions[starts[g]]] + … in position order, for each group g of
        // equal target rows; one work item per (group, column), so no two write one place.
        KERNEL void scatter_add_rows(long groups, long columns, const GLOBAL long *targets, const GLOBAL long *starts,
                                     const GLOBAL long *positions, const GLOBAL float *rows, GLOBAL float *x) {
            long index = INDEX;
            if (index >= groups * columns) return;
            long g = index / columns, j = index % columns;
            float total = x[targets[g] * columns + j];
            for (long e = starts[g]; e < starts[g + 1]; e++) total += rows[positions[e] * columns + j];
            x[targets[g] * columns + j] = total;
        }

        // x = base, or zeros without one (has_base = 0).
        KERNEL void copy_or_zero(long n, int has_base, const GLOBAL float *base, GLOBAL float *x) {
            long i = INDEX;
            if (i < n) x[i] = has_base ? base[i] : 0;
        }

        // CSR × dense: out[i, j] = Σ values[e] · w[columns[e], j] over the entries, in order, of
        // row row_list[i] of the matrix (a whole data set, or the batch itself).
        KERNEL void sparse_multiply(long rows, long n, const GLOBAL long *row_list, const GLOBAL long *row_pointers,
                                    const GLOBAL int *column_indices, const GLOBAL float *values, const GLOBAL float *w,
                                    GLOBAL float *out) {
            long index = INDEX;
            if (index >= rows * n) return;
            long i = index / n, j = index % n, r = row_list[i];
            float total = 0;
            for (long e = row_pointers[r]; e < row_pointers[r + 1]; e++) total += values[e] * w[(long)column_indices[e] * n + j];
            out[index] = total;
        }

        // CSRᵀ × dense over the touched columns: out[p, j] = Σ values[source] · g[row, j] over
        // the entries of touched column p (starts[p] …, rows increasing), each given by its
        // row in g and its place in values; the host groups the entries by column.
        KERNEL void sparse_transposed_multiply(long touched, long n, const GLOBAL long *starts, const GLOBAL long *entry_rows,
                                               const GLOBAL long *entry_sources, const GLOBAL float *values, const GLOBAL float *g,
                                               GLOBAL float *out) {
            long index = INDEX;
            if (index >= touched * n) return;
            long p = index / n, j = index % n;
            float total = 0;
            for (long e = starts[p]; e < starts[p + 1]; e++) total += values[entry_sources[e]] * g[entry_rows[e] * n + j];
            out[index] = total;
        }

        // ElementwiseKernel's cases, with the same per-element arithmetic.

        DEVICE float lerp(float a, float b, float weight) {
            return weight < 0.5f ? a + weight * (b - a) : b - (b - a) * (1 - weight);
        }

        // axpby: y = alpha · x + beta · y.
        KERNEL void axpby(long n, float alpha, float beta, GLOBAL float *y, const GLOBAL float *x) {
            long i = INDEX;
            if (i < n) y[i] = alpha * x[i] + beta * y[i];
        }

        // l1: grad += strength · sign(param); l2: grad += strength · param.
        KERNEL void penalty(long n, int l1, float strength, GLOBAL float *grad, const GLOBAL float *param) {
            long i = INDEX;
            if (i >= n) return;
            float value = param[i];
            if (l1) grad[i] += strength * (value > 0 ? 1 : (value < 0 ? -1 : 0));
            else grad[i] += strength * value;
        }

        KERNEL void sgd(long n, float negative_rate, float momentum, float keep, int nesterov, float weight_decay,
                        int first_step, GLOBAL float *param, const GLOBAL float *grad, GLOBAL float *buffer) {
            long i = INDEX;
            if (i >= n) return;
            float g = grad[i];
            if (weight_decay != 0) g = g + weight_decay * param[i];
            if (momentum != 0) {
                float b = first_step ? g : momentum * buffer[i] + keep * g;
                buffer[i] = b;
                g = nesterov ? g + momentum * b : b;
            }
            param[i] = param[i] + negative_rate * g;
        }

        // Adam and AdamW; v_max is read and written only with amsgrad.
        KERNEL void adam(long n, float weight1, float beta2, float weight2, float negative_step, float correction2_root,
                         float epsilon, float weight_decay, int decoupled, float decay, int amsgrad, GLOBAL float *param,
                         const GLOBAL float *grad, GLOBAL float *m, GLOBAL float *v, GLOBAL float *v_max) {
            long i = INDEX;
            if (i >= n) return;
            float g = grad[i];
            if (weight_decay != 0) {
                if (decoupled) param[i] = param[i] * decay;
                else g = g + weight_decay * param[i];
            }
            float mean = lerp(m[i], g, weight1);
            m[i] = mean;
            float second = v[i] * beta2 + weight2 * g * g;
            v[i] = second;
            if (amsgrad) {
                second = second >= v_max[i] ? second : v_max[i];
                v_max[i] = second;
            }
            float denominator = F_SQRT(second) / correction2_root + epsilon;
            param[i] = param[i] + negative_step * mean / denominator;
        }

        KERNEL void adagrad(long n, float negative_rate, float weight_decay, float epsilon, GLOBAL float *param,
                            const GLOBAL float *grad, GLOBAL float *sum) {
            long i = INDEX;
            if (i >= n) return;
            float g = grad[i];
            if (weight_decay != 0) g = g + weight_decay * param[i];
            float total = sum[i] + g * g;
            sum[i] = total;
            float std = F_SQRT(total) + epsilon;
            param[i] = param[i] + negative_rate * g / std;
        }

        // RMSprop; buffer is used with momentum > 0, average when centered.
        KERNEL void rmsprop(long n, float negative_rate, float alpha, float weight, float epsilon, float weight_decay,
                            float momentum, int centered, GLOBAL float *param, const GLOBAL float *grad,
                            GLOBAL float *square_average, GLOBAL float *buffer, GLOBAL float *gradient_average) {
            long i = INDEX;
            if (i >= n) return;
            float g = grad[i];
            if (weight_decay != 0) g = g + weight_decay * param[i];
            float square = square_average[i] * alpha + weight * g * g;
            square_average[i] = square;
            float average;
            if (centered) {
                float mean = lerp(gradient_average[i], g, weight);
                gradient_average[i] = mean;
                average = F_SQRT(square + -1 * mean * mean);
            } else {
                average = F_SQRT(square);
            }
            average = average + epsilon;
            if (momentum > 0) {
                float b = buffer[i] * momentum + g / average;
                buffer[i] = b;
                param[i] = param[i] + negative_rate * b;
            } else {
                param[i] = param[i] + negative_rate * g / average;
            }
        }

        """
}
