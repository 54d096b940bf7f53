import { EstimationMethod, type Instant } from '@openhes/core';
import type { EstimationParams } from './config.ts';
import { type Grid, SlotKind, slotOf } from './series.ts';
import type { RegisterPoint } from './validate.ts';
import { dayType, type LocalDay, zoneOffset } from './zone.ts';

export interface Estimate {
  ts: Instant;
  value: number;
  method: EstimationMethod;
}

export interface EstimationInput {
  grid: Grid;
  params: EstimationParams;
  timeZone: string;
  /** Slots that must not be estimated (final marks). */
  locked: Uint8Array;
  /** Days (index into grid.days) not usable as like-day history: outages, clock flags. */
  flaggedDays: readonly boolean[];
  /** Cumulative register reads of the same quantity (any order). */
  register: readonly RegisterPoint[] | null;
  /**
   * Slots under a validation finding (spike, zero run, …): a register pair holding one is not
   * used for scaling (the values known between the reads cannot be trusted).
   */
  suspect?: Uint8Array;
  /** Older days to draw like days from (complete, validated history), oldest first. */
  history: Grid | null;
  historyFlagged: readonly boolean[];
}

/** Minute of the local day an interval end falls in (its start minute, so 00:15 → 0). */
function localMinute(t: Instant, intervalMs: number, timeZone: string): number {
  const start = t - intervalMs;
  const local = start + zoneOffset(start, timeZone);
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}

/**
 * A day of a grid is usable history when every slot holds real data, no flag is set and no slot
 * is under a validation finding (a zero run or spike is not a load shape to copy).
 */
function usableDays(g: Grid, flagged: readonly boolean[], suspect?: Uint8Array): boolean[] {
  return g.days.map((_, di) => {
    if (flagged[di]) return false;
    for (let i = g.dayFirst[di]!; i < g.dayFirst[di + 1]!; i++) {
      const k = g.kind[i];
      if ((k !== SlotKind.real && k !== SlotKind.edited) || suspect?.[i]) return false;
    }
    return g.dayFirst[di + 1]! > g.dayFirst[di]!;
  });
}

/**
 * Fills the gaps of a grid (slots holding nothing), in the order of meter-data-rules.md §1.3:
 * linear interpolation for gaps up to `linearMaxMs` between two values; otherwise the
 * interval-by-interval average of the N nearest earlier like days (same day type, complete,
 * no outage or estimate), scaled by the trend since them (the days just before the gap against
 * their own like days, `trendDays`); where register reads on the grid bracket the gap and nothing else is
 * missing between them, the shape is scaled to the register delta (spread evenly — a daily
 * flat average for a whole day — when there is no shape). A gap with none of these stays a gap.
 */
