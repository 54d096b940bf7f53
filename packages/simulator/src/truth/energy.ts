import { accruedFraction } from './accrual.ts';
import { forgetDemand } from './demand.ts';
import { E, type MeterTruth } from './meter.ts';
import { type Instant, STEP_MS } from './time.ts';

/**
 * A memoised value is keyed by the consumer changes it saw: it only depends on the steps
 * before `upTo`, and on a transformer meter (the sum of its consumers) it stays exact as long
 * as no consumer change since the first `seen` ones altered such a step.
 */
interface Keyed {
  upTo: number;
  seen: number;
}

/**
 * Cumulative energy registers. E(k) at step boundary k is the seeded initial vector plus the
 * integer step energies from the anchor (or minus them before it), so any register difference
 * equals the sum of the step energies between: register(t2) − register(t1) = Σ intervals,
 * exactly, in whatever order the values are computed.
 */
interface CachePoint extends Keyed {
  k: number;
  values: Float64Array;
}

/** True when `p` is still exact with `n` consumer changes recorded (m.supplyCount()). */
function current(m: MeterTruth, p: Keyed, n: number): boolean {
  if (p.seen === n) return true;
  if (p.upTo > m.supplyChangedFrom(p.seen)) return false;
  p.seen = n;
  return true;
}

const CACHE_LIMIT = 50_000;
const cache = new WeakMap<MeterTruth['fleet'], Map<number, CachePoint>>();

function cacheOf(m: MeterTruth): Map<number, CachePoint> {
  let c = cache.get(m.fleet);
  if (c === undefined) {
    c = new Map();
    cache.set(m.fleet, c);
  }
  return c;
}

/** A few recent points per materialised meter: profile rows ask for E(t) and E(t − period) in turn. */
const recent = new WeakMap<MeterTruth, CachePoint[]>();
const RECENT = 4;

/**
 * Forget a meter's cached sums: a command changed its future from instant `from` on. A
 * consumer's transformer meter registers what the consumer draws, so the change is recorded
 * for it too: its memos of the steps from `from` on are dropped when next looked at.
 */
export function invalidateEnergy(m: MeterTruth, from: Instant): void {
  cacheOf(m).delete(m.index);
  recent.delete(m);
  recentAt.delete(m);
  m.forgetSteps();
  forgetDemand(m);
  if (m.place.role === 'consumer' && m.place.transformer >= 0)
    m.fleet.supplyChanged(m.place.transformer, Math.floor(from / STEP_MS));
}

function addStep(v: Float64Array, m: MeterTruth, k: number, sign: 1 | -1): void {
  const s = m.step(k);
  v[E.wh] = v[E.wh]! + sign * s.wh;
  v[E.vah] = v[E.vah]! + sign * s.vah;
  v[E.q1] = v[E.q1]! + sign * s.q1;
  const r = s.rate - 1;
  v[E.whT1 + r] = v[E.whT1 + r]! + sign * s.wh;
  v[E.vahT1 + r] = v[E.vahT1 + r]! + sign * s.vah;
}

/** The cumulative vector at step boundary k (instant k × 15 min). Read-only: callers copy. */
export function energyAtStep(m: MeterTruth, k: number): Float64Array {
  const n = m.supplyCount();
  let points = recent.get(m);
  if (points === undefined) {
    points = [];
    recent.set(m, points);
  } else if (n !== 0 && points.some((p) => p.seen !== n)) {
    points = points.filter((p) => current(m, p, n));
    recent.set(m, points);
  }
  let best: CachePoint | undefined;
  for (const p of points) {
    if (p.k === k) return p.values;
    if (best === undefined || Math.abs(p.k - k) < Math.abs(best.k - k)) best = p;
  }
  const c = cacheOf(m);
  const shared = c.get(m.index);
  if (
    shared !== undefined &&
    current(m, shared, n) &&
    (best === undefined || Math.abs(shared.k - k) < Math.abs(best.k - k))
  )
    best = shared;
  const anchor = m.fleet.anchorStep;
  let from: number;
  let v: Float64Array;
  if (best !== undefined && Math.abs(best.k - k) <= Math.abs(anchor - k)) {
    from = best.k;
    v = Float64Array.from(best.values);
  } else {
    from = anchor;
    v = m.initialEnergy();
  }
  for (let j = from; j < k; j++) addStep(v, m, j, 1);
  for (let j = from - 1; j >= k; j--) addStep(v, m, j, -1);
  const point: CachePoint = { k, values: v, seen: n, upTo: Math.max(k, anchor) };
  if (points.length >= RECENT) points.shift();
  points.push(point);
  if (c.size >= CACHE_LIMIT) c.clear();
  c.set(m.index, point);
  return v;
}

/** The last few instants asked for per meter: a profile row asks for E(t) once per energy column. */
const recentAt = new WeakMap<MeterTruth, (Keyed & { t: Instant; values: Float64Array })[]>();
const RECENT_AT = 4;

/** Cumulative vector at any instant (see accruedFraction within a step). Read-only: callers copy. */
export function energyAt(m: MeterTruth, t: Instant): Float64Array {
  const k = Math.floor(t / STEP_MS);
  const start = k * STEP_MS;
  if (t === start) return energyAtStep(m, k);
  const n = m.supplyCount();
  let points = recentAt.get(m);
  if (points === undefined) {
    points = [];
    recentAt.set(m, points);
  }
  for (const p of points) if (p.t === t && current(m, p, n)) return p.values;
  const v = Float64Array.from(energyAtStep(m, k));
  const s = m.step(k);
  const frac = accruedFraction(m, start, t);
  const r = s.rate - 1;
  v[E.wh] = v[E.wh]! + Math.floor(s.wh * frac);
  v[E.vah] = v[E.vah]! + Math.floor(s.vah * frac);
  v[E.q1] = v[E.q1]! + Math.floor(s.q1 * frac);
  v[E.whT1 + r] = v[E.whT1 + r]! + Math.floor(s.wh * frac);
  v[E.vahT1 + r] = v[E.vahT1 + r]! + Math.floor(s.vah * frac);
  for (let i = points.length - 1; i >= 0; i--) if (points[i]!.t === t) points.splice(i, 1);
  if (points.length >= RECENT_AT) points.shift();
  // Depends on E(k) and on step k itself.
  points.push({ t, values: v, seen: n, upTo: Math.max(k + 1, m.fleet.anchorStep) });
  return v;
}
