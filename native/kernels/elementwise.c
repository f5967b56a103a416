/* elementwise.c: add, mul, add_rows, scale, axpy, fill, fill_scaled, sigmoid, copy2d. Flat arrays of n floats. */
#include "common.h"
#include "exp64.h"

/* Each elementwise kernel runs over [lo, hi) chunks; big arrays are split across threads. `rate`: the
 * one-thread ns per element (split.h). */
#define HRM_CHUNK 16384L
#define HRM_ELEMENTWISE(n, rate, body_range)                                        \
  do {                                                                              \
    long nchunks_ = ((n) + HRM_CHUNK - 1) / HRM_CHUNK;                              \
    int nt_ = hrm_split_threads((n) * (rate), nchunks_);                            \
    if (nt_ > 1) {                                                                  \
      HRM_PRAGMA(omp parallel for schedule(static) num_threads(nt_))                \
      for (long c_ = 0; c_ < nchunks_; c_++) {                                      \
        long lo = c_ * HRM_CHUNK, hi = lo + HRM_CHUNK < (n) ? lo + HRM_CHUNK : (n); \
        body_range;                                                                 \
      }                                                                             \
    } else {                                                                        \
      long lo = 0, hi = (n);                                                        \
      body_range;                                                                   \
    }                                                                               \
  } while (0)

/* out = a + b */
static void add(float *out, const float *a, const float *b, long n) {
  HRM_ELEMENTWISE(n, HRM_NS_STREAM, for (long i = lo; i < hi; i++) out[i] = a[i] + b[i]);
}

/* out = a * b */
static void mul(float *out, const float *a, const float *b, long n) {
  HRM_ELEMENTWISE(n, HRM_NS_STREAM, for (long i = lo; i < hi; i++) out[i] = a[i] * b[i]);
}

/* out[i] = a[i] + b[i % m]  (b broadcast over leading dims; n is normally a multiple of m) */
static void add_rows(float *out, const float *a, const float *b, long n, long m) {
  if (m <= 0) return;
  long rows = n / m;
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(n * HRM_NS_STREAM, n / m)))
  for (long r = 0; r < rows; r++)
    for (long j = 0; j < m; j++) out[r * m + j] = a[r * m + j] + b[j];
  for (long i = rows * m; i < n; i++) out[i] = a[i] + b[i - rows * m];
}

/* out = s * x */
static void scale(float *out, const float *x, float s, long n) {
  HRM_ELEMENTWISE(n, HRM_NS_STREAM, for (long i = lo; i < hi; i++) out[i] = s * x[i]);
}

/* y += alpha * x */
static void axpy(float *y, const float *x, float alpha, long n) {
  HRM_ELEMENTWISE(n, HRM_NS_STREAM, for (long i = lo; i < hi; i++) y[i] += alpha * x[i]);
}

/* out = value */
static void fill(float *out, float value, long n) {
  HRM_ELEMENTWISE(n, HRM_NS_STREAM, for (long i = lo; i < hi; i++) out[i] = value);
}

/* out = s * x[0]; x is read once, so out may start at x */
static void fill_scaled(float *out, const float *x, float s, long n) {
  const float value = s * x[0];
  HRM_ELEMENTWISE(n, HRM_NS_STREAM, for (long i = lo; i < hi; i++) out[i] = value);
}

static void sigmoid_range(float *out, const float *x, long lo, long hi) {
  long i = lo;
  for (; i + 16 <= hi; i += 16) st16(out + i, vsigmoid16(ld16(x + i)));
  if (i < hi) st16n(out + i, vsigmoid16(ld16n(x + i, hi - i)), hi - i);
}

/* out = 1/(1+exp(-x)) */
static void sigmoid(float *out, const float *x, long n) {
  HRM_ELEMENTWISE(n, HRM_NS_MATH, sigmoid_range(out, x, lo, hi));
}

/* out = 1/(1+exp(-x)) in float64, rounded once to float32: the bits of that formula in JS (exp64.h) */
static void sigmoid_f64(float *out, const float *x, long n) {
  for (long i = 0; i < n; i++) out[i] = (float)(1.0 / (1.0 + hrm_exp64(-(double)x[i])));
}

/* out = max(a, b) as Math.max and torch.maximum: NaN when either is NaN, +0 over -0 */
static void maximum(float *out, const float *a, const float *b, long n) {
  for (long i = 0; i < n; i++) {
    float x = a[i], y = b[i];
    if (x != x || y != y) out[i] = x + y;
    else if (x == y) out[i] = __builtin_signbit(x) ? y : x;
    else out[i] = x > y ? x : y;
  }
}

/* dst[r*dst_stride + c] = src[r*src_stride + c] for r < rows, c < cols (strides in elements) */
static void copy2d(float *dst, long dst_stride, const float *src, long src_stride, long rows, long cols) {
  HRM_PRAGMA(omp parallel for schedule(static)
                 num_threads(hrm_split_threads(rows * cols * HRM_NS_STREAM, rows)))
  for (long r = 0; r < rows; r++) hrm_copy(dst + r * dst_stride, src + r * src_stride, (size_t)cols * 4);
}

/* out = x rounded to bfloat16 (nearest, ties to even), widened to float32; out may be x */
static void round_bf16(float *out, const float *x, long n) {
  HRM_ELEMENTWISE(n, HRM_NS_STREAM, hrm_bf16_array(out + lo, x + lo, hi - lo));
}
