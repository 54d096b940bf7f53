import { Stream, unit } from './hash.ts';
import type { MeterTruth } from './meter.ts';
import { inWindow, overlapMs } from './scenarios.ts';
import type { EventLogKey, RecordedEvent } from './state.ts';
import { DAY, type Instant, localDate, localParts, MINUTE, STEP_MS } from './time.ts';

/**
 * Phase voltage (V) the supply gives in step k while it is on, sags and swells as at t (an
 * instant in the step), before the per-minute ripple.
 */
function supplyVoltage(m: MeterTruth, k: number, phase: number, t: Instant): number {
  const s = m.step(k);
  const load = (s.trueWh * 0.004) / m.pMax;
  const ripple = 0.012 * (unit(m.salt, Stream.voltage, k, phase) - 0.5);
  let v = m.profile.meter.nominalVoltage * (1 + m.vTransformer + m.vMeter + ripple - 0.03 * load);
  for (const w of m.effects.voltage) if (t >= w.from && t < w.to) v *= w.factor;
  return v;
}

/** Phase voltage (V) of step k as blocks average it: as at the step's start, 0 if the supply was off then. */
export function stepVoltage(m: MeterTruth, k: number, phase: number): number {
  const t = k * STEP_MS;
  if (inWindow(m.effects.outages, t)) return 0;
  return supplyVoltage(m, k, phase, t);
}

export interface Instantaneous {
  voltage: [number, number, number];
  current: [number, number, number];
  neutral: number;
  pf: number;
  frequency: number;
  active: number;
  apparent: number;
  reactive: number;
}

export function gridFrequency(seed: number, t: Instant): number {
  return 50 + 0.16 * (unit(seed, Stream.frequency, Math.floor(t / MINUTE)) - 0.5);
}

/**
 * Instantaneous values at t, consistent with the energy of the step containing t and with the
 * supply at t itself: while an interruption covers t every value is 0 (and the meter answers
 * only if its modem is battery-backed, MeterTruth.answersAt); otherwise the supply voltage and
 * frequency are there, whatever the step's start saw. Power is the load's draw while supplied:
 * the step's energy over the part of the step it was supplied.
 */
export function instantaneous(m: MeterTruth, t: Instant): Instantaneous {
  const k = Math.floor(t / STEP_MS);
  const s = m.step(k);
  const minute = Math.floor(t / MINUTE);
  const on = m.poweredAt(t);
  const closed = m.relayConnectedAt(t);
  const from = k * STEP_MS;
  const supplied = on && closed ? m.onFraction(from, from + STEP_MS) : 0;
  const active = supplied > 0 ? (s.wh * 0.004) / supplied : 0;
  const pf = active > 0 && s.vah > 0 ? s.wh / s.vah : 1;
  const apparent = active / pf;
  const phases = m.profile.meter.phases;
  const voltage: [number, number, number] = [0, 0, 0];
  const current: [number, number, number] = [0, 0, 0];
  for (let p = 0; p < phases; p++) {
    const v = on
      ? supplyVoltage(m, k, p, t) * (1 + 0.003 * (unit(m.salt, Stream.instant, minute, p) - 0.5))
      : 0;
    voltage[p] = v;
    current[p] = v > 0 ? (apparent * m.phaseShare[p]!) / v : 0;
  }
  const trueActive = supplied > 0 ? (s.trueWh * 0.004) / supplied : 0;
  const neutral =
    phases === 1
      ? voltage[0] > 0
        ? trueActive / pf / voltage[0]
        : 0
      : Math.abs(current[0] - current[1]) * 0.5;
  return {
    voltage,
    current,
    neutral,
    pf,
    frequency: on ? gridFrequency(m.fleet.seed, t) : 0,
    active,
    apparent,
    reactive: Math.sqrt(Math.max(0, apparent * apparent - active * active)),
  };
}

/** Mean phase voltage over the steps of (t − period, t]. */
export function blockVoltage(m: MeterTruth, t: Instant, periodMs: number, phase: number): number {
  const first = Math.round((t - periodMs) / STEP_MS);
  const last = Math.round(t / STEP_MS);
  let sum = 0;
  for (let k = first; k < last; k++) sum += stepVoltage(m, k, phase);
  return sum / Math.max(1, last - first);
}

