/**
 * `hrm eval` on a reference checkpoint folder as published: the fixture's 8 puzzles built into a
 * dataset with our builder, evaluated from the folder (torch zip read directly); the per-set accuracy
 * must be what the reference's final-segment predictions score on the same labels.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildSudokuDataset } from '../../src/data/builders/sudoku.js';
import { toInt32 } from '../../src/io/safetensors.js';
import { evaluateCheckpoint } from '../../src/model-files/eval-checkpoint.js';
import { readSafetensors, repoRoot } from '../fixtures.js';
import { checkpointFixtures } from './helpers.js';

const TRAIN_CSV = join(repoRoot(), '..', 'shared', 'data', 'sudoku', 'sudoku-extreme-train-1k', 'train.csv');

for (const fixture of checkpointFixtures()) {
  test(`hrm eval reads the reference folder ${basename(fixture)} and scores the reference's predictions`, { skip: existsSync(TRAIN_CSV) ? false : `no ${TRAIN_CSV}` }, async () => {
    const ex = readSafetensors(join(fixture, 'expected.safetensors'));
    const [B, T] = ex.tensors.get('batch/inputs')!.shape;
    const S = Number(ex.metadata.segments);
    const tmp = mkdtempSync(join(tmpdir(), 'hrm-evalref-'));
    try {
      const csv = join(tmp, 'p.csv');
      writeFileSync(csv, readFileSync(TRAIN_CSV, 'utf8').split('\n').slice(0, B + 1).join('\n') + '\n');
      const data = join(tmp, 'data');
      await buildSudokuDataset({ source: csv, testSource: csv, outputDir: data, numAug: 0, seed: 0, quiet: true });
      const res = evaluateCheckpoint({
        checkpoint: fixture,
        saveOutputs: [],
        adjust: (cfg) => {
          cfg.data_path = data;
          cfg.global_batch_size = B;
        },
      });
      const labels = toInt32(ex.tensors.get('batch/labels')!);
      const preds = toInt32(ex.tensors.get(`eval/${S - 1}/preds`)!);
      let acc = 0;
      for (let b = 0; b < B; b++) {
        let n = 0;
        let ok = 0;
        for (let t = 0; t < T; t++) {
          const l = labels[b * T + t];
          if (l === -100) continue;
          n++;
          if (preds[b * T + t] === l) ok++;
        }
        acc += ok / Math.max(n, 1);
      }
      const ours = res.sets.all;
      assert.ok(Math.abs(ours.accuracy - acc / B) <= 2 / (B * T), `accuracy ${ours.accuracy} vs the reference's predictions ${acc / B}`);
      assert.equal(ours.steps, S);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
