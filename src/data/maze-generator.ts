/**
 * Mazes in the Maze-Hard style: an n x n grid of random walls ('#', density drawn around Maze-Hard's
 * 28-45%), a start 'S' and goal 'G' whose shortest 4-connected path is at least `minPath` steps, and the
 * answer with that shortest path marked 'o' (S and G keep their letters). Every maze is verified by BFS.
 *
 * Near the percolation threshold the open cells form long winding corridors, so long shortest paths are
 * common; a double BFS sweep finds a far start, and the goal is a random cell at a distance drawn
 * uniformly between minPath and the farthest reachable cell. When no pair is far enough, walls are added
 * on the shortest path (keeping the goal reachable, density at most 45%) until one is: that makes long
 * minimum paths (e.g. --min-path 130) as cheap as short ones. A maze with loops has many shortest paths;
 * the answer is the one Maze-Hard's rule picks (markShortestPath), so each maze has one answer to learn.
 */
import { Rng } from '../util/random.js';

export const MAZE_CHARSET = '# SGo';
export const WALL = 35; // '#'
export const OPEN = 32; // ' '
export const START = 83; // 'S'
export const GOAL = 71; // 'G'
export const PATH = 111; // 'o'

export interface GeneratedMaze {
  question: string;
  answer: string;
  /** Shortest S-G path length in steps. */
  pathLength: number;
}

/**
 * BFS distances from `src` over non-wall cells of an n x n char-code grid (-1 = unreachable).
 * `queue` and `dist` are caller-provided scratch of n*n.
 */
export function bfs(grid: Uint8Array, n: number, src: number, dist: Int32Array, queue: Int32Array): void {
  dist.fill(-1);
  dist[src] = 0;
  let head = 0;
  let tail = 0;
  queue[tail++] = src;
  while (head < tail) {
    const k = queue[head++];
    const r = (k / n) | 0;
    const c = k - r * n;
    const d = dist[k] + 1;
    if (r > 0 && grid[k - n] !== WALL && dist[k - n] < 0) { dist[k - n] = d; queue[tail++] = k - n; }
    if (r < n - 1 && grid[k + n] !== WALL && dist[k + n] < 0) { dist[k + n] = d; queue[tail++] = k + n; }
    if (c > 0 && grid[k - 1] !== WALL && dist[k - 1] < 0) { dist[k - 1] = d; queue[tail++] = k - 1; }
    if (c < n - 1 && grid[k + 1] !== WALL && dist[k + 1] < 0) { dist[k + 1] = d; queue[tail++] = k + 1; }
  }
}

/**
 * Checks a maze question/answer pair: one S, one G, the answer equal to the question except 'o' on open
 * cells, and the 'o' cells forming a shortest S-G path. Returns the path length or an error string.
 */
export function checkMazeSolution(question: string, answer: string, n: number): number | string {
  const q = Buffer.from(question, 'latin1');
  const sIdx = q.indexOf(START);
  const gIdx = q.indexOf(GOAL);
  const dist = new Int32Array(n * n);
  const queue = new Int32Array(n * n);
  bfs(q, n, sIdx, dist, queue);
  const shortest = dist[gIdx];
  if (shortest < 0) return 'G is not reachable from S';
  let marked = 0;
  for (let k = 0; k < n * n; k++) if (answer.charCodeAt(k) === PATH) marked++;
  if (marked !== shortest - 1) return `the marked path has ${marked} cells, a shortest path has ${shortest - 1} between S and G`;
  // Every marked cell must continue a walk from S to G: walk along 'o' cells greedily by distance.
  let k = gIdx;
  while (dist[k] > 1) {
    const r = (k / n) | 0;
    const c = k - r * n;
    let next = -1;
    for (const nb of [r > 0 ? k - n : -1, r < n - 1 ? k + n : -1, c > 0 ? k - 1 : -1, c < n - 1 ? k + 1 : -1]) {
      if (nb >= 0 && answer.charCodeAt(nb) === PATH && dist[nb] === dist[k] - 1) next = nb;
    }
    if (next < 0) return 'the marked cells do not form a shortest path from S to G';
    k = next;
  }
  return shortest;
}

/**
 * Marks 'o' on one shortest S-G path of `grid` into `out`, chosen as Maze-Hard's answers are (all 1,000
 * of its mazes reproduce, test/data/maze.test.ts): BFS distances from G, then from S always step to the
 * first of down, left, right, up that is one step closer to G. A fixed rule, unlike a random choice among
 * equal paths, gives every maze one answer to learn. Returns the path length (-1 if G is unreachable).
 */
