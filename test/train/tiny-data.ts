/**
 * Test helper: a tiny generated Sudoku dataset (reference layout) in a temporary folder, built with
 * the project's own Sudoku builder from a CSV of generated puzzles.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSudokuDataset } from '../../src/data/builders/sudoku.js';
import { SudokuGenerator } from '../../src/data/sudoku-generator.js';
import { Rng } from '../../src/util/random.js';

function csv(gen: SudokuGenerator, n: number, clues: [number, number]): string {
  const lines = ['source,question,answer,rating'];
  for (let i = 0; i < n; i++) {
    const g = gen.generate(clues[0], clues[1])!;
    lines.push(`gen,${Array.from(g.puzzle, (d) => (d ? String(d) : '.')).join('')},${g.solution.join('')},${g.guesses}`);
  }
  return lines.join('\n') + '\n';
}

/** Builds `<tmp>/data` with `train` and `test` puzzles; returns the temporary folder and the data path. */
export async function tinySudoku(train = 32, test = 12, seed = 1): Promise<{ root: string; data: string }> {
  const root = mkdtempSync(join(tmpdir(), 'hrm-train-'));
  const src = join(root, 'src');
  const gen = new SudokuGenerator(new Rng(seed));
  mkdirSync(src);
  writeFileSync(join(src, 'train.csv'), csv(gen, train, [50, 60]));
  writeFileSync(join(src, 'test.csv'), csv(gen, test, [50, 60]));
  const data = join(root, 'data');
  await buildSudokuDataset({ source: src, outputDir: data, numAug: 0, seed, quiet: true });
  return { root, data };
}

/** A tiny model and schedule that trains in about a second. */
export const TINY = [
  'arch.hidden_size=32', 'arch.num_heads=2', 'arch.expansion=2', 'arch.H_layers=1', 'arch.L_layers=1',
  'arch.H_cycles=1', 'arch.L_cycles=1', 'arch.halt_max_steps=2', 'global_batch_size=8', 'epochs=4', 'eval_interval=2',
  'lr=1e-3', 'puzzle_emb_lr=1e-2', 'lr_warmup_steps=2', 'lr_min_ratio=0.1',
];