// ---------------------------------------------------------------------------
// billing dates and counters

function billingDay(m: MeterTruth): number {
  return m.profile.quirks.billingDay ?? 1;
}

/**
 * The single action schedule fires when the meter's own clock reaches local midnight of the
 * billing day: `stamp` is that clock reading, `at` the true instant it happened (≤ t).
 */
function monthlyBilling(m: MeterTruth, t: Instant): { at: Instant; stamp: Instant } {
  const off = m.profile.meter.utcOffsetMinutes;
  const clock = t + clockOffset(m, t);
  const p = localParts(clock, off);
  let month = p.month;
  let stamp = localDate(p.year, month, billingDay(m), off);
  if (stamp > clock) stamp = localDate(p.year, --month, billingDay(m), off);
  let at = captureInstant(m, stamp);
  if (at > t) {
    stamp = localDate(p.year, --month, billingDay(m), off);
    at = captureInstant(m, stamp);
  }
  return { at, stamp };
}

/** The latest monthly billing instant ≤ t (true time). */
export function monthlyBillingAtOrBefore(m: MeterTruth, t: Instant): Instant {
  return monthlyBilling(m, t).at;
}

/** Months (billing stamps) from the epoch up to t; differences count billings. */
function monthOrdinal(m: MeterTruth, t: Instant): number {
  const p = localParts(monthlyBilling(m, t).stamp, m.profile.meter.utcOffsetMinutes);
  return p.year * 12 + p.month;
}

/** Latest billing instant (monthly or MD reset) ≤ t. */
export function billingAtOrBefore(m: MeterTruth, t: Instant): Instant {
  let b = monthlyBillingAtOrBefore(m, t);
  for (const r of m.state?.mdResets ?? []) if (r <= t && r > b) b = r;
  return b;
}

/** The meter-clock stamp of the billing at true instant b (from billingAtOrBefore). */
export function billingStamp(m: MeterTruth, b: Instant): Instant {
  const monthly = monthlyBilling(m, b);
  return monthly.at === b ? monthly.stamp : b + clockOffset(m, b);
}

/** Latest billing instant strictly before t: the start of t's billing period (B, t]. */
export function billingBefore(m: MeterTruth, t: Instant): Instant {
  return billingAtOrBefore(m, t - 1);
}

/** The last `count` billing instants ≤ t, oldest first. */
export function billingInstants(m: MeterTruth, t: Instant, count: number): Instant[] {
  const out: Instant[] = [];
  let b = billingAtOrBefore(m, t);
  while (out.length < count) {
    out.push(b);
    b = billingBefore(m, b);
  }
  return out.reverse();
}

function anchorTime(m: MeterTruth): Instant {
  return m.fleet.anchorStep * STEP_MS;
}

function base(m: MeterTruth, n: number, lo: number, hi: number): number {
  return lo + Math.floor(unit(m.salt, Stream.counters, n) * (hi - lo));
}

export function billingCount(m: MeterTruth, t: Instant): number {
  const resets = (m.state?.mdResets ?? []).filter((r) => r <= t).length;
  return base(m, 1, 12, 60) + monthOrdinal(m, t) - monthOrdinal(m, anchorTime(m)) + resets;
}

/** Minutes energised from the anchor to t (negative before it), plus a seeded base. */
export function powerOnMinutes(m: MeterTruth, t: Instant): number {
  const a = anchorTime(m);
  const off = t >= a ? overlapMs(m.effects.outages, a, t) : -overlapMs(m.effects.outages, t, a);
  return base(m, 2, 200_000, 900_000) + Math.floor((t - a - off) / MINUTE);
}

export function powerOffMinutes(m: MeterTruth, t: Instant): number {
  const a = anchorTime(m);
  const off = t >= a ? overlapMs(m.effects.outages, a, t) : -overlapMs(m.effects.outages, t, a);
  return base(m, 3, 2_000, 40_000) + Math.floor(off / MINUTE);
}

