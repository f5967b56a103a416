/* attention.c: non-causal multi-head softmax attention with RoPE fused in, flash-style backward.
 *
 * qkv [B, S, 3, H, D] (q heads, k heads, v heads); cos, sin [S, D] (0 = no RoPE); out [B, S, H, D];
 * lse [B, H, S] = log sum_j exp(scale q_i . k_j), scale = 1/sqrt(D).
 *
 * Work is split over (b, h) pairs, one per thread at a time. Each pair copies its rotated q, k and
 * its v into per-thread scratch (Sp = S rounded up to 32 rows, Dp = D rounded up to 16 columns,
 * zeros outside), then walks the queries in blocks (8 rows forward, 32 backward): only a block of
 * scores [rows, Sp] lives in scratch, never S x S. The backward recomputes the probabilities from
 * lse instead of storing them. Scratch per thread: about 7 Sp Dp floats (1.8 MiB at S 1024, D 64).
 *
 * bfloat16 (attention_*_bf16) as FlashAttention computes it: RoPE in float32 on the bf16 q, k, then
 * q, k, v rounded to bf16; scores, softmax and every product accumulate in float32; the probabilities
 * are rounded to bf16 before they multiply V (the row sums use the float32 values), the output is
 * rounded. Backward likewise rounds P before dV and dS before dQ, dK, rounds dq, dk, dv, and rounds
 * again after RoPE's transpose (the gradient of the reference's upcast of q, k to float32).
 */
#include "common.h"

#define ATT_R 8   /* query rows per micro-tile */
#define ATT_NP (16 / HRM_NW) /* native vectors per 16 lanes */
#define ATT_RB 32 /* query rows per block in the backward (the depth of the dV, dK products) */

/* RoPE on one head vector: y = x cos + rotate_half(x) sin, rotate_half([a, b]) = [-b, a] */
HRM_INLINE void rope_apply(float *restrict y, const float *restrict x, const float *restrict cos,
                           const float *restrict sin, long D, float mul) {
  if (!cos) {
    for (long d = 0; d < D; d++) y[d] = x[d] * mul;
    return;
  }
  long h = D / 2, d = 0;
  for (; d + 16 <= h; d += 16) {
    v16f a = ld16(x + d), b = ld16(x + d + h);
    st16(y + d, (a * ld16(cos + d) - b * ld16(sin + d)) * mul);
    st16(y + d + h, (b * ld16(cos + d + h) + a * ld16(sin + d + h)) * mul);
  }
  for (; d < h; d++) {
    y[d] = (x[d] * cos[d] - x[d + h] * sin[d]) * mul;
    y[d + h] = (x[d + h] * cos[d + h] + x[d] * sin[d + h]) * mul;
  }
}

/* The transpose of rope_apply: dx from dy. */
HRM_INLINE void rope_transpose(float *restrict dx, const float *restrict dy, const float *restrict cos,
                               const float *restrict sin, long D, float mul) {
  if (!cos) {
    for (long d = 0; d < D; d++) dx[d] = dy[d] * mul;
    return;
  }
  long h = D / 2, d = 0;
  for (; d + 16 <= h; d += 16) {
    v16f a = ld16(dy + d), b = ld16(dy + d + h);
    st16(dx + d, (a * ld16(cos + d) + b * ld16(sin + d + h)) * mul);
    st16(dx + d + h, (b * ld16(cos + d + h) - a * ld16(sin + d)) * mul);
  }
  for (; d < h; d++) {
    dx[d] = (dy[d] * cos[d] + dy[d + h] * sin[d + h]) * mul;
    dx[d + h] = (dy[d + h] * cos[d + h] - dy[d] * sin[d]) * mul;
  }
}

/* Register tiles of the three small products, on the native vector width (HRM_NW lanes), sized
 * to the register file: AVX-512 has 32 vector registers, AVX2, SSE and wasm (as V8 maps it) 16.
 * TR rows x TC vectors of accumulators. */
#if HRM_NW == 16
#define ATT_TR 8
#define ATT_TC 2
#else
#define ATT_TR 4
#define ATT_TC 2
#endif

