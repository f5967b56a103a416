/**
 * Plain-JS reference kernels (float64 arithmetic) for test/engine/kernels.test.ts: the formulas of
 * docs/ENGINE.md section 2 written the obvious way, with no blocking, padding or vector tricks.
 * Arrays are flat row-major; outputs are returned as new Float64Array / Int32Array.
 */
type F = ArrayLike<number>;

export function gemm(tA: number, tB: number, M: number, N: number, K: number, alpha: number, A: F, lda: number, B: F,
  ldb: number, beta: number, C: F, ldc: number): Float64Array {
  const out = Float64Array.from(C);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (tA ? A[k * lda + i] : A[i * lda + k]) * (tB ? B[j * ldb + k] : B[k * ldb + j]);
      out[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]);
    }
  }
  return out;
}

export function addBias(y: F, b: F, N: number, C: number): Float64Array {
  const out = Float64Array.from(y);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[n * C + c] += b[c];
  return out;
}

export function biasGrad(db: F, dy: F, N: number, C: number): Float64Array {
  const out = Float64Array.from(db);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[c] += dy[n * C + c];
  return out;
}

export function embeddingForward(ids: F, w: F, N: number, C: number): Float64Array {
  const out = new Float64Array(N * C);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[n * C + c] = w[ids[n] * C + c];
  return out;
}

export function embeddingBackward(dw: F, ids: F, dout: F, N: number, C: number): Float64Array {
  const out = Float64Array.from(dw);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) out[ids[n] * C + c] += dout[n * C + c];
  return out;
}

export function addRmsnormForward(x: F, y: F | null, N: number, C: number, eps: number): { out: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(N * C), rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let ss = 0;
    for (let c = 0; c < C; c++) {
      const s = x[n * C + c] + (y ? y[n * C + c] : 0);
      out[n * C + c] = s;
      ss += s * s;
    }
    rstd[n] = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[n * C + c] *= rstd[n];
  }
  return { out, rstd };
}

export function rmsnormBackward(dout: F, out: F, rstd: F, N: number, C: number): Float64Array {
  const ds = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += dout[n * C + c] * out[n * C + c];
    m /= C;
    for (let c = 0; c < C; c++) ds[n * C + c] = rstd[n] * (dout[n * C + c] - out[n * C + c] * m);
  }
  return ds;
}

/** RoPE (halves) of one vector at position s; cos/sin [S, D] or null. */
function rope(x: F, off: number, cos: F | null, sin: F | null, s: number, D: number): Float64Array {
  const y = new Float64Array(D), h = D / 2;
  for (let d = 0; d < D; d++) {
    if (!cos || !sin) y[d] = x[off + d];
    else {
      const rot = d < h ? -x[off + d + h] : x[off + d - h];
      y[d] = x[off + d] * cos[s * D + d] + rot * sin[s * D + d];
    }
  }
  return y;
}

/** The transpose of rope: the gradient w.r.t. x given dy. */
function ropeT(dy: F, cos: F | null, sin: F | null, s: number, D: number): Float64Array {
  const dx = new Float64Array(D), h = D / 2;
  for (let d = 0; d < D; d++) {
    if (!cos || !sin) dx[d] = dy[d];
    else if (d < h) dx[d] = dy[d] * cos[s * D + d] + dy[d + h] * sin[s * D + d + h];
    else dx[d] = dy[d] * cos[s * D + d] - dy[d - h] * sin[s * D + d - h];
  }
  return dx;
}

interface Head {
  q: Float64Array[];
  k: Float64Array[];
  v: Float64Array[];
  p: Float64Array[];
}

function head(qkv: F, cos: F | null, sin: F | null, b: number, h: number, S: number, H: number, D: number): Head & { lse: Float64Array } {
  const q: Float64Array[] = [], k: Float64Array[] = [], v: Float64Array[] = [];
  for (let s = 0; s < S; s++) {
    const base = (b * S + s) * 3 * H * D + h * D;
    q.push(rope(qkv, base, cos, sin, s, D));
    k.push(rope(qkv, base + H * D, cos, sin, s, D));
    v.push(Float64Array.from({ length: D }, (_, d) => qkv[base + 2 * H * D + d]));
  }
  const scale = 1 / Math.sqrt(D);
  const p: Float64Array[] = [], lse = new Float64Array(S);
  for (let i = 0; i < S; i++) {
    const sc = new Float64Array(S);
    let mx = -Infinity;
    for (let j = 0; j < S; j++) {
      let t = 0;
      for (let d = 0; d < D; d++) t += q[i][d] * k[j][d];
      sc[j] = t * scale;
      mx = Math.max(mx, sc[j]);
    }
    let sum = 0;
    for (let j = 0; j < S; j++) sum += Math.exp(sc[j] - mx);
    lse[i] = mx + Math.log(sum);
    p.push(sc.map((t) => Math.exp(t - lse[i])));
  }
  return { q, k, v, p, lse };
}

