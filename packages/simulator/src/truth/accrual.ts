import type { MeterTruth } from './meter.ts';
import { type Instant, STEP_MS } from './time.ts';

/**
 * Share of step k's energy registered by instant t inside it (k × 15 min < t): the step's
 * energy accrues in proportion to the time the load was supplied, so a relay opening mid-step
 * never makes a register go back.
 */
export function accruedFraction(m: MeterTruth, start: Instant, t: Instant): number {
  // Both onFraction()s below are exactly 1 then.
  if (m.alwaysOn()) return Math.min(1, (t - start) / STEP_MS);
  const whole = m.onFraction(start, start + STEP_MS);
  return whole === 0 ? 0 : Math.min(1, (m.onFraction(start, t) * (t - start)) / (whole * STEP_MS));
}
