/**
 * The Maze view: generate (the project's generator, in the worker) or load a maze, Solve, and the path
 * forming per segment. Generated mazes have a size the chosen model serves: a rope_2d model's largest
 * side (any side in its range can be typed), a fixed-size model's side, 30 before a model is known.
 */
import type { App } from '../app.js';
import { $ } from '../dom.js';
import { drawMaze } from '../draw.js';
import type { ModelInfo, SolveView } from '../protocol.js';
import { SegmentPlayer } from '../segments.js';

export class MazeView {
  private readonly text = $<HTMLTextAreaElement>('maze-text');
  private readonly question = $<HTMLCanvasElement>('maze-question');
  private readonly board = $<HTMLCanvasElement>('maze-board');
  private readonly player: SegmentPlayer;
  private result: SolveView | null = null;
  /** the text of the last maze this view generated (replaced when a model that does not serve it loads) */
  private generated: string | null = null;
  private readonly size = $<HTMLInputElement>('maze-size');

  constructor(private readonly app: App) {
    this.text.addEventListener('input', () => this.preview());
    this.size.addEventListener('input', () => this.label());
    $('maze-generate').onclick = () => void this.generate();
    $<HTMLInputElement>('maze-file').onchange = async (e) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (f) this.setMaze(await f.text());
    };
    $('maze-solve').onclick = () => void this.solve();
    this.player = new SegmentPlayer($('maze-segments'), 'maze', (k) => this.draw(k));
    this.clearBoard();
    this.preview();
  }

  /** A maze as a text grid, or its rows concatenated (the reference CSV's notation, ?maze=). */
  setMaze(s: string): void {
    this.text.value = toRows(s.replace(/\r/g, ''));
    this.preview();
  }

  async generate(): Promise<void> {
    await this.app.guard(async () => {
      const seed = Number($<HTMLInputElement>('maze-seed').value) || 0;
      const size = Number(this.size.value) || 30;
      const q = await this.app.engine.call<string>({ op: 'generateMaze', seed, size });
      this.setMaze(q);
      this.generated = this.text.value;
      $<HTMLInputElement>('maze-seed').value = String(seed + 1);
    });
  }

  /** A maze model loaded: generate at its size from now on, and replace a generated maze it does not serve. */
  modelLoaded(info: ModelInfo): void {
    const side = info.sides ? info.sides.max : info.seqLen !== null ? Math.round(Math.sqrt(info.seqLen)) : null;
    if (side === null) return;
    const lo = info.sides ? info.sides.min : side;
    this.size.min = String(lo);
    this.size.max = String(side);
    const cur = Number(this.size.value);
    if (!(cur >= lo && cur <= side)) this.size.value = String(side);
    this.label();
    const n = this.text.value.replace(/\n+$/, '').split('\n').length;
    if (this.generated !== null && this.text.value === this.generated && !(n >= lo && n <= side)) {
      $<HTMLInputElement>('maze-seed').value = String(Math.max(0, (Number($<HTMLInputElement>('maze-seed').value) || 1) - 1));
      void this.generate();
    }
  }

  private label(): void {
    const n = Number(this.size.value) || 30;
    $('maze-generate').textContent = `Generate ${n}x${n}`;
  }

  async solve(): Promise<void> {
    const t0 = performance.now();
    await this.app.guard(async () => {
      this.app.clearResult();
      this.result = null;
      this.player.set([]);
      this.clearBoard();
      const flat = this.text.value.replace(/\r/g, '').replace(/\n+$/, '');
      if (!flat.includes('\n') && !Number.isInteger(Math.sqrt(flat.length))) {
        throw new Error(`the maze: ${flat.length} characters is not a square grid (a 30x30 maze has 900, or 30 lines of 30)`);
      }
      // the rows concatenated (the reference CSV's notation) are accepted here too
      const text = toRows(flat);
      // a model still to load: check the puzzle first, so a typo is reported at once (solve checks it too)
      let key = this.app.loadedModel('maze');
      if (key === null) {
        await this.app.engine.call({ op: 'parse', task: 'maze', text });
        key = await this.app.modelFor('maze');
      }
      const r = await this.app.engine.call<SolveView>({ op: 'solve', key, task: 'maze', text, halt: $<HTMLInputElement>('maze-halt').checked });
      this.result = r;
      this.player.set(r.trace);
      this.app.showResult(r);
      // click to answer on the page, for the timing the tests print
      document.body.dataset.solveMs = (performance.now() - t0).toFixed(1);
    });
  }

  private preview(): void {
    const rows = this.text.value.replace(/\n+$/, '').split('\n');
    const n = rows.length;
    drawMaze(this.question, rows.map((r) => r.padEnd(n, '?').slice(0, n)).join(''), n);
  }

  private clearBoard(): void {
    const ctx = this.board.getContext('2d')!;
    ctx.fillStyle = '#f3f4f6';
    ctx.fillRect(0, 0, this.board.width, this.board.height);
  }

  private draw(k: number): void {
    const r = this.result;
    if (!r) return;
    const s = r.trace[k];
    drawMaze(this.board, s.answer, r.width, { conf: s.conf, prev: k > 0 ? r.trace[k - 1].answer : null, question: r.question });
  }
}

function toRows(s: string): string {
  if (s.includes('\n')) return s;
  const n = Math.round(Math.sqrt(s.length));
  if (n * n !== s.length || n === 0) return s;
  const rows: string[] = [];
  for (let r = 0; r < n; r++) rows.push(s.slice(r * n, (r + 1) * n));
  return rows.join('\n');
}
