import type { Instant } from '@openhes/core';
import { expectedIntervals, type LocalDay } from './zone.ts';

/** What an interval slot holds now. */
export const SlotKind = { none: 0, real: 1, estimated: 2, edited: 3 } as const;
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind];

/**
 * One channel's interval grid over whole local days: slot i ends at `ts[i]`; `day[i]` is the
 * index of its local day. Values are NaN where the slot holds nothing.
 */
export interface Grid {
  intervalMs: number;
  days: LocalDay[];
  ts: Float64Array;
  day: Int32Array;
  /** Index of the first slot of each day (days.length + 1 entries). */
  dayFirst: Int32Array;
  values: Float64Array;
  kind: Uint8Array;
}

export function makeGrid(days: readonly LocalDay[], intervalMs: number): Grid {
  const counts = days.map((d) => expectedIntervals(d, intervalMs));
  const n = counts.reduce((a, b) => a + b, 0);
  const ts = new Float64Array(n);
  const day = new Int32Array(n);
  const dayFirst = new Int32Array(days.length + 1);
  let i = 0;
  days.forEach((d, di) => {
    dayFirst[di] = i;
    for (let k = 1; k <= counts[di]!; k++) {
      ts[i] = d.start + k * intervalMs;
      day[i] = di;
      i++;
    }
  });
  dayFirst[days.length] = n;
  return {
    intervalMs,
    days: [...days],
    ts,
    day,
    dayFirst,
    values: new Float64Array(n).fill(Number.NaN),
    kind: new Uint8Array(n),
  };
}

/** Slot index of an interval end, or -1 when it is not on the grid. */
export function slotOf(g: Grid, t: Instant): number {
  if (g.ts.length === 0) return -1;
  const first = g.ts[0]!;
  const i = (t - first) / g.intervalMs;
  if (!Number.isInteger(i) || i < 0 || i >= g.ts.length) return -1;
  return i;
}

/** Whether slot i holds a real (read, possibly edited) value. */
export function isReal(g: Grid, i: number): boolean {
  const k = g.kind[i];
  return k === SlotKind.real || k === SlotKind.edited;
}
