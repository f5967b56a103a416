/**
 * The bundled maze model (models/maze.safetensors, card models/maze.md): `hrm solve maze` uses it without
 * --checkpoint, answers a held-out maze of the largest size it serves with a shortest path (a maze of the
 * card's held-out 15x15 set, seed 1015, that it solves), and refuses a 30x30 maze in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMazeSolution } from '../../src/data/maze-generator.js';
import { readSafetensorsMetadata } from '../../src/io/safetensors.js';
import { repoRoot } from '../fixtures.js';
import { hrm } from '../train/tiny-data.js';

const MODEL = join(repoRoot(), 'models', 'maze.safetensors');
// held-out: `hrm data maze --generate 1000 --size 15 --min-path 30 --seed 1015 ...` (models/maze.md), its maze HELD_OUT_INDEX
const HELD_OUT = '#    #      # S# # #  #####    ##  ##      #  #   #  ###  ## #   #    # #   # ## #    #    # ## ## #       # ### ##   ## #  #  ## #            # # ## #     ## #           #  ##   #        #      #  G # #    # ###           ##';
const HELD_OUT_INDEX = 0;

test('the bundled maze model answers a held-out maze of its largest size with a shortest path', { skip: !existsSync(MODEL) && 'no models/maze.safetensors' }, () => {
  const sides = readSafetensorsMetadata(MODEL)['hrm_ts.grid_sides'];
  assert.equal(sides, '5-15');
  const root = mkdtempSync(join(tmpdir(), 'hrm-bundled-maze-'));
  try {
    const n = 15;
    const file = join(root, 'maze.txt');
    writeFileSync(file, Array.from({ length: n }, (_, r) => HELD_OUT.slice(r * n, (r + 1) * n)).join('\n') + '\n');
    const r = hrm(['solve', 'maze', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.valid, true, `held-out maze ${HELD_OUT_INDEX}: ${o.problem}`);
    assert.equal(o.shortest, true);
    assert.equal(typeof checkMazeSolution(HELD_OUT, o.answer, n), 'number', 'an independent BFS check agrees');

    const big = join(root, 'big.txt');
    writeFileSync(big, Array.from({ length: 30 }, (_, r) => (r === 0 ? 'S' + ' '.repeat(29) : r === 29 ? ' '.repeat(29) + 'G' : ' '.repeat(30))).join('\n') + '\n');
    const refused = hrm(['solve', 'maze', big]);
    assert.equal(refused.status, 1);
    assert.equal(refused.stderr.trim().split('\n').length, 1);
    assert.match(refused.stderr, /big\.txt: this model \(.*maze\.safetensors\) serves 5x5 to 15x15 grids, not 30x30/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
