/** The Sudoku view: a grid to type into (or 81 characters to paste), examples, Solve, and the reasoning per segment. */
import type { App } from '../app.js';
import { $, el } from '../dom.js';
import { SUDOKU_EXAMPLES } from '../examples.js';
import type { SolveView } from '../protocol.js';
import { SegmentPlayer } from '../segments.js';

export class SudokuView {
  private readonly cells: HTMLInputElement[] = [];
  private readonly board: HTMLDivElement[] = [];
  private readonly text = $<HTMLInputElement>('sudoku-text');
  private readonly player: SegmentPlayer;
  private result: SolveView | null = null;

  constructor(private readonly app: App) {
    const grid = $('sudoku-grid');
    const board = $('sudoku-board');
    for (let i = 0; i < 81; i++) {
      const inp = el('input', { class: cellClass(i), maxlength: '1', inputmode: 'numeric', 'aria-label': `row ${Math.floor(i / 9) + 1} column ${(i % 9) + 1}` });
      inp.addEventListener('input', () => this.typed(i));
      inp.addEventListener('keydown', (e) => this.key(i, e));
      inp.addEventListener('paste', (e) => {
        const t = e.clipboardData?.getData('text') ?? '';
        if (t.replace(/\s/g, '').length > 1) {
          e.preventDefault();
          this.setPuzzle(t.replace(/\s/g, ''));
        }
      });
      grid.append(inp);
      this.cells.push(inp);
      const d = el('div', { class: cellClass(i) });
      board.append(d);
      this.board.push(d);
    }
    this.text.addEventListener('input', () => this.fromText());
    const ex = $<HTMLSelectElement>('sudoku-examples');
    ex.append(el('option', { value: '' }, 'Examples\u2026'));
    SUDOKU_EXAMPLES.forEach((e, i) => ex.append(el('option', { value: String(i) }, `${e.difficulty} (${e.clues} clues)`)));
    ex.onchange = () => {
      if (ex.value !== '') this.setPuzzle(SUDOKU_EXAMPLES[Number(ex.value)].puzzle);
      ex.value = '';
    };
    $('sudoku-clear').onclick = () => this.setPuzzle('.'.repeat(81));
    $('sudoku-solve').onclick = () => void this.solve();
    this.player = new SegmentPlayer($('sudoku-segments'), 'sudoku', (k) => this.draw(k));
    this.fromText();
  }

  /** Puts a puzzle in the text field and the grid (any string: the solve reports what is wrong). */
  setPuzzle(s: string): void {
    this.text.value = s;
    this.fromText();
  }

  async solve(): Promise<void> {
    const t0 = performance.now();
    await this.app.guard(async () => {
      this.app.clearResult();
      this.result = null;
      this.player.set([]);
      this.clearBoard();
      const text = this.text.value.trim();
      // a model still to load: check the puzzle first, so a typo is reported at once (solve checks it too)
      let key = this.app.loadedModel('sudoku');
      if (key === null) {
        await this.app.engine.call({ op: 'parse', task: 'sudoku', text });
        key = await this.app.modelFor('sudoku');
      }
      const search = $<HTMLInputElement>('sudoku-search').checked;
      const r = await this.app.engine.call<SolveView>({ op: 'solve', key, task: 'sudoku', text, halt: $<HTMLInputElement>('sudoku-halt').checked, search });
      this.result = r;
      this.player.set(r.trace);
      this.showSearch(r);
      this.app.showResult(r);
      // click to answer on the page, for the timing the tests print
      document.body.dataset.solveMs = (performance.now() - t0).toFixed(1);
    });
  }

  /** The search's story: the answer's cells by the call after which each was fixed, and by what. */
  private showSearch(r: SolveView): void {
    const info = $('sudoku-search-info');
    const s = r.search;
    info.hidden = !s;
    if (!s) return;
    const fixedBy = s.fixed.filter((f) => f.by !== 'clue');
    $('sudoku-search-summary').textContent =
      `${r.valid ? 'Solved' : 'Not solved'} in ${s.calls} model call${s.calls === 1 ? '' : 's'} (${s.boards} boards, ${r.ms.toFixed(0)} ms); ` +
      `the model's own answer ${s.model_valid ? 'was already valid' : 'broke a rule'}` +
      (s.stopped ? `; stopped: ${s.stopped === 'calls' || s.stopped === 'ms' ? 'budget spent' : s.stopped}` : '') +
      (r.valid ? `; ${fixedBy.filter((f) => f.by === 'model').length} cells kept from the model, ${fixedBy.filter((f) => f.by === 'rules').length} forced by the rules` : '');
    const slider = $<HTMLInputElement>('sudoku-search-call');
    slider.max = String(s.calls);
    slider.value = String(s.calls);
    slider.oninput = () => this.drawSearch(Number(slider.value));
    this.drawSearch(s.calls);
  }

