/** Drawing grids on canvases: mazes (question or prediction) and ARC colour grids. */

export const MAZE_COLORS: Record<string, string> = { '#': '#1f2937', ' ': '#ffffff', S: '#16a34a', G: '#dc2626', o: '#f59e0b' };

/** ARC's standard 10-colour palette (0 black, 1 blue, 2 red, 3 green, 4 yellow, 5 grey, 6 magenta, 7 orange, 8 azure, 9 maroon). */
export const ARC_PALETTE = ['#000000', '#0074d9', '#ff4136', '#2ecc40', '#ffdc00', '#aaaaaa', '#f012be', '#ff851b', '#7fdbff', '#870c25'];

export interface MazeDrawOptions {
  /** per-cell confidence (shades path cells) */
  conf?: number[];
  /** the previous segment's cells: changed ones are outlined */
  prev?: string | null;
  /** the question, to mark predictions that contradict it */
  question?: string;
}

/** Draws an n x n maze string ('#', ' ', 'S', 'G', 'o'; anything else grey) filling the canvas. */
export function drawMaze(canvas: HTMLCanvasElement, cells: string, n: number, o: MazeDrawOptions = {}): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const s = W / n;
  ctx.fillStyle = '#e5e7eb';
  ctx.fillRect(0, 0, W, W);
  for (let k = 0; k < n * n; k++) {
    const ch = cells[k] ?? '?';
    const x = (k % n) * s;
    const y = Math.floor(k / n) * s;
    if (ch === 'o' && o.conf) {
      const c = o.conf[k];
      ctx.fillStyle = `rgba(245, 158, 11, ${(0.25 + 0.75 * c).toFixed(3)})`;
      ctx.fillRect(x, y, s, s);
    } else {
      ctx.fillStyle = MAZE_COLORS[ch] ?? '#9ca3af';
      ctx.fillRect(x, y, s, s);
    }
    if (o.question && o.question[k] !== ch && !(o.question[k] === ' ' && ch === 'o')) {
      // the prediction contradicts the maze here (a wall, S or G moved)
      ctx.strokeStyle = '#dc2626';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x + 2, y + 2);
      ctx.lineTo(x + s - 2, y + s - 2);
      ctx.moveTo(x + s - 2, y + 2);
      ctx.lineTo(x + 2, y + s - 2);
      ctx.stroke();
    }
  }
  if (o.prev) {
    ctx.strokeStyle = '#7c3aed';
    ctx.lineWidth = 2;
    for (let k = 0; k < n * n; k++) {
      if (o.prev[k] === cells[k]) continue;
      ctx.strokeRect((k % n) * s + 1, Math.floor(k / n) * s + 1, s - 2, s - 2);
    }
  }
}

/** Draws ARC grid rows (colours 0-9) as a canvas element with `px` pixels per cell. */
export function arcCanvas(rows: number[][], px = 10): HTMLCanvasElement {
  const h = rows.length;
  const w = Math.max(0, ...rows.map((r) => r.length));
  const c = document.createElement('canvas');
  c.width = Math.max(1, w * px);
  c.height = Math.max(1, h * px);
  c.className = 'arc';
  const ctx = c.getContext('2d')!;
  rows.forEach((row, r) =>
    row.forEach((v, col) => {
      ctx.fillStyle = ARC_PALETTE[v] ?? '#ffffff';
      ctx.fillRect(col * px, r * px, px, px);
      ctx.strokeStyle = '#555555';
      ctx.lineWidth = 1;
      ctx.strokeRect(col * px + 0.5, r * px + 0.5, px - 1, px - 1);
    }),
  );
  return c;
}
