import { describe, expect, it } from 'vitest';
import { VEE_DEFAULT_ESTIMATION } from '../src/index.ts';
import type { EstimationParams } from '../src/vee/config.ts';
import { estimateGaps } from '../src/vee/estimate.ts';
import { type Grid, makeGrid, SlotKind } from '../src/vee/series.ts';
import type { RegisterPoint } from '../src/vee/validate.ts';
import { daysCovering, expectedIntervals, localDay } from '../src/vee/zone.ts';

const I = 900_000;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 1, 2); // a Monday

/** Smooth synthetic loads (Wh per quarter hour): a daily wave with a slower weekly drift. */
const loads = [
  (t: number) => 1000 + 300 * Math.sin((2 * Math.PI * t) / DAY),
  (t: number) =>
    600 + 250 * Math.sin((2 * Math.PI * (t - 7 * HOUR)) / DAY) + 40 * Math.sin((2 * Math.PI * t) / (7 * DAY)),
  (t: number) => 400 + 150 * Math.cos((2 * Math.PI * t) / DAY) + 60 * Math.cos((4 * Math.PI * t) / DAY),
];

/** The energy of the interval ending at t: the integral of the load over it (exact truth). */
function truth(f: (t: number) => number, end: number): number {
  const steps = 30;
  let s = 0;
  for (let k = 0; k < steps; k++) s += f(end - I + ((k + 0.5) * I) / steps);
  return s / steps;
}

function grid(f: (t: number) => number, days: number, from = T0, zone = 'UTC'): Grid {
  const g = makeGrid(daysCovering(from, from + days * DAY, zone), I);
  for (let i = 0; i < g.ts.length; i++) {
    g.values[i] = truth(f, g.ts[i]!);
    g.kind[i] = SlotKind.real;
  }
  return g;
}

function cut(g: Grid, from: number, len: number) {
  for (let i = from; i < from + len; i++) {
    g.values[i] = Number.NaN;
    g.kind[i] = SlotKind.none;
  }
}

function estimate(
  g: Grid,
  extra: Partial<{
    params: Partial<EstimationParams>;
    register: RegisterPoint[];
    history: Grid;
    flagged: boolean[];
  }> = {},
) {
  return estimateGaps({
    grid: g,
    params: { ...VEE_DEFAULT_ESTIMATION, ...extra.params },
    timeZone: 'UTC',
    locked: new Uint8Array(g.ts.length),
    flaggedDays: extra.flagged ?? g.days.map(() => false),
    register: extra.register ?? null,
    history: extra.history ?? null,
    historyFlagged: extra.history ? extra.history.days.map(() => false) : [],
  });
}

