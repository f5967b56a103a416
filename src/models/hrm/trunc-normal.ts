/**
 * The reference's truncated-normal initialiser (JAX style): truncated at +-2 standard deviations and
 * rescaled so that the result's standard deviation is `std` (REFERENCE.md section 1). std 0 gives zeros.
 */
import type { Rng } from '../../util/random.js';

/** Inverse error function (Giles 2010, single-precision accurate; plenty for initialisation). */
export function erfinv(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}

function erf(x: number): number {
  // erfc by Chebyshev fitting (Numerical Recipes), fractional error below 1.2e-7.
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
}

/** n samples of the truncated normal with standard deviation `std`. */
export function truncNormal(rng: Rng, n: number, std: number, lower = -2, upper = 2): Float32Array {
  const out = new Float32Array(n);
  if (std === 0) return out;
  const sqrt2 = Math.SQRT2;
  const a = erf(lower / sqrt2);
  const b = erf(upper / sqrt2);
  const z = (b - a) / 2;
  const c = 1 / Math.sqrt(2 * Math.PI);
  const pdfU = c * Math.exp(-0.5 * lower * lower);
  const pdfL = c * Math.exp(-0.5 * upper * upper);
  const compStd = std / Math.sqrt(1 - (upper * pdfU - lower * pdfL) / z - ((pdfU - pdfL) / z) ** 2);
  for (let i = 0; i < n; i++) {
    const u = a + (b - a) * rng.random();
    const v = sqrt2 * compStd * erfinv(u);
    out[i] = Math.min(upper * compStd, Math.max(lower * compStd, v));
  }
  return out;
}
