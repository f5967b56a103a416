/**
 * Defect 9: no silent fallbacks or ignored settings: HRM_ISA=bogus, HRM_THREADS=0, an unknown
 * arch.forward_dtype or arch.loss.name, and an empty resume= are one-line errors before any work
 * (nothing printed before them, no run folder).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ENV, hrm, oneLineError } from './helpers.js';
import { TINY, tinySudoku } from '../train/tiny-data.js';
import { FORWARD_DTYPES } from '../../src/train/config.js';

test('defect 9: bad HRM_* settings and config values fail before any work', () => {
  const { root, data } = tinySudoku(16, 8);
  try {
    const run = join(root, 'run');
    const base = ['train', `data_path=${data}`, `checkpoint_path=${run}`, ...TINY];
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [base, { HRM_ISA: 'bogus' }, /HRM_ISA=bogus: .*HRM_ISA must be/],
      [base, { HRM_THREADS: '0' }, /HRM_THREADS must be an integer >= 1, got '0'/],
      [base, { HRM_BACKEND: 'wasm', HRM_ISA: 'avx2' }, /HRM_ISA=avx2 has no effect with HRM_BACKEND=wasm/],
      [[...base, 'arch.forward_dtype=float16'], {}, /arch\.forward_dtype must be one of float32, bfloat16, got "float16"/],
      [[...base, 'arch.loss.name=losses@Nope'], {}, /arch\.loss\.name must be one of losses@ACTLossHead/],
      [[...base, 'arch.loss.loss_type=mse'], {}, /arch\.loss\.loss_type must be one of stablemax_cross_entropy, softmax_cross_entropy/],
      [['train', 'resume='], {}, /resume= is empty/],
      [[...base, 'checkpoint_path='], {}, /checkpoint_path must be a non-empty string or null/],
      [[...base.filter((a) => !a.startsWith('data_path=')), 'data_path='], {}, /data_path must be a non-empty string/],
      [['eval', 'checkpoint=x.safetensors'], { HRM_THREADS: 'many' }, /HRM_THREADS must be an integer >= 1, got 'many'/],
    ];
    if (!/\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))) cases.push([base, { HRM_ISA: 'avx512' }, /HRM_ISA=avx512: .*supported by this processor/]);
    // Only the settings a case names: HRM_BACKEND or HRM_ISA from the caller's shell (HRM_BACKEND=wasm
    // npm test) would change what a case checks.
    const clean: NodeJS.ProcessEnv = { ...ENV };
    for (const k of ['HRM_BACKEND', 'HRM_ISA']) delete clean[k];
    for (const [args, env, re] of cases) {
      const r = hrm(args, { env: { ...clean, ...env } });
      assert.match(oneLineError(r), re, `${JSON.stringify(env)} ${args.slice(-1)}`);
      assert.equal(r.stdout, '', `printed before failing: ${r.stdout}`);
      assert.ok(!existsSync(run), 'a run folder was made');
    }
    assert.deepEqual([...FORWARD_DTYPES], ['float32', 'bfloat16']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
