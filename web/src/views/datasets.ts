/**
 * The Datasets view: a folder built by `hrm data` (chosen with the folder picker, or dropped), browsed
 * by split, set and group; a group's puzzles are the augmentations of one original, each with its
 * examples (input and label), drawn as Sudoku boards, mazes, ARC grids in the 10-colour palette, or tokens.
 */
import type { App } from '../app.js';
import { $, el } from '../dom.js';
import { arcCanvas, drawMaze } from '../draw.js';
import type { DatasetInfo, ExampleView, FileRef, GroupView } from '../protocol.js';

export class DatasetsView {
  private info: DatasetInfo | null = null;
  private readonly split = $<HTMLSelectElement>('ds-split');
  private readonly set = $<HTMLSelectElement>('ds-set');
  private readonly group = $<HTMLInputElement>('ds-group');

  constructor(private readonly app: App) {
    $<HTMLInputElement>('dataset-input').onchange = (e) => {
      const files = [...((e.target as HTMLInputElement).files ?? [])];
      void this.open(files.map((f) => ({ path: f.webkitRelativePath || f.name, blob: f })));
    };
    this.split.onchange = () => {
      this.fillSets();
      void this.show(0);
    };
    this.set.onchange = () => void this.show(0);
    this.group.onchange = () => void this.show(Number(this.group.value));
    $('ds-prev').onclick = () => void this.show(Number(this.group.value) - 1);
    $('ds-next').onclick = () => void this.show(Number(this.group.value) + 1);
  }

  async open(files: FileRef[]): Promise<void> {
    await this.app.guard(async () => {
      if (files.length === 0) return;
      const name = files[0].path.includes('/') ? files[0].path.split('/')[0] : 'the chosen files';
      const info = await this.app.engine.call<DatasetInfo>({ op: 'openDataset', name, files });
      this.info = info;
      const sum = $('ds-summary');
      sum.replaceChildren(
        el('p', {}, el('b', {}, info.name), `: ${info.splits.map((s) => `${s.split} (${s.kind}, vocab ${s.vocab}, seq_len ${s.seqLen}; ` +
          s.sets.map((t) => `${t.name}: ${t.groups} groups, ${t.puzzles} puzzles, ${t.examples} examples`).join('; ') + ')').join(', ')}` +
          (info.identifiers ? `; ${info.identifiers} puzzle identifiers` : '')),
      );
      this.split.replaceChildren(...info.splits.map((s) => el('option', { value: s.split }, s.split)));
      this.fillSets();
      $('ds-controls').hidden = false;
      await this.show(0);
    });
  }

  private fillSets(): void {
    const s = this.info?.splits.find((x) => x.split === this.split.value);
    this.set.replaceChildren(...(s?.sets ?? []).map((t) => el('option', { value: t.name }, t.name)));
  }

  private async show(g: number): Promise<void> {
    await this.app.guard(async () => {
      const s = this.info?.splits.find((x) => x.split === this.split.value);
      const t = s?.sets.find((x) => x.name === this.set.value);
      if (!s || !t) return;
      const group = Math.max(0, Math.min(t.groups - 1, Number.isFinite(g) ? Math.floor(g) : 0));
      this.group.value = String(group);
      this.group.max = String(t.groups - 1);
      $('ds-groups').textContent = `of ${t.groups} (0\u2013${t.groups - 1})`;
      const v = await this.app.engine.call<GroupView>({ op: 'datasetGroup', split: s.split, set: t.name, group });
      render(v);
    });
  }
}

function render(v: GroupView): void {
  const out = $('ds-view');
  const parts: HTMLElement[] = [
    el('p', { class: 'small muted' }, `group ${v.group}: ${v.puzzles.length + v.morePuzzles} puzzle${v.puzzles.length + v.morePuzzles === 1 ? '' : 's'}` +
      (v.puzzles.length > 1 ? ' (the original and its augmentations)' : '') + (v.morePuzzles ? `, the first ${v.puzzles.length} shown` : '')),
  ];
  for (const p of v.puzzles) {
    const box = el('div', { class: 'ds-puzzle', 'data-testid': 'dataset-puzzle' });
    box.append(el('div', { class: 'small' }, el('b', {}, `puzzle ${p.index}`), ` identifier ${p.identifier}${p.name ? ` (${p.name})` : ''}, ` +
      `${p.examples.length + p.moreExamples} example${p.examples.length + p.moreExamples === 1 ? '' : 's'}`));
    const row = el('div', { class: 'ds-examples' });
    p.examples.forEach((e, i) => row.append(example(e, v, i)));
    box.append(row);
    parts.push(box);
  }
  out.replaceChildren(...parts);
}

function example(e: ExampleView, v: GroupView, i: number): HTMLElement {
  const pair = el('div', { class: 'ds-pair' });
  const cap = (t: string) => el('div', { class: 'small muted' }, t);
  const one = (tokens: number[], grid: number[][] | undefined, what: string): HTMLElement => {
    const wrap = el('div', {}, cap(`${what}${v.puzzles[0].examples.length > 1 ? ` ${i}` : ''}`));
    if (v.kind === 'sudoku') wrap.append(sudokuMini(tokens));
    else if (v.kind === 'maze') {
      const n = Math.round(Math.sqrt(v.seqLen));
      const c = el('canvas', { class: 'maze mini', width: String(n * 6), height: String(n * 6) });
      drawMaze(c, tokens.map((t) => '?# SGo'[t] ?? '?').join(''), n);
      wrap.append(c);
    } else if (v.kind === 'arc') wrap.append(arcCanvas(grid ?? [], 9));
    else wrap.append(el('pre', { class: 'tokens' }, chunk(tokens, 30).map((r) => r.join(' ')).join('\n')));
    return wrap;
  };
  pair.append(one(e.input, e.inputGrid, 'input'), one(e.label, e.labelGrid, 'label'));
  return pair;
}

function sudokuMini(tokens: number[]): HTMLElement {
  const g = el('div', { class: 'sgrid mini' });
  for (let i = 0; i < 81; i++) {
    const r = Math.floor(i / 9), c = i % 9;
    const t = tokens[i];
    g.append(el('div', { class: `cell${c % 3 === 2 && c < 8 ? ' br' : ''}${r % 3 === 2 && r < 8 ? ' bb' : ''}` }, t >= 2 && t <= 10 ? String(t - 1) : ''));
  }
  return g;
}

function chunk<T>(a: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < a.length; i += n) out.push(a.slice(i, i + n));
  return out;
}