export function powerFailures(m: MeterTruth, t: Instant): number {
  const a = anchorTime(m);
  const n = m.effects.outages.filter((w) => w.from > a && w.from <= t).length;
  return base(m, 4, 10, 400) + n;
}

export function tamperCount(m: MeterTruth, t: Instant): number {
  const n = events(m, t).filter((e) => e.log === 'other' && e.code % 2 === 1).length;
  return base(m, 5, 0, 40) + n;
}

export function programmingCount(m: MeterTruth, t: Instant): number {
  const n = (m.state?.events ?? []).filter((e) => e.log === 'transaction' && e.at <= t).length;
  return base(m, 6, 1, 30) + n;
}

// ---------------------------------------------------------------------------
// events

const TAMPER_MS = 30 * MINUTE;

/** Every event of the meter with time ≤ upTo, oldest first. */
export function events(m: MeterTruth, upTo: Instant): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  const push = (at: Instant, log: EventLogKey, code: number): void => {
    if (at <= upTo) out.push({ at, log, code });
  };
  for (const w of m.effects.outages) {
    push(w.from, 'power', 101);
    push(w.to, 'power', 102);
  }
  for (const w of m.effects.voltage) {
    const occ = w.kind === 'sag' ? 9 : 7;
    push(w.from, 'voltage', occ);
    push(w.to, 'voltage', occ + 1);
  }
  const theft = m.effects.theft;
  if (theft !== undefined) push(theft.from, 'current', m.profile.meter.phases === 1 ? 69 : 65);
  for (const t of m.effects.tamper) {
    push(t, 'other', 201);
    push(t + TAMPER_MS, 'other', 202);
    push(t + 5 * MINUTE, 'other', 251);
    push(t + 5 * MINUTE, 'nonRollover', 251);
  }
  for (const e of m.state?.events ?? []) push(e.at, e.log, e.code);
  out.sort((a, b) => a.at - b.at);
  return out;
}

export function lastEventCode(m: MeterTruth, log: EventLogKey, t: Instant): number {
  const list = events(m, t).filter((e) => e.log === log);
  return list[list.length - 1]?.code ?? 0;
}

/** Event status word bits (device-profiles.md §1.13) that hold at t. */
export function eswBits(m: MeterTruth, t: Instant): number[] {
  const bits = [86];
  if (!m.relayConnectedAt(t)) bits.push(84);
  for (const w of m.effects.voltage) if (t >= w.from && t < w.to) bits.push(w.kind === 'sag' ? 4 : 3);
  for (const x of m.effects.tamper) {
    if (t >= x && t < x + TAMPER_MS) bits.push(81);
    if (t >= x + 5 * MINUTE) bits.push(83);
  }
  return [...new Set(bits)].sort((a, b) => a - b);
}

/** The meter's drift (ppm) and its clock offset at the anchor (ms): constants of the meter. */
function clockBase(m: MeterTruth): { ppm: number; offset: number } {
  if (m.clockBase === undefined) {
    m.clockBase = {
      ppm: m.effects.driftPpm ?? (m.profile.quirks.clockDriftPpm ?? 0) * (2 * unit(m.salt, Stream.drift) - 1),
      offset: Math.round((unit(m.salt, Stream.drift, 1) - 0.5) * 4000),
    };
  }
  return m.clockBase;
}

/** Offset of the meter's clock from true time at t (ms). */
export function clockOffset(m: MeterTruth, t: Instant): number {
  const base = clockBase(m);
  const ppm = base.ppm;
  let at = anchorTime(m);
  let offset = base.offset;
  for (const s of m.state?.clockSyncs ?? []) {
    if (s.at > t) break;
    at = s.at;
    offset = s.offsetMs;
  }
  return offset + Math.round(((t - at) * ppm) / 1e6);
}

/** The true instant at which the meter's clock reads `clock` (two fixed-point steps; drift is ppm). */
export function captureInstant(m: MeterTruth, clock: Instant): Instant {
  const first = clock - clockOffset(m, clock);
  return clock - clockOffset(m, first);
}

export const ONE_DAY = DAY;
