/**
 * The learning-rate schedule of REFERENCE.md section 4: linear warmup, then cosine decay to
 * `base * minRatio` at `total`. Past `total` the cosine keeps going (as the reference's formula does);
 * training stops at `total` anyway.
 */
export function lrAt(step: number, base: number, warmup: number, total: number, minRatio: number): number {
  if (step < warmup) return (base * step) / Math.max(1, warmup);
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return base * (minRatio + Math.max(0, (1 - minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress))));
}