export function attentionForward(qkv: F, cos: F | null, sin: F | null, B: number, S: number, H: number, D: number): { out: Float64Array; lse: Float64Array } {
  const out = new Float64Array(B * S * H * D), lse = new Float64Array(B * H * S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const hd = head(qkv, cos, sin, b, h, S, H, D);
      for (let i = 0; i < S; i++) {
        lse[(b * H + h) * S + i] = hd.lse[i];
        for (let d = 0; d < D; d++) {
          let t = 0;
          for (let j = 0; j < S; j++) t += hd.p[i][j] * hd.v[j][d];
          out[((b * S + i) * H + h) * D + d] = t;
        }
      }
    }
  }
  return { out, lse };
}

export function attentionBackward(dout: F, qkv: F, cos: F | null, sin: F | null, B: number, S: number, H: number, D: number): Float64Array {
  const dqkv = new Float64Array(B * S * 3 * H * D);
  const scale = 1 / Math.sqrt(D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const { q, k, v, p } = head(qkv, cos, sin, b, h, S, H, D);
      const dO = (i: number, d: number): number => dout[((b * S + i) * H + h) * D + d];
      const dq = Array.from({ length: S }, () => new Float64Array(D));
      const dk = Array.from({ length: S }, () => new Float64Array(D));
      const dv = Array.from({ length: S }, () => new Float64Array(D));
      for (let i = 0; i < S; i++) {
        const dp = new Float64Array(S);
        let rowDot = 0;
        for (let j = 0; j < S; j++) {
          for (let d = 0; d < D; d++) {
            dp[j] += dO(i, d) * v[j][d];
            dv[j][d] += p[i][j] * dO(i, d);
          }
          rowDot += dp[j] * p[i][j];
        }
        for (let j = 0; j < S; j++) {
          const ds = p[i][j] * (dp[j] - rowDot) * scale;
          for (let d = 0; d < D; d++) {
            dq[i][d] += ds * k[j][d];
            dk[j][d] += ds * q[i][d];
          }
        }
      }
      for (let s = 0; s < S; s++) {
        const base = (b * S + s) * 3 * H * D + h * D;
        dqkv.set(ropeT(dq[s], cos, sin, s, D), base);
        dqkv.set(ropeT(dk[s], cos, sin, s, D), base + H * D);
        dqkv.set(dv[s], base + 2 * H * D);
      }
    }
  }
  return dqkv;
}

const sigmoid1 = (x: number): number => 1 / (1 + Math.exp(-x));

export function swigluForward(gu: F, N: number, I: number): Float64Array {
  const out = new Float64Array(N * I);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < I; i++) {
      const g = gu[n * 2 * I + i], u = gu[n * 2 * I + I + i];
      out[n * I + i] = g * sigmoid1(g) * u;
    }
  }
  return out;
}

export function swigluBackward(dout: F, gu: F, N: number, I: number): Float64Array {
  const dgu = new Float64Array(N * 2 * I);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < I; i++) {
      const g = gu[n * 2 * I + i], u = gu[n * 2 * I + I + i], d = dout[n * I + i], s = sigmoid1(g);
      dgu[n * 2 * I + i] = d * u * s * (1 + g * (1 - s));
      dgu[n * 2 * I + I + i] = d * g * s;
    }
  }
  return dgu;
}

export const add = (a: F, b: F): Float64Array => Float64Array.from(a, (x, i) => x + b[i]);
export const mul = (a: F, b: F): Float64Array => Float64Array.from(a, (x, i) => x * b[i]);
export const addRows = (a: F, b: F, m: number): Float64Array => Float64Array.from(a, (x, i) => x + b[i % m]);
export const scale = (x: F, s: number): Float64Array => Float64Array.from(x, (v) => s * v);
export const axpy = (y: F, x: F, alpha: number): Float64Array => Float64Array.from(y, (v, i) => v + alpha * x[i]);
export const sigmoid = (x: F): Float64Array => Float64Array.from(x, sigmoid1);

