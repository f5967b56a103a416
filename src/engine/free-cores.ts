/**
 * How many cores other processes leave to this one, measured (Linux: /proc/stat against this process's
 * own CPU time over the last interval). Two native threads that wait for each other at every kernel lose
 * to one thread as soon as another process holds a core: the waiting thread is descheduled for whole
 * time slices (issue 25: the bundled Sudoku solve 1.2x slower on 2 threads than on 1 beside one busy
 * process). Time of processes running under `nice` is not counted as taken: they yield to us.
 */
import { readFileSync } from 'node:fs';

interface Sample {
  wall: number;
  busy: number;
  total: number;
  own: number;
}

function cpuLine(): { busy: number; total: number } | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'latin1');
  } catch {
    return null;
  }
  const m = /^cpu\s+(.*)$/m.exec(text);
  if (!m) return null;
  // user nice system idle iowait irq softirq steal (guest time is inside user already)
  const v = m[1].trim().split(/\s+/).map(Number);
  if (v.length < 8 || v.some((x) => !Number.isFinite(x))) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v;
  return { busy: user + system + irq + softirq + steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

function ownSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export class FreeCores {
  private last: Sample | null = null;

  constructor(private readonly cores: number) {}

  /** Cores free for this process over the time since the last call (null: first call, or not Linux). */
  sample(): number | null {
    const c = cpuLine();
    if (!c) return null;
    const now: Sample = { wall: performance.now() / 1000, busy: c.busy, total: c.total, own: ownSeconds() };
    const prev = this.last;
    this.last = now;
    if (!prev || now.total <= prev.total || now.wall <= prev.wall) return null;
    // busy share of all cores over the interval, in cores; minus this process's own use
    const busyCores = ((now.busy - prev.busy) / (now.total - prev.total)) * this.cores;
    const ownCores = (now.own - prev.own) / (now.wall - prev.wall);
    return Math.max(0, Math.min(this.cores, this.cores - Math.max(0, busyCores - ownCores)));
  }
}

/**
 * Threads to use from the cores left free: at least one; a core counts when at least half of it is free
 * (a process that keeps a core busy leaves none of it; daemons and this process's helpers, a little).
 */
export function threadsFor(free: number, most: number): number {
  return Math.max(1, Math.min(most, Math.round(free)));
}
