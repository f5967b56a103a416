/* attention.c: non-causal multi-head softmax attention with RoPE fused in, flash-style backward.
 *
 * qkv [B, S, 3, H, D] (q heads, k heads, v heads); cos, sin [S, D] (0 = no RoPE); out [B, S, H, D];
 * lse [B, H, S] = log sum_j exp(scale q_i . k_j), scale = 1/sqrt(D).
 *
 * Work is split over (b, h) pairs, one per thread at a time. Each pair copies its rotated q, k and
 * its v into per-thread scratch padded to 16 (Sp rows, Dp columns, zeros outside), then walks the
 * queries in blocks of 8 rows: a row block of scores [8, Sp] lives in scratch, never S x S.
 * The backward recomputes the probabilities from lse instead of storing them.
 */
#include "common.h"

#define ATT_R 8 /* query rows per block */

/* RoPE on one head vector: y = x cos + rotate_half(x) sin, rotate_half([a, b]) = [-b, a] */
HRM_INLINE void rope_apply(float *y, const float *x, const float *cos, const float *sin, long D, float mul) {
  long h = D / 2;
  if (!cos) {
    for (long d = 0; d < D; d++) y[d] = x[d] * mul;
    return;
  }
  for (long d = 0; d < h; d++) {
    y[d] = (x[d] * cos[d] - x[d + h] * sin[d]) * mul;
    y[d + h] = (x[d + h] * cos[d + h] + x[d] * sin[d + h]) * mul;
  }
}

/* The transpose of rope_apply: dx from dy. */
HRM_INLINE void rope_transpose(float *dx, const float *dy, const float *cos, const float *sin, long D, float mul) {
  long h = D / 2;
  if (!cos) {
    for (long d = 0; d < D; d++) dx[d] = dy[d] * mul;
    return;
  }
  for (long d = 0; d < h; d++) {
    dx[d] = (dy[d] * cos[d] + dy[d + h] * sin[d + h]) * mul;
    dx[d + h] = (dy[d + h] * cos[d + h] - dy[d] * sin[d]) * mul;
  }
}

/* Out[r, j] = sum_{d < Dk} A[r, d] Bt[d, j] for r < 8, j < ncols (multiple of 16). */
static void att_rows_times_t(float *Out, long ldo, const float *A, long lda, const float *Bt, long ldb, long Dk,
                             long ncols) {
  for (long j0 = 0; j0 < ncols; j0 += 16) {
    v16f acc[ATT_R];
    for (int r = 0; r < ATT_R; r++) acc[r] = splat16(0.0f);
    for (long d = 0; d < Dk; d++) {
      v16f b = ld16(Bt + d * ldb + j0);
      for (int r = 0; r < ATT_R; r++) acc[r] += A[r * lda + d] * b;
    }
    for (int r = 0; r < ATT_R; r++) st16(Out + r * ldo + j0, acc[r]);
  }
}

/* Out[r, :] = sum_{j < nk} W[r, j] Bm[j, :] for r < 8, over dcols (multiple of 16) columns. */
static void att_rows_times(float *Out, long ldo, const float *W, long ldw, const float *Bm, long ldb, long nk,
                           long dcols) {
  for (long d0 = 0; d0 < dcols; d0 += 16) {
    v16f acc[ATT_R];
    for (int r = 0; r < ATT_R; r++) acc[r] = splat16(0.0f);
    for (long j = 0; j < nk; j++) {
      v16f b = ld16(Bm + j * ldb + d0);
      for (int r = 0; r < ATT_R; r++) acc[r] += W[r * ldw + j] * b;
    }
    for (int r = 0; r < ATT_R; r++) st16(Out + r * ldo + d0, acc[r]);
  }
}

/* Cm[j, :] += sum_{r < 8} W[r, j] A[r, :] for j < nk (multiple of 4), over dcols columns. */
static void att_cols_accumulate(float *Cm, long ldc, const float *W, long ldw, const float *A, long lda, long nk,
                                long dcols) {
  for (long j = 0; j < nk; j += 4) {
    for (long d0 = 0; d0 < dcols; d0 += 16) {
      v16f c0 = ld16(Cm + (j + 0) * ldc + d0), c1 = ld16(Cm + (j + 1) * ldc + d0);
      v16f c2 = ld16(Cm + (j + 2) * ldc + d0), c3 = ld16(Cm + (j + 3) * ldc + d0);
      for (int r = 0; r < ATT_R; r++) {
        v16f a = ld16(A + r * lda + d0);
        const float *w = W + r * ldw + j;
        c0 += w[0] * a;
        c1 += w[1] * a;
        c2 += w[2] * a;
        c3 += w[3] * a;
      }
      st16(Cm + (j + 0) * ldc + d0, c0);
      st16(Cm + (j + 1) * ldc + d0, c1);
      st16(Cm + (j + 2) * ldc + d0, c2);
      st16(Cm + (j + 3) * ldc + d0, c3);
    }
  }
}