export function copy2d(dst: F, dstStride: number, src: F, srcStride: number, rows: number, cols: number): Float64Array {
  const out = Float64Array.from(dst);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * dstStride + c] = src[r * srcStride + c];
  return out;
}

const stablemaxS = (x: number): number => (x < 0 ? 1 / (1 - x + 1e-30) : x + 1);

export function stablemaxCe(logits: F, labels: F, dloss: F, N: number, V: number, ignore: number): { loss: Float64Array; dlogits: Float64Array } {
  const loss = new Float64Array(N), dl = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const lab = labels[n];
    if (lab === ignore) continue;
    let sum = 0;
    for (let j = 0; j < V; j++) sum += stablemaxS(logits[n * V + j]);
    loss[n] = -Math.log(stablemaxS(logits[n * V + lab]) / sum);
    for (let j = 0; j < V; j++) {
      const x = logits[n * V + j], s = stablemaxS(x), ds = x < 0 ? s * s : 1;
      dl[n * V + j] = dloss[n] * (ds / sum - (j === lab ? ds / s : 0));
    }
  }
  return { loss, dlogits: dl };
}

export function softmaxCe(logits: F, labels: F, dloss: F, N: number, V: number, ignore: number): { loss: Float64Array; dlogits: Float64Array } {
  const loss = new Float64Array(N), dl = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const lab = labels[n];
    if (lab === ignore) continue;
    let mx = -Infinity;
    for (let j = 0; j < V; j++) mx = Math.max(mx, logits[n * V + j]);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(logits[n * V + j] - mx);
    loss[n] = mx + Math.log(sum) - logits[n * V + lab];
    for (let j = 0; j < V; j++) dl[n * V + j] = dloss[n] * (Math.exp(logits[n * V + j] - mx) / sum - (j === lab ? 1 : 0));
  }
  return { loss, dlogits: dl };
}

export const bceForward = (x: F, t: F): Float64Array =>
  Float64Array.from(x, (v, i) => Math.max(v, 0) - v * t[i] + Math.log1p(Math.exp(-Math.abs(v))));
export const bceBackward = (dloss: F, x: F, t: F): Float64Array => Float64Array.from(x, (v, i) => dloss[i] * (sigmoid1(v) - t[i]));

export function argmax(x: F, N: number, V: number): Int32Array {
  const out = new Int32Array(N);
  for (let n = 0; n < N; n++) {
    let best = 0;
    for (let j = 1; j < V; j++) {
      const [v, b] = [x[n * V + j], x[n * V + best]];
      if (v > b || (Number.isNaN(v) && !Number.isNaN(b))) best = j;
    }
    out[n] = best;
  }
  return out;
}

export function sum(x: F): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s;
}

export function whereRows(cond: F, a: F, b: F, B: number, R: number): Float64Array {
  const out = new Float64Array(B * R);
  for (let i = 0; i < B; i++) for (let r = 0; r < R; r++) out[i * R + r] = cond[i] ? a[i * R + r] : b[i * R + r];
  return out;
}

export function adamAtan2(p: F, g: F, m: F, v: F, lr: number, wd: number, b1: number, b2: number, bc1: number, bc2: number): { p: Float64Array; m: Float64Array; v: Float64Array } {
  const P = Float64Array.from(p), M = Float64Array.from(m), Vv = Float64Array.from(v);
  for (let i = 0; i < P.length; i++) {
    P[i] *= 1 - lr * wd;
    M[i] += (1 - b1) * (g[i] - M[i]);
    Vv[i] += (1 - b2) * (g[i] * g[i] - Vv[i]);
    P[i] -= (lr / bc1) * Math.atan2(M[i], Math.sqrt(Vv[i]) / Math.sqrt(bc2));
  }
  return { p: P, m: M, v: Vv };
}

export function signSgdRows(w: F, ids: F, g: F, n: number, C: number, lr: number, wd: number): Float64Array {
  const out = Float64Array.from(w);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const k = ids[i] * C + c;
      out[k] = out[k] * (1 - lr * wd) - lr * Math.sign(g[i * C + c]);
    }
  }
  return out;
}

/** out[b, c, r] = x[b, r, c] */
export function transpose(x: F, B: number, R: number, C: number): Float64Array {
  const out = new Float64Array(B * R * C);
  for (let b = 0; b < B; b++) for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[b * R * C + c * R + r] = x[b * R * C + r * C + c];
  return out;
}