export function estimateGaps(input: EstimationInput): Estimate[] {
  const { grid: g, params } = input;
  const n = g.ts.length;
  const out: Estimate[] = [];
  if (!params.enabled || n === 0) return out;
  const I = g.intervalMs;
  const present = (i: number) => i >= 0 && i < n && g.kind[i] !== SlotKind.none;

  // Like-day sources: the run's own days and the older history, usable ones only.
  const sources: { grid: Grid; di: number; type: string; start: Instant }[] = [];
  const collect = (src: Grid | null, flagged: readonly boolean[], suspect?: Uint8Array) => {
    if (src === null) return;
    usableDays(src, flagged, suspect).forEach((ok, di) => {
      if (ok)
        sources.push({ grid: src, di, type: dayType(src.days[di]!.dayOfWeek), start: src.days[di]!.start });
    });
  };
  let collected = false;
  const profileCache = new Map<Instant, Map<number, number> | null>();
  /** Minute of day → the average of the N nearest earlier like days of `d` (null: too few). */
  const profileOf = (d: LocalDay): Map<number, number> | null => {
    if (profileCache.has(d.start)) return profileCache.get(d.start)!;
    if (!collected) {
      collect(input.history, input.historyFlagged);
      collect(g, input.flaggedDays, input.suspect);
      collected = true;
    }
    const type = dayType(d.dayOfWeek);
    const lookback = d.start - params.likeDayLookbackDays * 86_400_000;
    const picks = sources
      .filter((s) => s.type === type && s.start < d.start && s.start >= lookback)
      .sort((a, b) => b.start - a.start)
      .slice(0, params.likeDays);
    let profile: Map<number, number> | null = null;
    if (picks.length === params.likeDays) {
      const sum = new Map<number, { s: number; c: number }>();
      for (const p of picks) {
        for (let i = p.grid.dayFirst[p.di]!; i < p.grid.dayFirst[p.di + 1]!; i++) {
          const m = localMinute(p.grid.ts[i]!, I, input.timeZone);
          const e = sum.get(m) ?? { s: 0, c: 0 };
          e.s += p.grid.values[i]!;
          e.c++;
          sum.set(m, e);
        }
      }
      profile = new Map([...sum].map(([m, e]) => [m, e.s / e.c]));
    }
    profileCache.set(d.start, profile);
    return profile;
  };
  const likeDayProfile = (di: number) => profileOf(g.days[di]!);

  /**
   * The trend between the like days and the days just before a gap: over the `trendDays` before
   * `before`, the real values (not flagged, not suspect) against what the like-day average of
   * their own days says for the same slots. Like days lie up to weeks back (a day with any
   * missing interval is not one), so a load that rises or falls since then is followed.
   * 1 when there is too little to tell (under half the window); clamped to 0.5..2.
   */
  const trendOf = (before: Instant): number => {
    if (params.trendDays === 0) return 1;
    const from = before - params.trendDays * 86_400_000;
    let actual = 0;
    let predicted = 0;
    let count = 0;
    const scan = (src: Grid | null, flagged: readonly boolean[], suspect: Uint8Array | undefined) => {
      if (src === null) return;
      for (let di = 0; di < src.days.length; di++) {
        const d = src.days[di]!;
        if (d.end <= from || d.start >= before || flagged[di]) continue;
        const prof = profileOf(d);
        if (prof === null) continue;
        for (let q = src.dayFirst[di]!; q < src.dayFirst[di + 1]!; q++) {
          const t = src.ts[q]!;
          if (t - I < from || t > before || suspect?.[q]) continue;
          const k = src.kind[q];
          if (k !== SlotKind.real && k !== SlotKind.edited) continue;
          const v = prof.get(localMinute(t, I, input.timeZone));
          if (v === undefined) continue;
          actual += src.values[q]!;
          predicted += v;
          count++;
        }
      }
    };
    scan(input.history, input.historyFlagged, undefined);
    scan(g, input.flaggedDays, input.suspect);
    if (count * I < (params.trendDays * 86_400_000) / 2 || predicted <= 0 || actual <= 0) return 1;
    return Math.min(2, Math.max(0.5, actual / predicted));
  };
  const regs = [...(input.register ?? [])].sort((a, b) => a.ts - b.ts);
  const firstStart = g.ts[0]! - I;

  /** Per slot: part of a gap being filled, its estimate (NaN: none yet) and method. */
  const gap = new Uint8Array(n);
  const est = new Float64Array(n).fill(Number.NaN);
  const how: EstimationMethod[] = new Array(n);
  let i = 0;
  while (i < n) {
    if (g.kind[i] !== SlotKind.none || input.locked[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < n && g.kind[j + 1] === SlotKind.none && !input.locked[j + 1]) j++;
    const len = j - i + 1;
    let shape: number[] | null = null;
    let method: EstimationMethod = EstimationMethod.linear;
    if (len * I <= params.linearMaxMs && present(i - 1) && present(j + 1)) {
      const a = g.values[i - 1]!;
      const b = g.values[j + 1]!;
      if (params.interpolation === 'cubic' && present(i - 2) && present(j + 2)) {
        // The cubic through (−1, a0), (0, a), (len + 1, b), (len + 2, b1), slot k of the gap at k + 1.
        const xs = [-1, 0, len + 1, len + 2];
        const ys = [g.values[i - 2]!, a, b, g.values[j + 2]!];
        shape = Array.from({ length: len }, (_, k) => Math.max(0, lagrange(xs, ys, k + 1)));
        method = EstimationMethod.cubic;
      } else {
        shape = Array.from({ length: len }, (_, k) => a + ((b - a) * (k + 1)) / (len + 1));
      }
    } else {
      const vals: number[] = [];
      for (let k = i; k <= j; k++) {
        const prof = likeDayProfile(g.day[k]!);
        const v = prof?.get(localMinute(g.ts[k]!, I, input.timeZone));
        if (v === undefined) break;
        vals.push(v);
      }
      if (vals.length === len) {
        const trend = trendOf(g.ts[i]! - I);
        shape = trend === 1 ? vals : vals.map((v) => v * trend);
        method = EstimationMethod.likeDay;
      }
    }
    for (let k = 0; k < len; k++) {
      gap[i + k] = 1;
      if (shape !== null) {
        est[i + k] = shape[k]!;
        how[i + k] = method;
      }
    }
    i = j + 1;
  }

  // Register reads on the grid: between two consecutive reads where every slot has a value or
  // is a gap being filled, the gaps take the register delta less the values known — the shapes
  // scaled to it, or spread evenly where a gap has no shape (a whole day: the flat daily average).
  if (params.scaleToRegister && regs.length > 1) {
    const onGrid = regs.filter((r) => r.ts >= firstStart && (r.ts - firstStart) % I === 0);
    for (let k = 1; k < onGrid.length; k++) {
      const r1 = onGrid[k - 1]!;
      const r2 = onGrid[k]!;
      if (r2.value < r1.value) continue;
      const s1 = r1.ts === firstStart ? -1 : slotOf(g, r1.ts);
      const s2 = slotOf(g, r2.ts);
      if (s2 < 0 || s2 <= s1) continue;
      let known = 0;
      let shaped = 0;
      let slots = 0;
      let unshaped = 0;
      let complete = true;
      for (let q = s1 + 1; q <= s2; q++) {
        if (input.suspect?.[q]) {
          complete = false;
          break;
        }
        if (gap[q]) {
          slots++;
          if (Number.isNaN(est[q]!)) unshaped++;
          else shaped += est[q]!;
        } else if (g.kind[q] === SlotKind.none) {
          complete = false;
          break;
        } else known += g.values[q]!;
      }
      const target = r2.value - r1.value - known;
      if (!complete || slots === 0 || target < 0) continue;
      const flat = unshaped > 0 || shaped <= 0;
      // A shape far from the delta signals a data problem between the reads, not a shape to bend.
      if (!flat && (target / shaped > 5 || target / shaped < 0.2)) continue;
      for (let q = s1 + 1; q <= s2; q++) {
        if (!gap[q]) continue;
        est[q] = flat ? target / slots : (est[q]! * target) / shaped;
        const d = g.days[g.day[q]!]!;
        const wholeDay = flat && r1.ts <= d.start && r2.ts >= d.end && slots === s2 - s1;
        how[q] = wholeDay ? EstimationMethod.dailyFlat : EstimationMethod.registerScaled;
      }
    }
  }
  for (let q = 0; q < n; q++) {
    if (gap[q] && !Number.isNaN(est[q]!)) out.push({ ts: g.ts[q]!, value: est[q]!, method: how[q]! });
  }
  return out;
}

function lagrange(xs: readonly number[], ys: readonly number[], x: number): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    let term = ys[i]!;
    for (let j = 0; j < xs.length; j++) if (j !== i) term *= (x - xs[j]!) / (xs[i]! - xs[j]!);
    sum += term;
  }
  return sum;
}