/* The tile body shared by the two row products: acc[r][c] += sum_k a(r, k) * b(k, c). */
#define ATT_TILE(TC_, ROWS_LOOP_K, A_AT, B_AT, OUT_AT)                            \
  do {                                                                             \
    vnf acc[ATT_TR][TC_];                                                          \
    for (int r = 0; r < ATT_TR; r++)                                               \
      for (int c = 0; c < TC_; c++) acc[r][c] = splatn(0.0f);                      \
    for (long k = 0; k < ROWS_LOOP_K; k++) {                                       \
      vnf bv[TC_];                                                                 \
      for (int c = 0; c < TC_; c++) bv[c] = ldn(B_AT(k, c));                       \
      for (int r = 0; r < ATT_TR; r++) {                                           \
        float av = A_AT(r, k);                                                     \
        for (int c = 0; c < TC_; c++) acc[r][c] += av * bv[c];                     \
      }                                                                            \
    }                                                                              \
    for (int r = 0; r < ATT_TR; r++)                                               \
      for (int c = 0; c < TC_; c++) stn(OUT_AT(r, c), acc[r][c]);                  \
  } while (0)

/* Out[r, j] = sum_{d < Dk} A[r, d] Bt[d, j] for r < 8, j < ncols (a multiple of 16). */
static void att_rows_times_t(float *Out, long ldo, const float *A, long lda, const float *Bt, long ldb, long Dk,
                             long ncols) {
  const long W = ATT_TC * HRM_NW;
  for (int r0 = 0; r0 < ATT_R; r0 += ATT_TR) {
    const float *Ar = A + r0 * lda;
    float *Or = Out + r0 * ldo;
    long j0 = 0;
#define A_AT(r, k) Ar[(r) * lda + (k)]
#define B_AT(k, c) (Bt + (k) * ldb + j0 + (c) * HRM_NW)
#define OUT_AT(r, c) (Or + (r) * ldo + j0 + (c) * HRM_NW)
    for (; j0 + W <= ncols; j0 += W) ATT_TILE(ATT_TC, Dk, A_AT, B_AT, OUT_AT);
    for (; j0 < ncols; j0 += HRM_NW) ATT_TILE(1, Dk, A_AT, B_AT, OUT_AT);
#undef A_AT
#undef B_AT
#undef OUT_AT
  }
}

/* Out[r, :] = sum_{j < nk} W[r, j] Bm[j, :] for r < 8, over dcols (a multiple of 16) columns. */
static void att_rows_times(float *Out, long ldo, const float *Wm, long ldw, const float *Bm, long ldb, long nk,
                           long dcols) {
  const long W = ATT_TC * HRM_NW;
  for (int r0 = 0; r0 < ATT_R; r0 += ATT_TR) {
    const float *Wr = Wm + r0 * ldw;
    float *Or = Out + r0 * ldo;
    long d0 = 0;
#define A_AT(r, k) Wr[(r) * ldw + (k)]
#define B_AT(k, c) (Bm + (k) * ldb + d0 + (c) * HRM_NW)
#define OUT_AT(r, c) (Or + (r) * ldo + d0 + (c) * HRM_NW)
    for (; d0 + W <= dcols; d0 += W) ATT_TILE(ATT_TC, nk, A_AT, B_AT, OUT_AT);
    for (; d0 < dcols; d0 += HRM_NW) ATT_TILE(1, nk, A_AT, B_AT, OUT_AT);
#undef A_AT
#undef B_AT
#undef OUT_AT
  }
}

/* The accumulating tile: C[q][c] += sum_{r < R} w(r, q) * a(r, c), for TR_ j rows and TC_ vectors. */
#define ATT_ACC_TILE(TR_, TC_)                                                     \
  do {                                                                             \
    vnf acc[TR_][TC_];                                                             \
    for (int q = 0; q < TR_; q++)                                                  \
      for (int c = 0; c < TC_; c++) acc[q][c] = ldn(Cm + (j0 + q) * ldc + d0 + c * HRM_NW); \
    for (long r = 0; r < R; r++) {                                                 \
      vnf av[TC_];                                                                 \
      for (int c = 0; c < TC_; c++) av[c] = ldn(A + r * lda + d0 + c * HRM_NW);    \
      const float *w = Wm + r * ldw + j0;                                          \
      for (int q = 0; q < TR_; q++)                                                \
        for (int c = 0; c < TC_; c++) acc[q][c] += w[q] * av[c];                   \
    }                                                                              \
    for (int q = 0; q < TR_; q++)                                                  \
      for (int c = 0; c < TC_; c++) stn(Cm + (j0 + q) * ldc + d0 + c * HRM_NW, acc[q][c]); \
  } while (0)