describe('VEE estimation', () => {
  it('interpolation of gaps up to 1 h is within 1 % of the truth per interval on smooth loads', () => {
    let worst = 0;
    let count = 0;
    for (const f of loads) {
      const base = grid(f, 3);
      for (let len = 1; len <= 4; len++) {
        for (let at = 3; at < 3 * 96 - 10; at += 11) {
          const g = { ...base, values: base.values.slice(), kind: base.kind.slice() };
          cut(g, at, len);
          const est = estimate(g);
          expect(est).toHaveLength(len);
          for (const e of est) {
            expect(e.method).toBe('cubic');
            const err = Math.abs(e.value - truth(f, e.ts)) / truth(f, e.ts);
            worst = Math.max(worst, err);
            count++;
          }
        }
      }
    }
    expect(count).toBeGreaterThan(500);
    expect(worst).toBeLessThanOrEqual(0.01);
  });

  it('point-to-point (linear) when asked, or when a side has one value only', () => {
    const f = loads[0]!;
    const g = grid(f, 2);
    cut(g, 50, 4);
    const est = estimate(g, { params: { interpolation: 'linear' } });
    expect(est.map((e) => e.method)).toEqual(['linear', 'linear', 'linear', 'linear']);
    const a = g.values[49]!;
    const b = g.values[54]!;
    est.forEach((e, k) => {
      expect(e.value).toBeCloseTo(a + ((b - a) * (k + 1)) / 5, 9);
      expect(Math.abs(e.value - truth(f, e.ts)) / truth(f, e.ts)).toBeLessThanOrEqual(0.01);
    });
    const edge = grid(f, 1);
    cut(edge, 1, 2);
    expect(estimate(edge).map((e) => e.method)).toEqual(['linear', 'linear']);
    // Longer than the limit: not interpolated (no history here, so it stays a gap).
    const long = grid(f, 1);
    cut(long, 40, 5);
    expect(estimate(long)).toEqual([]);
  });

  it('a gap longer than 1 h takes the average of the 3 nearest like days, skipping flagged and incomplete ones', () => {
    const f = loads[0]!;
    // Four weeks of history; the gap day is the fifth Monday.
    const history = grid(f, 28, T0 - 28 * DAY);
    const g = grid(f, 1);
    cut(g, 20, 12); // 3 h
    const est = estimate(g, { history });
    expect(est).toHaveLength(12);
    expect(new Set(est.map((e) => e.method))).toEqual(new Set(['like-day']));
    // The load repeats daily: the like-day average is the truth.
    for (const e of est) expect(Math.abs(e.value - truth(f, e.ts))).toBeLessThan(1e-6);
    // Make the nearest like Mondays different: a flagged one and one with a gap are skipped.
    const h2 = grid(f, 35, T0 - 35 * DAY);
    const monday = (w: number) => h2.dayFirst[35 - 7 * w]!; // w weeks back
    for (let i = monday(1); i < monday(1) + 96; i++) h2.values[i] = 5000; // an outage-flagged day
    h2.kind[monday(2) + 5] = SlotKind.estimated; // a day with an estimate
    h2.values[monday(2) + 40] = 9999;
    const flagged = h2.days.map((_, di) => di === 35 - 7);
    const est2 = estimateGaps({
      grid: g,
      params: VEE_DEFAULT_ESTIMATION,
      timeZone: 'UTC',
      locked: new Uint8Array(g.ts.length),
      flaggedDays: [false],
      register: null,
      history: h2,
      historyFlagged: flagged,
    });
    expect(est2).toHaveLength(12);
    for (const e of est2) expect(Math.abs(e.value - truth(f, e.ts))).toBeLessThan(1e-6);
    // With fewer than 3 eligible like days the gap stays a gap.
    const short = grid(f, 14, T0 - 14 * DAY);
    expect(estimate(g, { history: short })).toEqual([]);
  });

  it('like days follow the trend of the days before the gap: a dead meter on a rising load', () => {
    // A daily wave whose level rises 1 % a day; the last week is lost (no register reads).
    const f = (t: number) => (1 + (0.01 * (t - T0)) / DAY) * (500 + 200 * Math.sin((2 * Math.PI * t) / DAY));
    const history = grid(f, 21, T0 - 21 * DAY);
    const g = grid(f, 28);
    // Lost reads make most days of the month ineligible as like days: only the lead-in is.
    for (let d = 0; d < 21; d++) cut(g, d * 96 + 37, 1);
    cut(g, 21 * 96, 7 * 96);
    const err = (params: Partial<EstimationParams>) => {
      const est = estimate(g, { history, params });
      const week = est.filter((e) => e.ts > T0 + 21 * DAY);
      expect(week).toHaveLength(7 * 96);
      expect(new Set(week.map((e) => e.method))).toEqual(new Set(['like-day']));
      const ours = week.reduce((a, e) => a + e.value, 0);
      const truthSum = week.reduce((a, e) => a + truth(f, e.ts), 0);
      return Math.abs(ours - truthSum) / truthSum;
    };
    const plain = err({ trendDays: 0 });
    const trended = err({});
    // Like days three to five weeks back undershoot by ~30 %; the trend brings it to a few %.
    expect(plain).toBeGreaterThan(0.2);
    expect(trended).toBeLessThan(0.08);
  });

  it('a day under a validation finding (a zero run) is not a like day', () => {
    const f = loads[0]!;
    const history = grid(f, 28, T0 - 28 * DAY);
    const g = grid(f, 15);
    // Monday the 8th holds a zero run VEE found; the gap is on Monday the 15th.
    const suspect = new Uint8Array(g.ts.length);
    for (let i = 7 * 96 + 30; i < 7 * 96 + 40; i++) {
      g.values[i] = 0;
      suspect[i] = 1;
    }
    cut(g, 14 * 96 + 30, 10);
    const est = estimateGaps({
      grid: g,
      params: VEE_DEFAULT_ESTIMATION,
      timeZone: 'UTC',
      locked: new Uint8Array(g.ts.length),
      flaggedDays: g.days.map(() => false),
      suspect,
      register: null,
      history,
      historyFlagged: history.days.map(() => false),
    });
    expect(est).toHaveLength(10);
    for (const e of est) expect(Math.abs(e.value - truth(f, e.ts))).toBeLessThan(1e-6);
  });

  it('scales to the register delta where register reads bracket the gap; a whole day gets the flat daily average', () => {
    const f = loads[1]!;
    const g = grid(f, 3);
    const regAt = (i: number) => 5000 + Array.from(g.values.slice(0, i + 1)).reduce((a, b) => a + b, 0);
    const register = [
      { ts: T0, value: 5000 },
      { ts: g.ts[95]!, value: regAt(95) },
      { ts: g.ts[191]!, value: regAt(191) },
      { ts: g.ts[287]!, value: regAt(287) },
    ];
    // A whole day without history: the register delta spread evenly.
    const whole = grid(f, 3);
    cut(whole, 96, 96);
    const flat = estimate(whole, { register });
    expect(flat).toHaveLength(96);
    expect(new Set(flat.map((e) => e.method))).toEqual(new Set(['daily-flat']));
    const dayTotal = regAt(191) - regAt(95);
    expect(flat.reduce((a, e) => a + e.value, 0)).toBeCloseTo(dayTotal, 6);
    expect(flat[0]!.value).toBeCloseTo(dayTotal / 96, 9);
    // A short gap: the linear shape scaled so that the day sums to its register delta.
    const short = grid(f, 3);
    cut(short, 150, 3);
    const scaled = estimate(short, { register });
    expect(scaled.map((e) => e.method)).toEqual(['register-scaled', 'register-scaled', 'register-scaled']);
    const known = Array.from(short.values.slice(96, 192)).reduce((a, v) => (Number.isNaN(v) ? a : a + v), 0);
    expect(known + scaled.reduce((a, e) => a + e.value, 0)).toBeCloseTo(dayTotal, 6);
    for (const e of scaled) expect(Math.abs(e.value - truth(f, e.ts)) / truth(f, e.ts)).toBeLessThan(0.01);
  });

  it('several gaps between two register reads share the delta; a gap over days takes the delta of each day', () => {
    const f = loads[2]!;
    const base = grid(f, 3);
    const sumTo = (i: number) => 9000 + Array.from(base.values.slice(0, i + 1)).reduce((a, b) => a + b, 0);
    const register = [
      { ts: T0, value: 9000 },
      { ts: base.ts[95]!, value: sumTo(95) },
      { ts: base.ts[191]!, value: sumTo(191) },
      { ts: base.ts[287]!, value: sumTo(287) },
    ];
    const g = grid(f, 3);
    cut(g, 10, 2);
    cut(g, 40, 3);
    cut(g, 70, 1);
    const est = estimate(g, { register });
    expect(est).toHaveLength(6);
    expect(new Set(est.map((e) => e.method))).toEqual(new Set(['register-scaled']));
    const known = Array.from(g.values.slice(0, 96)).reduce((a, v) => (Number.isNaN(v) ? a : a + v), 0);
    expect(known + est.reduce((a, e) => a + e.value, 0)).toBeCloseTo(sumTo(95) - 9000, 6);
    // Two whole days lost: each takes its own register delta, spread evenly.
    const lost = grid(f, 3);
    cut(lost, 96, 192);
    const flat = estimate(lost, { register });
    expect(flat).toHaveLength(192);
    expect(new Set(flat.map((e) => e.method))).toEqual(new Set(['daily-flat']));
    expect(flat[0]!.value).toBeCloseTo((sumTo(191) - sumTo(95)) / 96, 9);
    expect(flat[191]!.value).toBeCloseTo((sumTo(287) - sumTo(191)) / 96, 9);
  });

  it('locked (final) and undue slots are never estimated; a gap with one neighbour and no history stays', () => {
    const g = grid(loads[0]!, 1);
    cut(g, 10, 2);
    const locked = new Uint8Array(g.ts.length);
    locked[10] = 1;
    locked[11] = 1;
    expect(
      estimateGaps({
        grid: g,
        params: VEE_DEFAULT_ESTIMATION,
        timeZone: 'UTC',
        locked,
        flaggedDays: [false],
        register: null,
        history: null,
        historyFlagged: [],
      }),
    ).toEqual([]);
    const edge = grid(loads[0]!, 1);
    cut(edge, 0, 2);
    expect(estimate(edge)).toEqual([]);
  });
});

