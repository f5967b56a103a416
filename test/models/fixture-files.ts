/**
 * Test helper: finds the reference fixtures (HRM_FIXTURES_DIR, default ../shared/fixtures/reference
 * relative to the repository root) and reads a safetensors file into plain typed arrays, with every
 * dtype the fixtures use (F32, F64, I32, I64, BOOL). Tests only; the product reads safetensors through
 * src/io/safetensors.ts.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FixtureTensor {
  dtype: string;
  shape: number[];
  /** Values as float64 (exact for every dtype the fixtures use). */
  data: Float64Array;
}

export interface FixtureFile {
  path: string;
  metadata: Record<string, string>;
  tensors: Map<string, FixtureTensor>;
}

/** The repository root: dist/test/models/ -> ../../.. */
export function repoRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', '..');
}

/** The fixtures folder, or null (with the reason) when it is absent. */
export function fixturesDir(): { dir: string | null; reason: string } {
  const dir = process.env.HRM_FIXTURES_DIR ?? join(repoRoot(), '..', 'shared', 'fixtures', 'reference');
  if (!existsSync(dir)) return { dir: null, reason: `fixtures folder ${dir} not found (set HRM_FIXTURES_DIR)` };
  return { dir, reason: '' };
}

export function listSafetensors(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort()
    .map((f) => join(dir, f));
}

export function readFixture(path: string): FixtureFile {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, any>;
  const base = 8 + n;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors = new Map<string, FixtureTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [start, end] = info.data_offsets as [number, number];
    const bytes = buf.subarray(base + start, base + end);
    const count = (info.shape as number[]).reduce((a, b) => a * b, 1);
    const data = new Float64Array(count);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) {
      switch (info.dtype) {
        case 'F32':
          data[i] = dv.getFloat32(i * 4, true);
          break;
        case 'F64':
          data[i] = dv.getFloat64(i * 8, true);
          break;
        case 'I32':
          data[i] = dv.getInt32(i * 4, true);
          break;
        case 'I64':
          data[i] = Number(dv.getBigInt64(i * 8, true));
          break;
        case 'BOOL':
        case 'U8':
          data[i] = dv.getUint8(i);
          break;
        default:
          throw new Error(`${path}: tensor ${name} has unsupported dtype ${info.dtype}`);
      }
    }
    tensors.set(name, { dtype: info.dtype, shape: info.shape, data });
  }
  return { path, metadata, tensors };
}

/** `|ours - ref| <= 1e-3 * max|ref| + 1e-6` elementwise; returns a message on failure, else null. */
export function compareTolerance(name: string, ours: ArrayLike<number>, ref: ArrayLike<number>, rel = 1e-3, abs = 1e-6): string | null {
  if (ours.length !== ref.length) return `${name}: length ${ours.length} != reference ${ref.length}`;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]));
  const tol = rel * maxRef + abs;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(ours[i] - ref[i]);
    if (!(d <= worst)) {
      worst = d;
      worstAt = i;
    }
  }
  if (worstAt >= 0 && !(worst <= tol)) {
    return `${name}: max |ours - ref| = ${worst} at ${worstAt} (ours ${ours[worstAt]}, ref ${ref[worstAt]}) > tol ${tol} (max|ref| ${maxRef})`;
  }
  return null;
}