/* Cm[j, :] += sum_{r < R} W[r, j] A[r, :] for j < nk (a multiple of 8), over dcols (a multiple of 16)
 * columns: the transposed product of a row block (dV += P^T dO, dK += dS^T Q). */
static void att_cols_accumulate(float *Cm, long ldc, const float *Wm, long ldw, const float *A, long lda, long R,
                                long nk, long dcols) {
  const long W = ATT_TC * HRM_NW;
  for (long j0 = 0; j0 < nk; j0 += ATT_TR) {
    long d0 = 0;
    for (; d0 + W <= dcols; d0 += W) ATT_ACC_TILE(ATT_TR, ATT_TC);
    for (; d0 < dcols; d0 += HRM_NW) ATT_ACC_TILE(ATT_TR, 1);
  }
}

/* rows are padded to a multiple of 32 so that backward row blocks never run past the scratch */
static inline long att_round32(long n) { return (n + 31) & ~31L; }

/* Scratch layout for one (b, h) pair; every matrix is [Sp, Dp] or [Dp, Sp]. */
static long att_scratch_floats(long Sp, long Dp, int backward) {
  return backward ? 7 * Sp * Dp + 2 * ATT_RB * Sp + ATT_R * Dp + 2 * Sp : 3 * Sp * Dp + ATT_R * Sp + ATT_R * Dp;
}

/* Zeroes the padding of a row-major [Sp, Dp] buffer holding S x D values. */
static void att_zero_pad(float *X, long S, long Sp, long D, long Dp) {
  if (Dp > D)
    for (long s = 0; s < S; s++) hrm_zero(X + s * Dp + D, (size_t)(Dp - D) * 4);
  if (Sp > S) hrm_zero(X + S * Dp, (size_t)((Sp - S) * Dp) * 4);
}

/* Zeroes the padding of a transposed [Dp, Sp] buffer holding D x S values. */
static void att_zero_pad_t(float *Xt, long S, long Sp, long D, long Dp) {
  if (Sp > S)
    for (long d = 0; d < D; d++) hrm_zero(Xt + d * Sp + S, (size_t)(Sp - S) * 4);
  if (Dp > D) hrm_zero(Xt + D * Sp, (size_t)((Dp - D) * Sp) * 4);
}

/* Loads q (rotated, times mul_q), k (rotated) and v of pair (b, h) into padded buffers (padding
 * zeroed). Kt / Vt are the transposes [Dp, Sp]; any of K, Kt, V, Vt may be 0. */
static void att_load(const float *qkv, const float *cos, const float *sin, long b, long h, long S, long H, long D,
                     long Sp, long Dp, float mul_q, float *Q, float *K, float *Kt, float *V, float *Vt, int bf16) {
  float kr[1024] __attribute__((aligned(64))); /* D <= 1024 */
  float vr[1024] __attribute__((aligned(64)));
  for (long s = 0; s < S; s++) {
    const float *base = qkv + ((b * S + s) * 3) * H * D + h * D;
    const float *c = cos ? cos + s * D : 0, *sn = sin ? sin + s * D : 0;
    float *qrow = Q + s * Dp;
    if (bf16) { /* bf16(rope(q)), then the score scale in float32 */
      rope_apply(qrow, base, c, sn, D, 1.0f);
      hrm_bf16_array(qrow, qrow, D);
      for (long d = 0; d < D; d++) qrow[d] *= mul_q;
    } else {
      rope_apply(qrow, base, c, sn, D, mul_q);
    }
    float *krow = K ? K + s * Dp : kr;
    rope_apply(krow, base + H * D, c, sn, D, 1.0f);
    if (bf16) hrm_bf16_array(krow, krow, D);
    if (Kt)
      for (long d = 0; d < D; d++) Kt[d * Sp + s] = krow[d];
    const float *v = base + 2 * H * D;
    if (bf16) {
      hrm_bf16_array(vr, v, D);
      v = vr;
    }
    if (V) hrm_copy(V + s * Dp, v, (size_t)D * 4);
    if (Vt)
      for (long d = 0; d < D; d++) Vt[d * Sp + s] = v[d];
  }
  att_zero_pad(Q, S, Sp, D, Dp);
  if (K) att_zero_pad(K, S, Sp, D, Dp);
  if (V) att_zero_pad(V, S, Sp, D, Dp);
  if (Kt) att_zero_pad_t(Kt, S, Sp, D, Dp);
  if (Vt) att_zero_pad_t(Vt, S, Sp, D, Dp);
}

