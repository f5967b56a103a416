/**
 * Mazes for `hrm solve`: a text grid ('#' wall, ' ' open, 'S' start, 'G' goal; n lines of n characters,
 * one maze per file or argument), or the reference's CSV (source,question,answer,rating with n*n-character
 * grids). Tokens as the reference's builder: the index in "# SGo" + 1, vocabulary 6. The answer is the
 * grid with 'o' on the path, rows joined as in the reference's CSV. The check: the answer keeps the maze
 * (walls, S and G where they were, 'o' only on open cells), its 'o' cells connect S to G, and the path
 * is a shortest one (as many 'o' cells as a BFS shortest path has between S and G).
 */
import { splitCsvLine } from '../data/csv.js';
import { cachedDihedralPermutation } from '../data/augment.js';
import { bfs, MAZE_CHARSET } from '../data/maze-generator.js';
import { UserError } from '../util/errors.js';
import { showChar, type Puzzle, type PuzzleKind, type SymmetricCopy, type Verdict } from './puzzle.js';

const QUESTION_CHARS = '# SG';

function tokensOf(grid: string): Int32Array {
  const t = new Int32Array(grid.length);
  for (let i = 0; i < grid.length; i++) t[i] = MAZE_CHARSET.indexOf(grid[i]) + 1;
  return t;
}

/** Checks a question grid (n*n chars of "# SG", one S, one G); `at(i)` names the place of cell i. */
function checkQuestion(grid: string, at: (i: number) => string, whole: string): void {
  for (let i = 0; i < grid.length; i++) {
    if (!QUESTION_CHARS.includes(grid[i])) {
      throw new UserError(`${at(i)}: bad character ${showChar(grid[i])} in a maze (expected '#' wall, ' ' open, 'S' start, 'G' goal)`);
    }
  }
  for (const ch of ['S', 'G']) {
    const k = grid.indexOf(ch);
    if (k < 0) throw new UserError(`${whole}: the maze has no '${ch}'`);
    if (grid.indexOf(ch, k + 1) >= 0) throw new UserError(`${at(grid.indexOf(ch, k + 1))}: a second '${ch}' (a maze has one start and one goal)`);
  }
}

function parse(text: string, source: string, isFile: boolean): Puzzle[] {
  const lines = text.replace(/^\uFEFF/, '').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new UserError(`${source}: empty (expected a maze grid or the reference's maze CSV)`);
  if (/(^|,)\s*"?question"?\s*(,|$)/i.test(lines[first]) && lines[first].includes(',')) {
    const names = (splitCsvLine(lines[first]) ?? []).map((h) => h.trim().toLowerCase());
    const qi = names.indexOf('question');
    const ai = names.indexOf('answer');
    const out: Puzzle[] = [];
    for (let r = first + 1; r < lines.length; r++) {
      if (lines[r] === '') continue;
      const f = splitCsvLine(lines[r]);
      if (!f || f.length !== names.length) throw new UserError(`${source}:${r + 1}: expected ${names.length} CSV fields (${names.join(',')}), got ${f ? f.length : 'an unterminated quote'}`);
      const q = f[qi];
      const n = Math.round(Math.sqrt(q.length));
      if (n * n !== q.length || n === 0) throw new UserError(`${source}:${r + 1}: a maze question of ${q.length} characters is not a square grid`);
      let col = 0;
      for (let k = 0; k < qi; k++) col += f[k].length + 1;
      checkQuestion(q, (i) => `${source}:${r + 1}:${col + i + 1}`, `${source}:${r + 1}`);
      let label: string | null = null;
      if (ai >= 0 && f[ai] !== '') {
        label = f[ai];
        if (label.length !== q.length) throw new UserError(`${source}:${r + 1}: the answer has ${label.length} characters, the question ${q.length}`);
      }
      out.push({ source: `${source}:${r + 1}`, question: q, label, tokens: tokensOf(q), width: n });
    }
    if (out.length === 0) throw new UserError(`${source}: no mazes in this CSV`);
    return out;
  }
  // a text grid: n rows of n characters (trailing empty lines ignored)
  let last = lines.length - 1;
  while (last >= 0 && lines[last] === '') last--;
  const rows = lines.slice(first, last + 1);
  const n = rows.length;
  const name = isFile ? source : 'the maze argument';
  rows.forEach((row, r) => {
    if ([...row].length !== n) {
      throw new UserError(
        `${name}:${first + r + 1}: a maze row of ${[...row].length} characters; the grid has ${n} rows, so every row needs ${n} (spaces are open cells: keep trailing ones)`,
      );
    }
  });
  const grid = rows.join('');
  checkQuestion(grid, (i) => `${name}:${first + Math.floor(i / n) + 1}:${(i % n) + 1}`, name);
  return [{ source: isFile ? source : 'argument', question: grid, label: null, tokens: tokensOf(grid), width: n }];
}