/* Scratch layout for one (b, h) pair; every matrix is [Sp, Dp] or [Dp, Sp]. */
static long att_scratch_floats(long Sp, long Dp, int backward) {
  return backward ? 8 * Sp * Dp + 2 * ATT_R * Sp + ATT_R * Dp + 2 * Sp : 3 * Sp * Dp + ATT_R * Sp + ATT_R * Dp;
}

/* Loads q (rotated, times mul_q), k (rotated) and v of pair (b, h) into padded buffers. Kt / Vt are
 * the transposes [Dp, Sp] (either may be 0), K / V [Sp, Dp] (either may be 0). */
static void att_load(const float *qkv, const float *cos, const float *sin, long b, long h, long S, long H, long D,
                     long Sp, long Dp, float mul_q, float *Q, float *K, float *Kt, float *V, float *Vt) {
  float kr[1024], *krow = kr; /* D <= 1024 */
  for (long s = 0; s < S; s++) {
    const float *base = qkv + ((b * S + s) * 3) * H * D + h * D;
    const float *c = cos ? cos + s * D : 0, *sn = sin ? sin + s * D : 0;
    rope_apply(Q + s * Dp, base, c, sn, D, mul_q);
    rope_apply(krow, base + H * D, c, sn, D, 1.0f);
    if (K) hrm_copy(K + s * Dp, krow, (size_t)D * 4);
    if (Kt)
      for (long d = 0; d < D; d++) Kt[d * Sp + s] = krow[d];
    const float *v = base + 2 * H * D;
    if (V) hrm_copy(V + s * Dp, v, (size_t)D * 4);
    if (Vt)
      for (long d = 0; d < D; d++) Vt[d * Sp + s] = v[d];
  }
}

static void attention_forward_pair(float *out, float *lse, const float *qkv, const float *cos, const float *sin,
                                   long b, long h, long S, long H, long D, float *scr) {
  long Sp = hrm_round16(S), Dp = hrm_round16(D);
  float *Q = scr, *Kt = Q + Sp * Dp, *V = Kt + Sp * Dp, *P = V + Sp * Dp, *O = P + ATT_R * Sp;
  hrm_zero(scr, (size_t)(3 * Sp * Dp) * 4);
  float scale = 1.0f / __builtin_sqrtf((float)D);
  att_load(qkv, cos, sin, b, h, S, H, D, Sp, Dp, scale, Q, 0, Kt, V, 0);
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
      float mx = -__builtin_inff();
      for (long j = 0; j < S; j++) mx = p[j] > mx ? p[j] : mx;
      v16f acc = splat16(0.0f);
      long j = 0;
      for (; j + 16 <= S; j += 16) {
        v16f e = vexp16(ld16(p + j) - mx);
        st16(p + j, e);
        acc += e;
      }
      if (j < S) { /* the padded tail: exp of the real lanes, zeros after */
        v16f e = vexp16(ld16(p + j) - mx);
        float t[16];
        st16(t, e);
        for (long k = S - j; k < 16; k++) t[k] = 0.0f;
        e = ld16(t);
        st16(p + j, e);
        acc += e;
      }
      float l = hsum16(acc);
      inv[r] = 1.0f / l;
      lse[(b * H + h) * S + i0 + r] = mx + hrm_logf(l);
    }
    att_rows_times(O, Dp, P, Sp, V, Dp, S, Dp);
    for (int r = 0; r < ATT_R && i0 + r < S; r++) {
      float *o = out + ((b * S + i0 + r) * H + h) * D;
      for (long d = 0; d < D; d++) o[d] = O[r * Dp + d] * inv[r];
    }
  }
}

static void attention_forward(float *out, float *lse, const float *qkv, const float *cos, const float *sin, long B,
                              long S, long H, long D) {
  long Sp = hrm_round16(S), Dp = hrm_round16(D);
  long need = att_scratch_floats(Sp, Dp, 0);
  HRM_PRAGMA(omp parallel for schedule(dynamic, 1) if (B * H > 1))
  for (long bh = 0; bh < B * H; bh++) {
    float *scr = hrm_scratch(need);
    if (scr) attention_forward_pair(out, lse, qkv, cos, sin, bh / H, bh % H, S, H, D, scr);
  }
}

