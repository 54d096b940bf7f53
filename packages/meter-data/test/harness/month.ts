/**
 * A simulated month of meter data built straight from the simulator's truth (no sockets):
 * what each meter's 15-minute block profile and its daily total-register read would report,
 * then what the network and the proof do to it — 2 % lost reads, whole lost days, dead
 * meters — and injected data faults (spikes, zero runs, flat lines, a register reset) whose
 * exact positions are kept for scoring. Used by the VEE and billing proofs and the VEE bench.
 */
import type { ChannelDef, NewMeterEvent, ReadingInput, Store } from '@openhes/core';
import { type ScenarioSpec, Truth } from '@openhes/simulator';

export const STEP = 900_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** The simulated IS 15959 meters keep Indian time (UTC+05:30, no DST). */
export const ZONE = 'Asia/Kolkata';
const OFFSET = 5.5 * HOUR;
export const BLOCK_OBIS = '1.0.1.29.0.255';
export const TOTAL_OBIS = '1.0.1.8.0.255';

export const blockChannel: ChannelDef = {
  obis: BLOCK_OBIS,
  attribute: 2,
  kind: 'interval',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: 900,
};
export const registerChannel = (rate = 0): ChannelDef => ({
  obis: `1.0.1.8.${rate}.255`,
  attribute: 2,
  kind: 'register',
  unit: 'Wh',
  scaler: 0,
  intervalSeconds: null,
});

/** A small seeded PRNG (mulberry32): the same seed always makes the same month. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type FaultKind = 'spike' | 'zero-run' | 'flat-line' | 'register-reset' | 'lost-day';

export interface Fault {
  kind: FaultKind;
  /** Interval ends of the first and last slot concerned (both included). */
  from: number;
  to: number;
}

export interface MonthOptions {
  meters: number;
  seed?: number;
  /** First local day of the month (YYYY-MM-DD, Indian time); default 2026-10-01. */
  month?: string;
  days?: number;
  /** Complete days before the month, for like-day history (default 21). */
  leadDays?: number;
  /** Share of the month's reads lost (default 0.02). */
  lostShare?: number;
}

export interface MeterMonth {
  index: number;
  serial: string;
  loadClass: 'residential' | 'commercial' | 'industrial';
  /**
   * smooth: the interval channel carries a smooth load (a daily sine at the meter's mean
   * energy) instead of the truth's noisy steps — the population of the "≤ 1 h within 1 %" proof.
   */
  smooth: boolean;
  /**
   * No lost reads, no injected faults and not dead within the month: the billing proof's
   * "complete data" (a meter that dies on day 24 has no data after it).
   */
  complete: boolean;
  driftPpm: number | undefined;
  theft: boolean;
  deadFrom: number | undefined;
  outages: { from: number; to: number }[];
  /** Interval end → what the meter reports (Wh), before faults and losses: the reference. */
  reported: Map<number, number>;
  /** Interval end → the true energy delivered in the interval (Wh, fractional). */
  trueWh: Map<number, number>;
  /** What reaches the head end: block values (after faults, without lost slots) and register reads. */
  intervals: { ts: number; value: number }[];
  registers: { ts: number; value: number }[];
  events: Omit<NewMeterEvent, 'meterId'>[];
  /** Interval ends with no value at the head end (lost reads, lost days, dead meter). */
  missing: Set<number>;
  /** Missing slots that came from the 2 % random losses (not whole days, not the dead meter). */
  lost: Set<number>;
  faults: Fault[];
}

export interface Month {
  truth: Truth;
  /** Local midnight (UTC instant) of the month's first day, its end, and the lead-in start. */
  start: number;
  end: number;
  leadStart: number;
  days: number;
  meters: MeterMonth[];
}

/** Local midnight (Indian time) of a YYYY-MM-DD day. */
export function localMidnight(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) - OFFSET;
}