function decode(preds: ArrayLike<number>, puzzle: Puzzle): string {
  let s = '';
  for (let i = 0; i < puzzle.question.length; i++) {
    const t = preds[i];
    s += t >= 1 && t <= MAZE_CHARSET.length ? MAZE_CHARSET[t - 1] : '?';
  }
  return s;
}

/** The checks of the file comment; exported for tests. */
export function judgeMaze(answer: string, question: string, n: number): Verdict {
  const N = n * n;
  let problem: string | undefined;
  for (let k = 0; k < N && !problem; k++) {
    const q = question[k];
    const a = answer[k];
    const ok = q === ' ' ? a === ' ' || a === 'o' : a === q;
    if (!ok) problem = `row ${Math.floor(k / n) + 1}, column ${(k % n) + 1}: the answer has ${showChar(a)} where the maze has ${showChar(q)}`;
  }
  const S = question.indexOf('S');
  const G = question.indexOf('G');
  // connected: BFS from S over the answer's path cells reaches G
  const onPath = new Uint8Array(N);
  for (let k = 0; k < N; k++) onPath[k] = answer[k] === 'o' || k === G || k === S ? 32 : 35; // ' ' walkable, '#' not
  const dist = new Int32Array(N);
  const queue = new Int32Array(N);
  bfs(onPath, n, S, dist, queue);
  const connected = dist[G] >= 0;
  const grid = Uint8Array.from(question, (c) => c.charCodeAt(0));
  bfs(grid, n, S, dist, queue);
  const best = dist[G];
  let marked = 0;
  for (let k = 0; k < N; k++) if (answer[k] === 'o') marked++;
  const valid = !problem && connected;
  const shortest = valid && best >= 0 && marked === best - 1;
  if (!problem && !connected) problem = 'the path does not connect S to G';
  if (valid && !shortest) problem = `the path is not a shortest one (${marked} path cells, a shortest path has ${best - 1})`;
  return { answer, valid, shortest, ...(problem ? { problem } : {}) };
}

function judge(answer: string, puzzle: Puzzle): Verdict {
  return judgeMaze(answer, puzzle.question, puzzle.width);
}

/** The k-th (1-7) rotation or reflection of the square grid; walls, start, goal and paths go with it. */
function symmetry(puzzle: Puzzle, k: number): SymmetricCopy | null {
  if (k < 1 || k > 7) return null;
  const n = puzzle.width;
  const perm = cachedDihedralPermutation(k, n, n);
  const tokens = new Int32Array(n * n);
  for (let i = 0; i < n * n; i++) tokens[i] = puzzle.tokens[perm[i]];
  return {
    tokens,
    back(preds) {
      const out = new Int32Array(n * n);
      for (let i = 0; i < n * n; i++) out[perm[i]] = preds[i];
      return out;
    },
  };
}

export const MAZE: PuzzleKind = { name: 'maze', vocab: 6, parse, decode, judge, symmetry };