static void attention_backward_pair(float *dqkv, const float *dout, const float *qkv, const float *out,
                                    const float *lse, const float *cos, const float *sin, long b, long h, long S,
                                    long H, long D, float *scr) {
  long Sp = hrm_round16(S), Dp = hrm_round16(D), M = Sp * Dp;
  float *Q = scr, *K = Q + M, *Kt = K + M, *Vt = Kt + M, *dO = Vt + M, *dK = dO + M, *dV = dK + M, *dQ = dV + M;
  float *P = dQ + M, *dP = P + ATT_R * Sp, *Oblk = dP + ATT_R * Sp, *Di = Oblk + ATT_R * Dp, *L = Di + Sp;
  hrm_zero(scr, (size_t)(8 * M) * 4);
  float scale = 1.0f / __builtin_sqrtf((float)D);
  att_load(qkv, cos, sin, b, h, S, H, D, Sp, Dp, scale, Q, K, Kt, 0, Vt);
  for (long s = 0; s < Sp; s++) {
    if (s >= S) {
      Di[s] = 0.0f;
      L[s] = 0.0f;
      continue;
    }
    const float *go = dout + ((b * S + s) * H + h) * D, *o = out + ((b * S + s) * H + h) * D;
    float acc = 0.0f;
    for (long d = 0; d < D; d++) acc += go[d] * o[d];
    hrm_copy(dO + s * Dp, go, (size_t)D * 4);
    Di[s] = acc;
    L[s] = lse[(b * H + h) * S + s];
  }
  for (long i0 = 0; i0 < S; i0 += ATT_R) {
    att_rows_times_t(P, Sp, Q + i0 * Dp, Dp, Kt, Sp, D, Sp);
    att_rows_times_t(dP, Sp, dO + i0 * Dp, Dp, Vt, Sp, D, Sp);
    for (int r = 0; r < ATT_R; r++) {
      float *p = P + r * Sp, *dp = dP + r * Sp;
      if (i0 + r >= S) {
        hrm_zero(p, (size_t)Sp * 4);
        hrm_zero(dp, (size_t)Sp * 4);
        continue;
      }
      float l = L[i0 + r], di = Di[i0 + r];
      for (long j = 0; j < Sp; j += 16) {
        v16f e = vexp16(ld16(p + j) - l);
        if (j + 16 > S) {
          float t[16];
          st16(t, e);
          for (long k = S - j; k < 16; k++) t[k] = 0.0f;
          e = ld16(t);
        }
        st16(p + j, e);
        st16(dp + j, e * (ld16(dp + j) - di)); /* dS = P (dP - D_i) */
      }
    }
    /* dV += P^T dO, dK += dS^T (scale q), dQ = dS K */
    att_cols_accumulate(dV, Dp, P, Sp, dO + i0 * Dp, Dp, Sp, Dp);
    att_cols_accumulate(dK, Dp, dP, Sp, Q + i0 * Dp, Dp, Sp, Dp);
    att_rows_times(Oblk, Dp, dP, Sp, K, Dp, S, Dp);
    for (int r = 0; r < ATT_R && i0 + r < S; r++) hrm_copy(dQ + (i0 + r) * Dp, Oblk + r * Dp, (size_t)D * 4);
  }
  for (long s = 0; s < S; s++) {
    float *base = dqkv + ((b * S + s) * 3) * H * D + h * D;
    const float *c = cos ? cos + s * D : 0, *sn = sin ? sin + s * D : 0;
    rope_transpose(base, dQ + s * Dp, c, sn, D, scale);
    rope_transpose(base + H * D, dK + s * Dp, c, sn, D, 1.0f);
    hrm_copy(base + 2 * H * D, dV + s * Dp, (size_t)D * 4);
  }
}

/* dqkv (overwritten) = gradient of the loss w.r.t. the pre-RoPE qkv, given dout [B, S, H, D] */
static void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out, const float *lse,
                               const float *cos, const float *sin, long B, long S, long H, long D) {
  long Sp = hrm_round16(S), Dp = hrm_round16(D);
  long need = att_scratch_floats(Sp, Dp, 1);
  HRM_PRAGMA(omp parallel for schedule(dynamic, 1) if (B * H > 1))
  for (long bh = 0; bh < B * H; bh++) {
    float *scr = hrm_scratch(need);
    if (scr) attention_backward_pair(dqkv, dout, qkv, out, lse, cos, sin, bh / H, bh % H, S, H, D, scr);
  }
}