/** Local minute of day of an interval's start (interval end → minute 0..1439). */
export function localMinute(end: number): number {
  return Math.floor(((((end - STEP + OFFSET) % DAY) + DAY) % DAY) / 60_000);
}

/**
 * Builds the month. Scenarios (all from the simulator): outages on 3 % of meters (30 min to
 * 6 h, zeros in the block profile with a power-failure event), 3 % dead meters (from day 24,
 * no reads after), 6 % clock drift (500 ppm: rows cover the drifted windows), 2 % theft
 * (under-registration from mid-month).
 */
export function buildMonth(o: MonthOptions): Month {
  const seed = o.seed ?? 14_2026;
  const days = o.days ?? 31;
  const leadDays = o.leadDays ?? 21;
  const start = localMidnight(o.month ?? '2026-10-01');
  const end = start + days * DAY;
  const leadStart = start - leadDays * DAY;
  const lostShare = o.lostShare ?? 0.02;
  const r = rng(seed);
  const scenarios: ScenarioSpec[] = [
    { kind: 'dead', fraction: 0.03, at: start + 24 * DAY + 7 * HOUR },
    { kind: 'drift', fraction: 0.06, ppm: 500 },
    { kind: 'theft', fraction: 0.02, at: start + 15 * DAY },
  ];
  for (let i = 0; i < o.meters; i++) {
    if (r() < 0.03) {
      const at = start + Math.floor(r() * (days - 1) * 96) * STEP + Math.floor(r() * 15) * 60_000;
      scenarios.push({
        kind: 'outage',
        target: { meter: i },
        at,
        durationMs: (30 + Math.floor(r() * 330)) * 60_000,
      });
    }
  }
  const truth = new Truth({
    seed,
    startAt: leadStart - DAY,
    consumers: o.meters,
    mix: { residential: 0.7, commercial: 0.2, industrial: 0.1 },
    scenarios,
  });
  const meters: MeterMonth[] = [];
  for (let i = 0; i < o.meters; i++)
    meters.push(buildMeter(truth, i, { start, end, leadStart, lostShare, seed }));
  return { truth, start, end, leadStart, days, meters };
}

