/** The run view: a run folder's metrics.jsonl, plotted with the same curves the training writes to curves.svg. */
import type { App } from '../app.js';
import { $, el } from '../dom.js';
import type { MetricsView } from '../protocol.js';

export class RunView {
  private url: string | null = null;

  constructor(private readonly app: App) {
    $<HTMLInputElement>('metrics-input').onchange = (e) => {
      const f = (e.target as HTMLInputElement).files?.[0];
      if (f) void this.open(f, f.webkitRelativePath || f.name);
    };
  }

  async open(file: Blob, name: string): Promise<void> {
    await this.app.guard(async () => {
      const m = await this.app.engine.call<MetricsView>({ op: 'openMetrics', name, file });
      const rows: HTMLElement[] = [];
      for (const kind of ['train', 'eval'] as const) {
        const last = m.last[kind];
        if (!last) continue;
        const keys = Object.keys(last).filter((k) => k !== 'kind' && k !== 'step' && typeof last[k] === 'number');
        rows.push(el('p', { class: 'small' }, el('b', {}, `last ${kind} (step ${String(last.step)})`), ': ' +
          keys.slice(0, 12).map((k) => `${k} ${fmtNum(last[k] as number)}`).join(', ')));
      }
      $('run-summary').replaceChildren(el('p', {}, el('b', {}, m.name), `: ${m.records} lines (${m.train} training, ${m.eval} evaluation)`), ...rows);
      // an <img> shows the SVG without running anything that might be in it
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = URL.createObjectURL(new Blob([m.svg], { type: 'image/svg+xml' }));
      $('run-plot').replaceChildren(el('img', { src: this.url, alt: `training and evaluation curves of ${m.name}`, class: 'curves' }));
    });
  }
}

function fmtNum(x: number): string {
  return Math.abs(x) >= 1000 || Number.isInteger(x) ? String(Math.round(x * 1000) / 1000) : x.toPrecision(4);
}
