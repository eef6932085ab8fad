/// The GPU kernels, written once in a subset of C that compiles as OpenCL C and, behind a
/// prelude of macros, as CUDA C.
///
/// The subset: `KERNEL` functions whose pointer parameters are `GLOBAL`, `DEVICE` helper
/// functions, one work item per
/// element (`INDEX`, bounds-checked against the element count), `float` arithmetic through the
/// `F_…` math macros, `long` indices. Each kernel does exactly the arithmetic of the
/// `ReferenceBackend` operation it stands for (`UnaryMath`, `BinaryMath`), in the same order,
/// so that the backends agree within the tolerances of the agreement tests.
enum DeviceKernelSource {
    /// The OpenCL C prelude.
    static let openCLPrelude = """
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

        """
}