static void attention_forward_pair(float *out, float *lse, const float *qkv, const float *cos, const float *sin,
                                   long b, long h, long S, long H, long D, float *scr, int bf16) {
  long Sp = att_round32(S), Dp = hrm_round16(D);
  float *Q = scr, *Kt = Q + Sp * Dp, *V = Kt + Sp * Dp, *P = V + Sp * Dp, *O = P + ATT_R * Sp;
  float scale = 1.0f / __builtin_sqrtf((float)D);
  att_load(qkv, cos, sin, b, h, S, H, D, Sp, Dp, scale, Q, 0, Kt, V, 0, bf16);
  for (long i0 = 0; i0 < S; i0 += ATT_R) {
    att_rows_times_t(P, Sp, Q + i0 * Dp, Dp, Kt, Sp, D, Sp);
    float inv[ATT_R];
    for (int r = 0; r < ATT_R; r++) {
      float *p = P + r * Sp;
      if (i0 + r >= S) {
        hrm_zero(p, (size_t)Sp * 4);
        inv[r] = 0.0f;
        continue;
      }
      /* 16 lanes as ATT_NP native vectors in registers (v16f's wrappers spill on AVX2): lane i of
       * the sum still adds columns i, i + 16, ... in order, and hsum16's pairwise order ends it, so
       * every target gets the same bits as before */
      vnf vm[ATT_NP], acc[ATT_NP];
      for (int q = 0; q < ATT_NP; q++) vm[q] = splatn(-__builtin_inff()), acc[q] = splatn(0.0f);
      long j = 0;
      for (; j + 16 <= S; j += 16)
        for (int q = 0; q < ATT_NP; q++) vm[q] = vmaxn(vm[q], ldn(p + j + q * HRM_NW));
      float lanes[16];
      for (int q = 0; q < ATT_NP; q++) stn(lanes + q * HRM_NW, vm[q]);
      float mx = hmax16(ld16(lanes));
      for (; j < S; j++) mx = p[j] > mx ? p[j] : mx;
      const vnf vmx = splatn(mx);
      j = 0;
      for (; j + 16 <= S; j += 16)
        for (int q = 0; q < ATT_NP; q++) {
          vnf e = vexpn(ldn(p + j + q * HRM_NW) - vmx);
          stn(p + j + q * HRM_NW, e);
          acc[q] += e;
        }
      if (j < S) { /* the padded tail: exp of the real lanes, zeros after */
        float t[16];
        for (int q = 0; q < ATT_NP; q++) stn(t + q * HRM_NW, vexpn(ldn(p + j + q * HRM_NW) - vmx));
        for (long k = S - j; k < 16; k++) t[k] = 0.0f;
        for (int q = 0; q < ATT_NP; q++) {
          vnf e = ldn(t + q * HRM_NW);
          stn(p + j + q * HRM_NW, e);
          acc[q] += e;
        }
      }
      for (int q = 0; q < ATT_NP; q++) stn(lanes + q * HRM_NW, acc[q]);
      float l = hsum16(ld16(lanes));
      inv[r] = 1.0f / l;
      lse[(b * H + h) * S + i0 + r] = mx + hrm_logf(l);
      if (bf16) hrm_bf16_array(p, p, S);
    }
    att_rows_times(O, Dp, P, Sp, V, Dp, S, Dp);
    for (int r = 0; r < ATT_R && i0 + r < S; r++) {
      float *o = out + ((b * S + i0 + r) * H + h) * D;
      for (long d = 0; d < D; d++) o[d] = O[r * Dp + d] * inv[r];
      if (bf16) hrm_bf16_array(o, o, D);
    }
  }
}