  /** The answer as known after model call `call`: cells fixed later are left blank. */
  private drawSearch(call: number): void {
    const r = this.result;
    const s = r?.search;
    if (!r || !s) return;
    const at = new Map(s.fixed.map((f) => [f.cell, f]));
    let shown = 0;
    for (let i = 0; i < 81; i++) {
      const d = this.board[i];
      const f = at.get(i);
      const a = r.answer[i];
      d.textContent = a >= '1' && a <= '9' ? a : '';
      d.style.removeProperty('--conf');
      if (!f) {
        d.className = cellClass(i) + ' pred';
        d.title = '';
        continue;
      }
      const later = f.call > call;
      if (!later) shown++;
      d.className = cellClass(i) + (f.by === 'clue' ? ' clue' : ` fixed-${f.by}`) + (later ? ' later' : '');
      d.title = f.by === 'clue' ? 'clue' : `${f.by === 'model' ? 'kept from the model' : 'forced by the rules'} after call ${f.call}`;
    }
    $('sudoku-search-at').textContent = `${call} of ${s.calls}: ${shown} of 81 cells fixed`;
  }

  private fromText(): void {
    const chars = [...this.text.value.trim()];
    for (let i = 0; i < 81; i++) {
      const c = chars[i] ?? '';
      this.cells[i].value = c >= '1' && c <= '9' ? c : '';
    }
  }

  private typed(i: number): void {
    const inp = this.cells[i];
    const v = inp.value.slice(-1);
    inp.value = v >= '1' && v <= '9' ? v : '';
    const chars = [...this.text.value.trim().padEnd(81, '.')].slice(0, 81);
    const blank = this.text.value.includes('0') && !this.text.value.includes('.') ? '0' : '.';
    chars[i] = inp.value || blank;
    this.text.value = chars.join('');
    if (inp.value && i < 80) this.cells[i + 1].focus();
  }

  private key(i: number, e: KeyboardEvent): void {
    const move: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -9, ArrowDown: 9 };
    if (e.key in move) {
      const j = i + move[e.key];
      if (j >= 0 && j < 81) this.cells[j].focus();
      e.preventDefault();
    } else if (e.key === 'Backspace' && this.cells[i].value === '' && i > 0) {
      this.cells[i - 1].focus();
    } else if (e.key === 'Enter') {
      void this.solve();
    }
  }

  private clearBoard(): void {
    for (let i = 0; i < 81; i++) {
      this.board[i].textContent = '';
      this.board[i].className = cellClass(i);
      this.board[i].title = '';
    }
  }

  /** Draws segment k: the prediction, changed cells, confidence as shading, rule breaks in red. */
  private draw(k: number): void {
    const r = this.result;
    if (!r) return;
    const s = r.trace[k];
    const prev = k > 0 ? r.trace[k - 1].answer : null;
    const bad = ruleBreaks(s.answer, r.question);
    for (let i = 0; i < 81; i++) {
      const d = this.board[i];
      const q = r.question[i];
      const a = s.answer[i];
      const clue = q >= '1' && q <= '9';
      d.textContent = a >= '1' && a <= '9' ? a : '';
      d.className = cellClass(i) + (clue ? ' clue' : ' pred') + (prev && prev[i] !== a ? ' changed' : '') + (bad[i] ? ' bad' : '');
      d.style.setProperty('--conf', String(s.conf[i]));
      d.title = `confidence ${(100 * s.conf[i]).toFixed(1)}%`;
    }
  }
}

function cellClass(i: number): string {
  const r = Math.floor(i / 9);
  const c = i % 9;
  return `cell${c % 3 === 2 && c < 8 ? ' br' : ''}${r % 3 === 2 && r < 8 ? ' bb' : ''}`;
}

/** Cells that repeat a digit in their row, column or box, or change a clue. */
function ruleBreaks(answer: string, question: string): boolean[] {
  const bad = new Array<boolean>(81).fill(false);
  for (let i = 0; i < 81; i++) {
    const a = answer[i];
    if (!(a >= '1' && a <= '9')) continue;
    const q = question[i];
    if (q >= '1' && q <= '9' && q !== a) bad[i] = true;
    const r = Math.floor(i / 9), c = i % 9;
    for (let j = 0; j < 81; j++) {
      if (j === i || answer[j] !== a) continue;
      const rj = Math.floor(j / 9), cj = j % 9;
      if (rj === r || cj === c || (Math.floor(rj / 3) === Math.floor(r / 3) && Math.floor(cj / 3) === Math.floor(c / 3))) bad[i] = true;
    }
  }
  return bad;
}