function buildMeter(
  truth: Truth,
  index: number,
  p: { start: number; end: number; leadStart: number; lostShare: number; seed: number },
): MeterMonth {
  const m = truth.meter(index);
  const e = m.effects;
  const r = rng(p.seed * 7919 + index);
  const smooth = index % 10 === 9;
  const complete = index % 5 === 0;
  // Cumulative registered energy (mWh) at each step boundary from the truth's anchor.
  const k0 = truth.anchorStep;
  const kEnd = p.end / STEP + 2;
  const cum = new Float64Array(kEnd - k0 + 1);
  const trueStep = new Float64Array(kEnd - k0);
  const stepWh = new Float64Array(kEnd - k0);
  cum[0] = m.initialEnergy()[0]!;
  for (let k = k0; k < kEnd; k++) {
    const s = m.step(k);
    cum[k - k0 + 1] = cum[k - k0]! + s.wh;
    trueStep[k - k0] = s.trueWh;
    stepWh[k - k0] = s.wh;
  }
  /** Registered energy (mWh) at a true instant (linear inside a step, as the meter accrues). */
  const energyAt = (t: number) => {
    const k = Math.floor(t / STEP);
    return cum[k - k0]! + ((t - k * STEP) / STEP) * stepWh[k - k0]!;
  };
  const drift = e.driftPpm;
  /** The true instant the meter's clock reads `clock` (rows and reads are stamped on its clock). */
  const trueAt = (clock: number) => (drift === undefined ? clock : truth.captureInstant(index, clock));
  const whAt = (clock: number) => Math.floor(energyAt(trueAt(clock)) / 1000);

  const reported = new Map<number, number>();
  const trueWh = new Map<number, number>();
  const meanWh = (m.annualKWh * 1000) / (365 * 96);
  for (let t = p.leadStart + STEP; t <= p.end; t += STEP) {
    if (smooth) {
      const h = localMinute(t) / 60 + 0.125;
      const v = meanWh * (1 + 0.5 * Math.sin(((h - 8) / 24) * 2 * Math.PI));
      reported.set(t, v);
      trueWh.set(t, v);
    } else {
      reported.set(t, whAt(t) - whAt(t - STEP));
      trueWh.set(t, trueStep[(t - STEP) / STEP - k0]! / 1000);
    }
  }
  const deadFrom = e.deadFrom;
  const missing = new Set<number>();
  const lost = new Set<number>();
  const faults: Fault[] = [];
  const values = new Map(reported);
  const dayStart = (d: number) => p.start + d * 86_400_000;
  const nDays = Math.round((p.end - p.start) / DAY);
  const inOutage = (from: number, to: number) =>
    e.outages.some((w) => w.from < to + DAY && w.to > from - DAY);
  const dead = (t: number) => deadFrom !== undefined && t - STEP >= deadFrom;
  const busy = new Set<number>(); // days with a fault already
  const free = (d: number) =>
    !busy.has(d) && !inOutage(dayStart(d), dayStart(d + 1)) && !dead(dayStart(d + 1) + STEP);
  if (!smooth && !complete) {
    // Faults: a day each, never two on one day, never on a day near an outage or after death.
    const pick = (): number | undefined => {
      for (let tries = 0; tries < 20; tries++) {
        const d = 1 + Math.floor(r() * (nDays - 2));
        if (free(d)) {
          busy.add(d);
          return d;
        }
      }
      return undefined;
    };
    const slot = (d: number, minute: number) => dayStart(d) + (minute / 15 + 1) * STEP;
    if (m.place.loadClass !== 'residential') {
      for (let n = 0; n < 3; n++) {
        const d = pick();
        if (d === undefined) continue;
        const at = slot(d, 15 * Math.floor(r() * 96));
        let max = 0;
        for (let t = dayStart(d) + STEP; t <= dayStart(d + 1); t += STEP) max = Math.max(max, values.get(t)!);
        values.set(at, Math.round(max * (4 + 4 * r())) + 50);
        faults.push({ kind: 'spike', from: at, to: at });
      }
    }
    if (r() < 0.5) {
      const d = pick();
      if (d !== undefined) {
        const a = slot(d, 600 + 15 * Math.floor(r() * 8));
        const len = 10 + Math.floor(r() * 10);
        for (let k = 0; k < len; k++) values.set(a + k * STEP, 0);
        faults.push({ kind: 'zero-run', from: a, to: a + (len - 1) * STEP });
      }
    }
    if (r() < 0.5) {
      const d = pick();
      if (d !== undefined) {
        const a = slot(d, 840 + 15 * Math.floor(r() * 8));
        const len = 10 + Math.floor(r() * 10);
        let sum = 0;
        for (let k = 0; k < len; k++) sum += values.get(a + k * STEP)!;
        const v = Math.max(1, Math.round(sum / len));
        for (let k = 0; k < len; k++) values.set(a + k * STEP, v);
        faults.push({ kind: 'flat-line', from: a, to: a + (len - 1) * STEP });
      }
    }
    if (r() < 0.1) {
      const d = pick();
      if (d !== undefined) {
        const len = 1 + Math.floor(r() * 2);
        for (let k = 0; k < len; k++) busy.add(d + k);
        faults.push({ kind: 'lost-day', from: dayStart(d) + STEP, to: dayStart(d + len) });
        for (let t = dayStart(d) + STEP; t <= dayStart(d + len); t += STEP) missing.add(t);
      }
    }
  }
  const faulted = (t: number) =>
    faults.some((f) => f.kind !== 'lost-day' && t >= f.from - 2 * STEP && t <= f.to + 2 * STEP);
  for (let t = p.start + STEP; t <= p.end; t += STEP) {
    if (dead(t)) missing.add(t);
    else if (!complete && !missing.has(t) && !faulted(t) && r() < p.lostShare) {
      missing.add(t);
      lost.add(t);
    }
  }
  const intervals: { ts: number; value: number }[] = [];
  for (const [ts, value] of values) if (!missing.has(ts)) intervals.push({ ts, value });
  // The daily total-register read at local midnight (the meter's clock), while it answers.
  const registers: { ts: number; value: number }[] = [];
  if (!smooth) {
    for (let t = p.leadStart; t <= p.end; t += DAY)
      if (!dead(t + STEP)) registers.push({ ts: t, value: whAt(t) });
  }
  if (!smooth && !complete && index % 97 === 3) {
    // A register reset (meter exchange or a reset command): from a day on the register restarts at 0.
    const d = 10 + Math.floor(r() * 10);
    const at = dayStart(d);
    const base = registers.find((x) => x.ts === at)?.value;
    if (base !== undefined) {
      for (const x of registers) if (x.ts >= at) x.value -= base;
      faults.push({ kind: 'register-reset', from: at, to: at });
    }
  }
  const events: Omit<NewMeterEvent, 'meterId'>[] = [];
  for (const w of e.outages) {
    if (w.to <= p.leadStart || w.from >= p.end) continue;
    events.push({
      meterTime: w.from,
      ts: w.from,
      log: '0.0.99.98.2.255',
      code: 101,
      category: 'power-failure',
      raw: null,
    });
    events.push({
      meterTime: w.to,
      ts: w.to,
      log: '0.0.99.98.2.255',
      code: 102,
      category: 'power-failure',
      raw: null,
    });
  }
  return {
    index,
    serial: `PROOF-${String(index).padStart(5, '0')}`,
    loadClass: m.place.loadClass,
    smooth,
    complete: complete && (deadFrom === undefined || deadFrom >= p.end),
    driftPpm: drift,
    theft: e.theft !== undefined && e.theft.from < p.end,
    deadFrom,
    outages: e.outages.filter((w) => w.to > p.leadStart && w.from < p.end),
    reported,
    trueWh,
    intervals,
    registers,
    events,
    missing,
    lost,
    faults,
  };
}

