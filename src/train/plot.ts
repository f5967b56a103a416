/**
 * curves.svg: training and evaluation curves as a small self-contained SVG (no dependency), redrawn
 * from metrics.jsonl at each evaluation. Panels: losses, training accuracies, evaluation accuracies
 * per set, and average ACT steps. Long training series are averaged into at most ~600 points.
 */
import type { MetricRecord } from './metrics-log.js';

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}
export interface Panel {
  title: string;
  series: Series[];
  yMin?: number;
  yMax?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 460;
const H = 280;
const M = { l: 58, r: 14, t: 28, b: 36 };

/** Averages consecutive points into buckets so a series has at most `max` points. */
export function downsample(points: [number, number][], max = 600): [number, number][] {
  if (points.length <= max) return points;
  const per = Math.ceil(points.length / max);
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i += per) {
    const chunk = points.slice(i, i + per);
    out.push([chunk[chunk.length - 1][0], chunk.reduce((s, p) => s + p[1], 0) / chunk.length]);
  }
  return out;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function panelSvg(p: Panel, ox: number, oy: number): string {
  const parts: string[] = [];
  const pts = p.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  parts.push(`<text x="${ox + W / 2}" y="${oy + 18}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  const x0 = ox + M.l;
  const x1 = ox + W - M.r;
  const y0 = oy + H - M.b;
  const y1 = oy + M.t;
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#999"/>`);
  if (pts.length === 0) {
    parts.push(`<text x="${(x0 + x1) / 2}" y="${(y0 + y1) / 2}" text-anchor="middle" fill="#999">no data yet</text>`);
    return parts.join('\n');
  }
  let xlo = Math.min(...pts.map((q) => q[0]));
  let xhi = Math.max(...pts.map((q) => q[0]));
  let ylo = p.yMin ?? Math.min(...pts.map((q) => q[1]));
  let yhi = p.yMax ?? Math.max(...pts.map((q) => q[1]));
  if (xhi === xlo) {
    xlo -= 1;
    xhi += 1;
  }
  if (yhi === ylo) {
    ylo -= 0.5;
    yhi += 0.5;
  }
  const sx = (x: number) => x0 + ((x - xlo) / (xhi - xlo)) * (x1 - x0);
  const sy = (y: number) => y0 - ((y - ylo) / (yhi - ylo)) * (y0 - y1);
  for (const t of niceTicks(ylo, yhi)) {
    parts.push(`<line x1="${x0}" x2="${x1}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 - 4}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(xlo, xhi)) {
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${y0 + 14}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 30}" text-anchor="middle" fill="#555">step</text>`);
  p.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (good.length === 1) {
      parts.push(`<circle cx="${sx(good[0][0]).toFixed(1)}" cy="${sy(good[0][1]).toFixed(1)}" r="3" fill="${color}"/>`);
    } else if (good.length > 1) {
      const d = good.map(([x, y], k) => `${k ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
      if (good.length <= 40) for (const [x, y] of good) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.2" fill="${color}"/>`);
    }
    parts.push(`<line x1="${x0 + 8}" x2="${x0 + 24}" y1="${y1 + 12 + i * 14}" y2="${y1 + 12 + i * 14}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${x0 + 28}" y="${y1 + 16 + i * 14}">${esc(s.name)}</text>`);
  });
  return parts.join('\n');
}

/** Renders panels in a grid, two per row. */
export function renderSvg(panels: Panel[], title: string): string {
  const cols = 2;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * W;
  const height = rows * H + 30;
  const body = panels.map((p, i) => panelSvg(p, (i % cols) * W, 30 + Math.floor(i / cols) * H)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}

function series(records: MetricRecord[], kind: 'train' | 'eval', key: string, name: string, dashed = false): Series {
  const points: [number, number][] = [];
  for (const r of records) if (r.kind === kind && typeof r[key] === 'number') points.push([r.step, r[key] as number]);
  return { name, points: kind === 'train' ? downsample(points) : points, dashed };
}

/** The standard panels for a run's metrics. */
export function curvesSvg(records: MetricRecord[], title: string): string {
  const evalSets = new Set<string>();
  for (const r of records) {
    if (r.kind !== 'eval') continue;
    for (const k of Object.keys(r)) if (k.endsWith('/exact_accuracy')) evalSets.add(k.slice(0, -'/exact_accuracy'.length));
  }
  const evalAcc: Series[] = [];
  const evalSteps: Series[] = [];
  for (const s of evalSets) {
    evalAcc.push(series(records, 'eval', `${s}/accuracy`, `${s} accuracy`));
    evalAcc.push(series(records, 'eval', `${s}/exact_accuracy`, `${s} exact accuracy`, true));
  }
  for (const s of evalSets) evalSteps.push(series(records, 'eval', `${s}/steps`, `eval ${s}`));
  return renderSvg(
    [
      {
        title: 'training losses (per example)',
        series: [
          series(records, 'train', 'train/lm_loss', 'lm_loss'),
          series(records, 'train', 'train/q_halt_loss', 'q_halt_loss'),
          series(records, 'train', 'train/q_continue_loss', 'q_continue_loss'),
        ],
        yMin: 0,
      },
      {
        title: 'training accuracy',
        series: [
          series(records, 'train', 'train/accuracy', 'accuracy'),
          series(records, 'train', 'train/exact_accuracy', 'exact accuracy', true),
          series(records, 'train', 'train/q_halt_accuracy', 'q_halt accuracy'),
        ],
        yMin: 0,
        yMax: 1,
      },
      { title: 'evaluation accuracy (test split)', series: evalAcc, yMin: 0, yMax: 1 },
      { title: 'ACT steps per example', series: [series(records, 'train', 'train/steps', 'train'), ...evalSteps], yMin: 0 },
    ],
    title,
  );
}