static void attention_forward_any(float *out, float *lse, const float *qkv, const float *cos, const float *sin,
                                  long B, long S, long H, long D, int bf16) {
  long Sp = att_round32(S), Dp = hrm_round16(D);
  long need = att_scratch_floats(Sp, Dp, 0);
  HRM_PRAGMA(omp parallel for schedule(dynamic, 1)
                 num_threads(hrm_split_threads(4.0 * B * H * S * S * D * HRM_NS_ATT, B * H)))
  for (long bh = 0; bh < B * H; bh++) {
    float *scr = hrm_scratch(need);
    if (scr) attention_forward_pair(out, lse, qkv, cos, sin, bh / H, bh % H, S, H, D, scr, bf16);
    else hrm_fail();
  }
}

static void attention_backward_pair(float *dqkv, const float *dout, const float *qkv, const float *out,
                                    const float *lse, const float *cos, const float *sin, long b, long h, long S,
                                    long H, long D, float *scr, int bf16) {
  long Sp = att_round32(S), Dp = hrm_round16(D), M = Sp * Dp;
  float *Q = scr, *K = Q + M, *Kt = K + M, *Vt = Kt + M, *dO = Vt + M, *dK = dO + M, *dV = dK + M;
  float *P = dV + M, *dP = P + ATT_RB * Sp, *Oblk = dP + ATT_RB * Sp, *Di = Oblk + ATT_R * Dp, *L = Di + Sp;
  hrm_zero(dK, (size_t)(2 * M) * 4); /* dK, dV accumulate */
  float scale = 1.0f / __builtin_sqrtf((float)D);
  att_load(qkv, cos, sin, b, h, S, H, D, Sp, Dp, scale, Q, K, Kt, 0, Vt, bf16);
  for (long s = 0; s < Sp; s++) {
    if (s >= S) {
      Di[s] = 0.0f;
      L[s] = 0.0f;
      continue;
    }
    const float *go = dout + ((b * S + s) * H + h) * D, *o = out + ((b * S + s) * H + h) * D;
    v16f vacc = splat16(0.0f);
    long d = 0;
    for (; d + 16 <= D; d += 16) vacc += ld16(go + d) * ld16(o + d);
    float acc = hsum16(vacc);
    for (; d < D; d++) acc += go[d] * o[d];
    hrm_copy(dO + s * Dp, go, (size_t)D * 4);
    Di[s] = acc;
    L[s] = lse[(b * H + h) * S + s];
  }
  att_zero_pad(dO, S, Sp, D, Dp);
  for (long i0 = 0; i0 < S; i0 += ATT_RB) {
    for (long t = 0; t < ATT_RB; t += ATT_R) {
      att_rows_times_t(P + t * Sp, Sp, Q + (i0 + t) * Dp, Dp, Kt, Sp, D, Sp);
      att_rows_times_t(dP + t * Sp, Sp, dO + (i0 + t) * Dp, Dp, Vt, Sp, D, Sp);
    }
    for (int r = 0; r < ATT_RB; r++) {
      float *p = P + r * Sp, *dp = dP + r * Sp;
      if (i0 + r >= S) {
        hrm_zero(p, (size_t)Sp * 4);
        hrm_zero(dp, (size_t)Sp * 4);
        continue;
      }
      const vnf l = splatn(L[i0 + r]), di = splatn(Di[i0 + r]);
      for (long j = 0; j < Sp; j += HRM_NW) { /* native vectors: v16f's wrappers spill on AVX2 */
        vnf e = vexpn(ldn(p + j) - l);
        if (j + HRM_NW > S) {
          float t[HRM_NW];
          stn(t, e);
          for (long k = S - j > 0 ? S - j : 0; k < HRM_NW; k++) t[k] = 0.0f;
          e = ldn(t);
        }
        stn(p + j, e);
        stn(dp + j, e * (ldn(dp + j) - di)); /* dS = P (dP - D_i) */
      }
      if (bf16) { /* the operands of dV, dK and dQ, as FlashAttention rounds them */
        hrm_bf16_array(p, p, Sp);
        hrm_bf16_array(dp, dp, Sp);
      }
    }
    /* dV += P^T dO, dK += dS^T (scale q), dQ = dS K */
    long rows = S - i0 < ATT_RB ? S - i0 : ATT_RB;
    att_cols_accumulate(dV, Dp, P, Sp, dO + i0 * Dp, Dp, rows, Sp, Dp);
    att_cols_accumulate(dK, Dp, dP, Sp, Q + i0 * Dp, Dp, rows, Sp, Dp);
    for (long t = 0; t < rows; t += ATT_R) { /* these dq rows are complete: rotate back and store */
      att_rows_times(Oblk, Dp, dP + t * Sp, Sp, K, Dp, S, Dp);
      for (int r = 0; r < ATT_R && i0 + t + r < S; r++) {
        long s = i0 + t + r;
        float *dq = dqkv + ((b * S + s) * 3) * H * D + h * D;
        if (bf16) { /* dq in bf16 (scaled: the scale is part of the scores), then RoPE's transpose, rounded */
          for (long d = 0; d < D; d++) Oblk[r * Dp + d] = hrm_bf16(Oblk[r * Dp + d] * scale);
          rope_transpose(dq, Oblk + r * Dp, cos ? cos + s * D : 0, sin ? sin + s * D : 0, D, 1.0f);
          hrm_bf16_array(dq, dq, D);
        } else {
          rope_transpose(dq, Oblk + r * Dp, cos ? cos + s * D : 0, sin ? sin + s * D : 0, D, scale);
        }
      }
    }
  }
  for (long s = 0; s < S; s++) {
    float *base = dqkv + ((b * S + s) * 3) * H * D + h * D;
    const float *c = cos ? cos + s * D : 0, *sn = sin ? sin + s * D : 0;
    if (bf16) {
      hrm_bf16_array(dK + s * Dp, dK + s * Dp, D);
      rope_transpose(base + H * D, dK + s * Dp, c, sn, D, 1.0f);
      hrm_bf16_array(base + H * D, base + H * D, D);
      hrm_bf16_array(base + 2 * H * D, dV + s * Dp, D);
    } else {
      rope_transpose(base + H * D, dK + s * Dp, c, sn, D, 1.0f);
      hrm_copy(base + 2 * H * D, dV + s * Dp, (size_t)D * 4);
    }
  }
}

