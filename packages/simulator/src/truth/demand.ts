import { accruedFraction } from './accrual.ts';
import { captureInstant, clockOffset } from './measures.ts';
import type { MeterTruth } from './meter.ts';
import { type Instant, STEP_MS } from './time.ts';

/** The demand integration period (1.0.0.8.0.255) equals the 15-minute block period. */
export const DIP_MS = 900_000;

export interface Demand {
  /** W or VA. */
  value: number;
  /** Meter-clock end of the period that set it; undefined when no period ended yet. */
  at: Instant | undefined;
}

/**
 * Active and apparent energy registered since a base step, walked step by step in either
 * direction. Every step energy is an integer (mWh, mVAh), so a difference of two readings is
 * exactly the difference of the cumulative registers at those instants (energyAt).
 */
class EnergyWalk {
  private readonly m: MeterTruth;
  private k: number;
  private wh = 0;
  private vah = 0;
  /** Reading at the last instant asked for: [wh, vah]. */
  readonly at: [number, number] = [0, 0];

  constructor(m: MeterTruth, k: number) {
    this.m = m;
    this.k = k;
  }

  /** Energies registered at instant t relative to the base; result in `at`. */
  read(t: Instant): [number, number] {
    const m = this.m;
    const k = Math.floor(t / STEP_MS);
    for (; this.k < k; this.k++) {
      const s = m.step(this.k);
      this.wh += s.wh;
      this.vah += s.vah;
    }
    while (this.k > k) {
      this.k--;
      const s = m.step(this.k);
      this.wh -= s.wh;
      this.vah -= s.vah;
    }
    const start = k * STEP_MS;
    let wh = this.wh;
    let vah = this.vah;
    if (t !== start) {
      const s = m.step(k);
      const frac = accruedFraction(m, start, t);
      wh += Math.floor(s.wh * frac);
      vah += Math.floor(s.vah * frac);
    }
    this.at[0] = wh;
    this.at[1] = vah;
    return this.at;
  }
}

/**
 * A scan over the integration periods of one billing period, kept per meter so a later `to`
 * (a live clock, or the MD value then its capture time) continues where the last one stopped.
 */
interface Scan {
  from: Instant;
  to: Instant;
  clockTo: Instant;
  /** Next period end not yet looked at (meter clock). */
  b: Instant;
  walk: EnergyWalk;
  /** Consumer changes under a transformer meter when the scan started (m.supplyCount()). */
  seen: number;
  pw: number;
  pva: number;
  w: Demand;
  va: Demand;
}

const scans = new WeakMap<MeterTruth, Scan>();

function startScan(m: MeterTruth, from: Instant): Scan {
  const clockFrom = from + clockOffset(m, from);
  const b = Math.floor(clockFrom / DIP_MS) * DIP_MS + DIP_MS;
  const at0 = captureInstant(m, b - DIP_MS);
  const walk = new EnergyWalk(m, Math.floor(at0 / STEP_MS));
  const [pw, pva] = walk.read(at0);
  return {
    from,
    to: -Infinity,
    clockTo: -Infinity,
    b,
    walk,
    seen: m.supplyCount(),
    pw,
    pva,
    w: { value: 0, at: undefined },
    va: { value: 0, at: undefined },
  };
}

/**
 * Block maximum demand over the integration periods that end, by the meter's clock, in
 * (from, to] (true instants): 4 × the period's energy, stamped with the period end. Periods
 * are the block-load intervals, so MD = 4 × the largest block energy of the billing period.
 */
export function maxDemand(m: MeterTruth, from: Instant, to: Instant): { w: Demand; va: Demand } {
  const clockTo = to + clockOffset(m, to);
  let scan = scans.get(m);
  // The periods looked at for (from, to) are a prefix of those for a later (from, to'), as
  // long as the meter clock did not go back in between.
  // A consumer change under a transformer meter may rewrite periods already looked at.
  if (
    scan === undefined ||
    scan.from !== from ||
    to < scan.to ||
    clockTo < scan.clockTo ||
    scan.seen !== m.supplyCount()
  ) {
    scan = startScan(m, from);
    scans.set(m, scan);
  }
  const { w, va, walk } = scan;
  let b = scan.b;
  for (; b <= clockTo; b += DIP_MS) {
    const at = captureInstant(m, b);
    if (at > to) break;
    const [ew, eva] = walk.read(at);
    const dw = (ew - scan.pw) * 0.004;
    const dva = (eva - scan.pva) * 0.004;
    if (w.at === undefined || dw > w.value) {
      w.value = dw;
      w.at = b;
    }
    if (va.at === undefined || dva > va.value) {
      va.value = dva;
      va.at = b;
    }
    scan.pw = ew;
    scan.pva = eva;
  }
  scan.b = b;
  scan.to = to;
  scan.clockTo = clockTo;
  return { w: { ...w }, va: { ...va } };
}

/** Forget a memoised MD (a command changed the meter's energy). */
export function forgetDemand(m: MeterTruth): void {
  scans.delete(m);
}
