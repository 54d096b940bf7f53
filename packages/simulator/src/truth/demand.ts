import { energyAt } from './energy.ts';
import { captureInstant, clockOffset } from './measures.ts';
import type { MeterTruth } from './meter.ts';
import { E } from './meter.ts';
import type { Instant } from './time.ts';

/** The demand integration period (1.0.0.8.0.255) equals the 15-minute block period. */
export const DIP_MS = 900_000;

export interface Demand {
  /** W or VA. */
  value: number;
  /** Meter-clock end of the period that set it; undefined when no period ended yet. */
  at: Instant | undefined;
}

interface Memo {
  from: Instant;
  to: Instant;
  result: { w: Demand; va: Demand };
}

const memo = new WeakMap<MeterTruth, Memo>();

/**
 * Block maximum demand over the integration periods that end, by the meter's clock, in
 * (from, to] (true instants): 4 × the period's energy, stamped with the period end. Periods
 * are the block-load intervals, so MD = 4 × the largest block energy of the billing period.
 */
export function maxDemand(m: MeterTruth, from: Instant, to: Instant): { w: Demand; va: Demand } {
  const hit = memo.get(m);
  if (hit !== undefined && hit.from === from && hit.to === to) return hit.result;
  const w: Demand = { value: 0, at: undefined };
  const va: Demand = { value: 0, at: undefined };
  const clockFrom = from + clockOffset(m, from);
  const clockTo = to + clockOffset(m, to);
  let b = Math.floor(clockFrom / DIP_MS) * DIP_MS + DIP_MS;
  const start = energyAt(m, captureInstant(m, b - DIP_MS));
  let pw = start[E.wh]!;
  let pva = start[E.vah]!;
  for (; b <= clockTo; b += DIP_MS) {
    const at = captureInstant(m, b);
    if (at > to) break;
    const e = energyAt(m, at);
    const dw = (e[E.wh]! - pw) * 0.004;
    const dva = (e[E.vah]! - pva) * 0.004;
    if (w.at === undefined || dw > w.value) {
      w.value = dw;
      w.at = b;
    }
    if (va.at === undefined || dva > va.value) {
      va.value = dva;
      va.at = b;
    }
    pw = e[E.wh]!;
    pva = e[E.vah]!;
  }
  const result = { w, va };
  memo.set(m, { from, to, result });
  return result;
}

/** Forget a memoised MD (a command changed the meter's energy). */
export function forgetDemand(m: MeterTruth): void {
  memo.delete(m);
}