describe('customer-local days', () => {
  it('DST days hold 92 and 100 quarter hours in Europe/Berlin, 96 otherwise; interval ends stay on the grid', () => {
    const spring = localDay('2026-03-29', 'Europe/Berlin');
    const autumn = localDay('2026-10-25', 'Europe/Berlin');
    const plain = localDay('2026-03-28', 'Europe/Berlin');
    expect(spring.end - spring.start).toBe(23 * HOUR);
    expect(autumn.end - autumn.start).toBe(25 * HOUR);
    expect([spring, autumn, plain].map((d) => expectedIntervals(d, I))).toEqual([92, 100, 96]);
    expect(plain.start).toBe(Date.UTC(2026, 2, 27, 23));
    expect(spring.dayOfWeek).toBe(7);
    const ny = localDay('2026-11-01', 'America/New_York');
    expect(expectedIntervals(ny, I)).toBe(100);
    expect(expectedIntervals(localDay('2026-03-08', 'America/New_York'), 3_600_000)).toBe(23);
    // Days covering a UTC range, each whole, the midnight interval end in the day before.
    const days = daysCovering(Date.UTC(2026, 2, 28, 12), Date.UTC(2026, 2, 29, 22), 'Europe/Berlin');
    expect(days.map((d) => d.day)).toEqual(['2026-03-28', '2026-03-29']);
    const g = makeGrid(days, I);
    expect(g.ts.length).toBe(96 + 92);
    expect(g.ts[0]).toBe(plain.start + I);
    expect(g.ts[g.ts.length - 1]).toBe(spring.end);
  });

  it('like days match by local time of day across the DST change', () => {
    const zone = 'Europe/Berlin';
    const local = (t: number) => {
      const d = new Date(t + (t >= Date.UTC(2026, 2, 29, 1) ? 2 : 1) * HOUR);
      return d.getUTCHours() * 60 + d.getUTCMinutes();
    };
    // A load that depends on the local clock only.
    const f = (t: number) => 300 + 10 * Math.floor(local(t - 1) / 15);
    const mk = (from: string, n: number) => {
      const days = Array.from({ length: n }, (_, k) =>
        localDay(new Date(Date.parse(`${from}T00:00:00Z`) + k * DAY).toISOString().slice(0, 10), zone),
      );
      const g = makeGrid(days, I);
      for (let i = 0; i < g.ts.length; i++) {
        g.values[i] = f(g.ts[i]!);
        g.kind[i] = SlotKind.real;
      }
      return g;
    };
    const history = mk('2026-03-08', 21); // three Sundays before, on winter time
    const g = mk('2026-03-29', 1); // the short Sunday, summer time from 03:00
    cut(g, 40, 12);
    const est = estimateGaps({
      grid: g,
      params: VEE_DEFAULT_ESTIMATION,
      timeZone: zone,
      locked: new Uint8Array(g.ts.length),
      flaggedDays: [false],
      register: null,
      history,
      historyFlagged: history.days.map(() => false),
    });
    expect(est).toHaveLength(12);
    for (const e of est) expect(e.value).toBe(f(e.ts));
  });
});