export function markShortestPath(grid: Uint8Array, n: number, s: number, g: number, out: Uint8Array, dist: Int32Array, queue: Int32Array): number {
  bfs(grid, n, g, dist, queue);
  const len = dist[s];
  if (len < 0) return -1;
  let k = s;
  while (dist[k] > 1) {
    const r = (k / n) | 0;
    const c = k - r * n;
    const d = dist[k] - 1;
    k = r < n - 1 && dist[k + n] === d ? k + n : c > 0 && dist[k - 1] === d ? k - 1 : c < n - 1 && dist[k + 1] === d ? k + 1 : k - n;
    out[k] = PATH;
  }
  return len;
}

function argmax(a: Int32Array): number {
  let best = 0;
  for (let k = 1; k < a.length; k++) if (a[k] > a[best]) best = k;
  return best;
}

export class MazeGenerator {
  private readonly grid: Uint8Array;
  private readonly dist: Int32Array;
  private readonly queue: Int32Array;

  constructor(private readonly rng: Rng, readonly n = 30, readonly minPath = 100, readonly wallDensity: [number, number] = [0.3, 0.42]) {
    this.grid = new Uint8Array(n * n);
    this.dist = new Int32Array(n * n);
    this.queue = new Int32Array(n * n);
  }

  /**
   * Lengthens the shortest s-g path by walling random cells on it, keeping g reachable, until it has
   * minPath steps (true) or the wall density reaches Maze-Hard's maximum, 45% (false). Adding a wall
   * never shortens a path, so every accepted step keeps or increases the length. Leaves dist from s.
   */
  private harden(s: number, g: number, walls: number): boolean {
    const { n, rng, grid, dist, queue } = this;
    const N = n * n;
    const maxWalls = Math.floor(0.45 * N);
    const essential = new Uint8Array(N);
    const onPath = new Int32Array(N);
    while (walls < maxWalls) {
      // Interior cells of one shortest path (walk back from g along decreasing distance).
      let m = 0;
      for (let k = g; dist[k] > 1; ) {
        const r = (k / n) | 0;
        const c = k - r * n;
        const d = dist[k] - 1;
        k = r > 0 && dist[k - n] === d ? k - n : r < n - 1 && dist[k + n] === d ? k + n : c > 0 && dist[k - 1] === d ? k - 1 : k + 1;
        if (!essential[k]) onPath[m++] = k;
      }
      if (m === 0) return false;
      const k = onPath[rng.int(m)];
      grid[k] = WALL;
      bfs(grid, n, s, dist, queue);
      if (dist[g] < 0) {
        grid[k] = OPEN; // this cell is a bridge: walling it cuts g off
        essential[k] = 1;
        bfs(grid, n, s, dist, queue);
        continue;
      }
      walls++;
      if (dist[g] >= this.minPath) return true;
    }
    return false;
  }

  /** Draws wall patterns until one has an S-G pair at least minPath apart (null after maxTries patterns). */
  generate(maxTries = 10000): GeneratedMaze | null {
    const { n, rng, grid, dist, queue } = this;
    const N = n * n;
    for (let t = 0; t < maxTries; t++) {
      const p = this.wallDensity[0] + rng.random() * (this.wallDensity[1] - this.wallDensity[0]);
      let open = 0;
      for (let k = 0; k < N; k++) {
        const wall = rng.random() < p;
        grid[k] = wall ? WALL : OPEN;
        if (!wall) open++;
      }
      if (open < this.minPath + 1) continue;
      let src = rng.int(N);
      while (grid[src] === WALL) src = rng.int(N);
      // Double sweep: BFS from a random open cell, restart from the farthest cell found (an end of
      // the component's longest shortest path), then draw a target length uniformly from
      // [minPath, farthest] and take a random cell at exactly that distance (BFS layers are contiguous,
      // so one exists). Lengths then spread like Maze-Hard's instead of piling up at the minimum.
      bfs(grid, n, src, dist, queue);
      src = argmax(dist);
      bfs(grid, n, src, dist, queue);
      let far = argmax(dist);
      if (dist[far] < this.minPath) {
        if (!this.harden(src, far, N - open)) continue;
        bfs(grid, n, src, dist, queue);
        far = argmax(dist);
      }
      const target = rng.intRange(this.minPath, dist[far]);
      let count = 0;
      for (let k = 0; k < N; k++) if (dist[k] === target) count++;
      let pick = rng.int(count);
      let goal = -1;
      for (let k = 0; k < N; k++) if (dist[k] === target && pick-- === 0) { goal = k; break; }
      if (goal < 0) continue;
      // S and G order at random so neither is biased towards the periphery.
      let s = src;
      let g = goal;
      if (rng.random() < 0.5) [s, g] = [g, s];
      const question = Uint8Array.from(grid);
      question[s] = START;
      question[g] = GOAL;
      const answer = Uint8Array.from(question);
      const len = markShortestPath(question, n, s, g, answer, dist, queue);
      return { question: Buffer.from(question).toString('latin1'), answer: Buffer.from(answer).toString('latin1'), pathLength: len };
    }
    return null;
  }
}