export interface Loaded {
  meterIds: number[];
  intervalChannel: number[];
  registerChannel: number[];
}

/** Creates the meters and their channels and ingests what reached the head end. */
export async function loadMonth(store: Store, month: Month, opts: { tariff?: string } = {}): Promise<Loaded> {
  const out: Loaded = { meterIds: [], intervalChannel: [], registerChannel: [] };
  for (const mm of month.meters) {
    const meter = await store.meters.create({
      serial: mm.serial,
      manufacturer: 'OpenHES',
      model: mm.loadClass === 'residential' ? 'sim-1ph' : 'sim-3ph',
      deviceProfile: 'is15959-1ph',
      protocol: 'dlms-tcp',
      address: `127.0.0.1:${10_000 + mm.index}`,
      status: 'active',
      customerClass: mm.loadClass,
      ...(opts.tariff === undefined ? {} : { tariff: opts.tariff }),
    });
    const [block, reg] = await store.channels.ensureMany(meter.id, [blockChannel, registerChannel(0)]);
    out.meterIds.push(meter.id);
    out.intervalChannel.push(block!.id);
    out.registerChannel.push(reg!.id);
    const readings: ReadingInput[] = mm.intervals.map((x) => ({
      channelId: block!.id,
      ts: x.ts,
      value: x.value,
    }));
    for (const x of mm.registers) readings.push({ channelId: reg!.id, ts: x.ts, value: x.value });
    for (let i = 0; i < readings.length; i += 5000) {
      await store.readings.ingest({ id: `proof:${mm.serial}:${i}`, readings: readings.slice(i, i + 5000) });
    }
    if (mm.events.length > 0)
      await store.events.append(mm.events.map((ev) => ({ ...ev, meterId: meter.id })));
  }
  return out;
}
