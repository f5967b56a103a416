/* transpose.c: swap the last two axes of a batch of matrices (TRM's mlp_t mixes along the sequence axis). */

/* out[b, c, r] = x[b, r, c] for b < B, r < R, c < C. Tiled so both sides stay in cache. */
static void transpose(float *out, const float *x, long B, long R, long C) {
  enum { TILE = 32 };
  long tr = (R + TILE - 1) / TILE, tc = (C + TILE - 1) / TILE;
  long tiles = B * tr * tc;
  HRM_PRAGMA(omp parallel for schedule(static) num_threads(hrm_split_threads(B * R * C * HRM_NS_MATH, tiles)))
  for (long t = 0; t < tiles; t++) {
    long b = t / (tr * tc), rem = t % (tr * tc);
    long r0 = (rem / tc) * TILE, c0 = (rem % tc) * TILE;
    long r1 = r0 + TILE < R ? r0 + TILE : R, c1 = c0 + TILE < C ? c0 + TILE : C;
    const float *xb = x + b * R * C;
    float *ob = out + b * R * C;
    for (long r = r0; r < r1; r++)
      for (long c = c0; c < c1; c++) ob[c * R + r] = xb[r * C + c];
  }
}