/* dqkv (overwritten) = gradient of the loss w.r.t. the pre-RoPE qkv, given dout [B, S, H, D] */
static void attention_backward_any(float *dqkv, const float *dout, const float *qkv, const float *out,
                                   const float *lse, const float *cos, const float *sin, long B, long S, long H, long D,
                                   int bf16) {
  long Sp = att_round32(S), Dp = hrm_round16(D);
  long need = att_scratch_floats(Sp, Dp, 1);
  HRM_PRAGMA(omp parallel for schedule(dynamic, 1)
                 num_threads(hrm_split_threads(4.0 * B * H * S * S * D * HRM_NS_ATT, B * H)))
  for (long bh = 0; bh < B * H; bh++) {
    float *scr = hrm_scratch(need);
    if (scr) attention_backward_pair(dqkv, dout, qkv, out, lse, cos, sin, bh / H, bh % H, S, H, D, scr, bf16);
    else hrm_fail();
  }
}

static void attention_forward(float *out, float *lse, const float *qkv, const float *cos, const float *sin, long B,
                              long S, long H, long D) {
  attention_forward_any(out, lse, qkv, cos, sin, B, S, H, D, 0);
}
static void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out, const float *lse,
                               const float *cos, const float *sin, long B, long S, long H, long D) {
  attention_backward_any(dqkv, dout, qkv, out, lse, cos, sin, B, S, H, D, 0);
}
/* bf16 q, k, v (rounded here), float32 softmax and accumulation, bf16 out (see the top of the file) */
static void attention_forward_bf16(float *out, float *lse, const float *qkv, const float *cos, const float *sin,
                                   long B, long S, long H, long D) {
  attention_forward_any(out, lse, qkv, cos, sin, B, S, H, D, 1);
}
static void attention_backward_bf16(float *dqkv, const float *dout, const float *qkv, const float *out,
                                    const float *lse, const float *cos, const float *sin, long B, long S, long H,
                                    long D) {
  attention_backward_any(dqkv, dout, qkv, out, lse, cos, sin, B, S, H, D, 1);
}
