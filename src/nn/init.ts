/**
 * Initialisers. truncNormal is the JAX-style truncated normal of the reference (REFERENCE.md §1):
 * truncated at 2 standard deviations and rescaled so the result's std really is `std`:
 * u ~ U[erf(-2/√2), erf(2/√2)], x = √2·c·erfinv(u) clipped to [-2c, 2c], c = std / sqrt(1 - 4·φ(2)/z).
 */
import { Rng } from '../util/random.js';
import { tensor, type Tensor } from '../engine/index.js';

/** erf by its Taylor series; accurate to ~1e-16 for |x| <= 3 (all this file needs). */
export function erf(x: number): number {
  if (x > 3) return 1 - erfcLarge(x);
  if (x < -3) return erfcLarge(-x) - 1;
  const x2 = x * x;
  let term = x;
  let s = x;
  for (let n = 1; n < 60; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    s += add;
    if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

// erfc(x) for x > 3 by its continued fraction (Lentz), enough for the tails.
function erfcLarge(x: number): number {
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    D = x + a * D;
    C = x + a / C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI));
}

/** Inverse error function on (-1, 1): M. Giles' single-precision polynomial (error ~1e-7). */
export function erfinv(u: number): number {
  if (u <= -1) return -Infinity;
  if (u >= 1) return Infinity;
  let w = -Math.log((1 - u) * (1 + u));
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
  return p * u;
}

const SQRT2 = Math.SQRT2;

/** Fills `out` with JAX-style truncated normal samples of standard deviation `std`. */
export function truncNormalFill(rng: Rng, out: Float32Array, std: number): Float32Array {
  if (std === 0) return out.fill(0);
  const a = erf(-2 / SQRT2);
  const b = erf(2 / SQRT2);
  const z = (b - a) / 2;
  const phi2 = Math.exp(-2) / Math.sqrt(2 * Math.PI);
  const c = std / Math.sqrt(1 - (4 * phi2) / z);
  const lo = -2 * c;
  const hi = 2 * c;
  for (let i = 0; i < out.length; i++) {
    const u = a + (b - a) * rng.random();
    const v = SQRT2 * c * erfinv(u);
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** A float32 tensor of truncated normal samples (std 0: zeros). */
export function truncNormal(rng: Rng, shape: readonly number[], std: number): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  return tensor(truncNormalFill(rng, new Float32Array(n), std), shape);
}

/** LeCun-style std for a [out, in] weight: 1/sqrt(in). */
export function lecunStd(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}
