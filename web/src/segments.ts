/**
 * The per-segment view shared by Sudoku and Maze: a slider with step and play buttons, the halting
 * values (q_halt, q_continue) of every segment as a chart and a table, and the time of each segment.
 * `render(k)` draws segment k's prediction (0-based) in the caller's board.
 */
import { el, fmt } from './dom.js';
import type { SegmentView } from './protocol.js';

const SVG = 'http://www.w3.org/2000/svg';

export class SegmentPlayer {
  private trace: SegmentView[] = [];
  private current = 0;
  private timer: number | null = null;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private readonly info: HTMLElement;
  private readonly chart: SVGSVGElement;
  private readonly table: HTMLTableSectionElement;
  private readonly play: HTMLButtonElement;

  constructor(private readonly root: HTMLElement, prefix: string, private readonly render: (k: number) => void) {
    const prev = el('button', { title: 'previous segment', 'data-testid': `${prefix}-prev` }, '\u25C0');
    const next = el('button', { title: 'next segment', 'data-testid': `${prefix}-next` }, '\u25B6');
    this.play = el('button', { title: 'play the segments', 'data-testid': `${prefix}-play` }, 'play');
    this.slider = el('input', { type: 'range', min: '1', max: '1', value: '1', 'data-testid': `${prefix}-segment-slider` });
    this.label = el('span', { class: 'seglabel', 'data-testid': `${prefix}-segment-label` }, 'no segments yet');
    this.info = el('div', { class: 'seginfo small' });
    this.chart = document.createElementNS(SVG, 'svg');
    this.chart.setAttribute('class', 'qchart');
    this.chart.setAttribute('viewBox', '0 0 300 120');
    const tbl = el('table', { class: 'segtable small', 'data-testid': `${prefix}-segment-table` });
    tbl.append(el('thead', {}, el('tr', {}, el('th', {}, 'segment'), el('th', {}, 'q_halt'), el('th', {}, 'q_continue'), el('th', {}, 'changed'), el('th', {}, 'ms'))));
    this.table = el('tbody');
    tbl.append(this.table);
    root.replaceChildren(el('div', { class: 'segctl' }, prev, this.play, this.slider, next), this.label, this.info, this.chart, el('div', { class: 'tablewrap' }, tbl));
    prev.onclick = () => this.show(this.current - 1);
    next.onclick = () => this.show(this.current + 1);
    this.slider.oninput = () => this.show(Number(this.slider.value) - 1);
    this.play.onclick = () => (this.timer === null ? this.start() : this.stop());
    root.hidden = true;
  }

  set(trace: SegmentView[]): void {
    this.stop();
    this.trace = trace;
    this.root.hidden = trace.length === 0;
    this.slider.max = String(Math.max(1, trace.length));
    this.table.replaceChildren(
      ...trace.map((s, k) => {
        const tr = el('tr', {},
          el('td', {}, String(s.segment)), el('td', {}, fmt(s.q_halt)), el('td', {}, fmt(s.q_continue)),
          el('td', {}, k === 0 ? '\u2013' : String(changed(trace[k - 1].answer, s.answer))), el('td', {}, fmt(s.ms, 1)));
        if (s.q_halt > s.q_continue) tr.classList.add('halts');
        tr.onclick = () => this.show(k);
        return tr;
      }),
    );
    this.drawChart();
    this.show(trace.length - 1);
  }

  show(k: number): void {
    if (this.trace.length === 0) return;
    this.current = Math.max(0, Math.min(this.trace.length - 1, k));
    const s = this.trace[this.current];
    this.slider.value = String(this.current + 1);
    this.label.textContent = `segment ${s.segment} of ${this.trace.length}`;
    const halts = s.q_halt > s.q_continue;
    const n = this.current > 0 ? changed(this.trace[this.current - 1].answer, s.answer) : null;
    this.info.textContent = `q_halt ${fmt(s.q_halt)}, q_continue ${fmt(s.q_continue)} (${halts ? 'the model would halt here' : 'the model would continue'}); ` +
      `${fmt(s.ms, 1)} ms${n === null ? '' : `; ${n} cells changed`}`;
    [...this.table.children].forEach((tr, i) => tr.classList.toggle('current', i === this.current));
    const marker = this.chart.querySelector('.marker');
    if (marker) {
      const x = this.x(this.current);
      marker.setAttribute('x1', String(x));
      marker.setAttribute('x2', String(x));
    }
    this.render(this.current);
  }

  private start(): void {
    if (this.trace.length < 2) return;
    if (this.current >= this.trace.length - 1) this.show(0);
    this.play.textContent = 'pause';
    this.timer = window.setInterval(() => {
      if (this.current >= this.trace.length - 1) this.stop();
      else this.show(this.current + 1);
    }, 700);
  }

  private stop(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
    this.play.textContent = 'play';
  }

  private x(k: number): number {
    const n = this.trace.length;
    return n <= 1 ? 150 : 34 + (k * (290 - 34)) / (n - 1);
  }

  private drawChart(): void {
    const c = this.chart;
    c.replaceChildren();
    const t = this.trace;
    if (t.length === 0) return;
    const vals = t.flatMap((s) => [s.q_halt, s.q_continue]).filter(Number.isFinite);
    let lo = Math.min(0, ...vals);
    let hi = Math.max(0, ...vals);
    if (hi - lo < 1e-6) { lo -= 1; hi += 1; }
    const y = (v: number): number => 100 - ((v - lo) / (hi - lo)) * 88;
    const add = (tag: string, attrs: Record<string, string | number>, text?: string): void => {
      const e = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
      if (text !== undefined) e.textContent = text;
      c.append(e);
    };
    add('line', { x1: 34, x2: 290, y1: y(0), y2: y(0), class: 'axis' });
    add('text', { x: 30, y: y(hi) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(hi, 1));
    add('text', { x: 30, y: y(lo) + 4, 'text-anchor': 'end', class: 'tick' }, fmt(lo, 1));
    add('text', { x: 30, y: y(0) + 4, 'text-anchor': 'end', class: 'tick' }, '0');
    for (const [key, cls] of [['q_halt', 'qh'], ['q_continue', 'qc']] as const) {
      const d = t.map((s, k) => `${k === 0 ? 'M' : 'L'}${this.x(k).toFixed(1)},${y(s[key]).toFixed(1)}`).join(' ');
      add('path', { d, class: `line ${cls}` });
      t.forEach((s, k) => add('circle', { cx: this.x(k), cy: y(s[key]), r: 2.5, class: cls }));
    }
    add('line', { x1: this.x(0), x2: this.x(0), y1: 8, y2: 104, class: 'marker' });
    add('text', { x: 40, y: 118, class: 'tick qh' }, '\u25CF q_halt');
    add('text', { x: 110, y: 118, class: 'tick qc' }, '\u25CF q_continue');
    add('text', { x: 290, y: 118, 'text-anchor': 'end', class: 'tick' }, `segments 1\u2013${t.length}`);
  }
}

export function changed(a: string, b: string): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}
