import { createHash } from 'node:crypto';
import {
  type BillingCycle,
  type Channel,
  type Determinants,
  hasQuality,
  type Instant,
  type PeriodDeterminants,
  QualityFlag,
  type Reading,
  type RegisterCheck,
  type Store,
  VeeRule,
} from '@openhes/core';
import { INFORMATIONAL_RULES } from '../vee/quality.ts';
import { BillingError } from './errors.ts';
import type { BillingGroup } from './groups.ts';
import type { CompiledTariff } from './tariff.ts';
import { wallOf } from './zone.ts';

/** Energy units a channel may carry and their size in mWh. */
const UNIT_MILLI_WH: Readonly<Record<string, number>> = { Wh: 1, kWh: 1_000, MWh: 1_000_000 };

const PAGE = 10_000;

/** Current values of a channel with ts in (from, to], oldest first. */
async function currentValues(store: Pick<Store, 'readings'>, channelId: number, from: Instant, to: Instant) {
  const out: Reading[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.readings.series({ channelId, from: from + 1, to: to + 1, limit: PAGE, cursor });
    for (const r of page.items) if (!hasQuality(r.quality, QualityFlag.conflict)) out.push(r);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

function milliWhFactor(meterId: number, c: Channel): number {
  const f = UNIT_MILLI_WH[c.unit];
  if (f === undefined) {
    throw BillingError.unbillable(
      meterId,
      `channel ${c.obis} has unit ${JSON.stringify(c.unit)}, not an energy unit (Wh, kWh, MWh)`,
    );
  }
  return f * 1000;
}

function pick(
  channels: readonly Channel[],
  obisList: readonly string[],
  kind: Channel['kind'],
): Channel | undefined {
  for (const o of obisList) {
    const c = channels.find((x) => x.obis === o && x.attribute === 2 && x.kind === kind);
    if (c !== undefined) return c;
  }
  return undefined;
}

/** What the determinants were computed from: for the fingerprint and the rebill decision. */
export interface DeterminantsResult {
  determinants: Determinants;
  /** sha256 over (channel, ts, version, value) of every reading used; `none` without data. */
  dataVersion: string;
  /** The interval channels read (import, then export when present). */
  channelIds: number[];
}

interface Interval {
  ts: Instant;
  milliWh: number;
}

/**
 * Billing determinants of one meter over one cycle from its interval readings (the newest
 * version of each instant: raw, validated, estimated or edited; conflicts kept aside are
 * ignored). Intervals are stamped with their end and priced by the TOU period in force at
 * their start. Energies are rounded once per interval to whole mWh; demand is the interval's
 * energy over its length (mW, rounded). Where the meter's own TOU registers (1.0.1.8.r /
 * 1.0.2.8.r, from register reads or the billing profile) are stored at both cycle ends, they
 * are compared with the interval sums over the same span.
 */
export async function computeDeterminants(
  store: Pick<Store, 'readings' | 'channels' | 'vee'>,
  meterId: number,
  cycle: BillingCycle,
  group: BillingGroup,
  tariff: CompiledTariff,
): Promise<DeterminantsResult> {
  const channels = await store.channels.forMeter(meterId);
  const imp = pick(channels, group.importObis, 'interval');
  const exp = pick(channels, group.exportObis, 'interval');
  const hash = createHash('sha256');
  const nPeriods = tariff.periodIds.length;
  const periods: PeriodDeterminants[] = tariff.periodIds.map((period) => ({
    period,
    importMilliWh: 0,
    exportMilliWh: 0,
    maxDemandMilliW: null,
    maxDemandAt: null,
    intervals: 0,
  }));
  const d: Determinants = {
    meterId,
    cycle: cycle.label,
    from: cycle.from,
    to: cycle.to,
    intervalSeconds: imp?.intervalSeconds ?? null,
    expected: 0,
    actual: 0,
    estimated: 0,
    edited: 0,
    missing: 0,
    periods,
    importMilliWh: 0,
    exportMilliWh: 0,
    maxDemandMilliW: null,
    maxDemandAt: null,
    registerChecks: [],
    openExceptions: 0,
    unvalidatedDays: 0,
  };
  let used = 0;
  const importIntervals: Interval[] = [];
  const periodOf = new Map<Instant, number>();
  const periodAt = (ts: Instant, lengthMs: number): number => {
    let p = periodOf.get(ts);
    if (p === undefined) {
      p = tariff.periodIndexAt(ts - lengthMs);
      periodOf.set(ts, p);
    }
    return p;
  };

  if (imp !== undefined) {
    const seconds = imp.intervalSeconds;
    if (seconds === null || seconds <= 0) {
      throw BillingError.unbillable(meterId, `interval channel ${imp.obis} has no interval length`);
    }
    const lengthMs = seconds * 1000;
    const factor = milliWhFactor(meterId, imp);
    const values = await currentValues(store, imp.id, cycle.from, cycle.to);
    d.expected = Math.round((cycle.to - cycle.from) / lengthMs);
    const seen = new Set<Instant>();
    for (const r of values) {
      if (seen.has(r.ts)) continue;
      seen.add(r.ts);
      hash.update(`${imp.id}|${r.ts}|${r.version}|${r.value}\n`);
      used++;
      const mwh = Math.round(r.value * factor);
      if (hasQuality(r.quality, QualityFlag.estimated)) d.estimated++;
      else d.actual++;
      if (hasQuality(r.quality, QualityFlag.edited)) d.edited++;
      const p = periodAt(r.ts, lengthMs);
      const pd = periods[p]!;
      pd.importMilliWh += mwh;
      pd.intervals++;
      d.importMilliWh += mwh;
      importIntervals.push({ ts: r.ts, milliWh: mwh });
      const demand = Math.round((mwh * 3600) / seconds);
      if (pd.maxDemandMilliW === null || demand > pd.maxDemandMilliW) {
        pd.maxDemandMilliW = demand;
        pd.maxDemandAt = r.ts;
      }
      if (d.maxDemandMilliW === null || demand > d.maxDemandMilliW) {
        d.maxDemandMilliW = demand;
        d.maxDemandAt = r.ts;
      }
    }
    d.missing = Math.max(0, d.expected - seen.size);
    await veeStatus(store, imp.id, cycle, group, d);
  }
  if (exp !== undefined && exp.intervalSeconds !== null && exp.intervalSeconds > 0) {
    const lengthMs = exp.intervalSeconds * 1000;
    const factor = milliWhFactor(meterId, exp);
    const values = await currentValues(store, exp.id, cycle.from, cycle.to);
    const seen = new Set<Instant>();
    for (const r of values) {
      if (seen.has(r.ts)) continue;
      seen.add(r.ts);
      hash.update(`${exp.id}|${r.ts}|${r.version}|${r.value}\n`);
      used++;
      const mwh = Math.round(r.value * factor);
      const p = periodAt(r.ts, lengthMs);
      periods[p]!.exportMilliWh += mwh;
      d.exportMilliWh += mwh;
    }
  }

  if (imp !== undefined && importIntervals.length > 0) {
    d.registerChecks = await registerChecks(
      store,
      meterId,
      channels,
      group,
      tariff,
      imp,
      importIntervals,
      nPeriods,
      cycle,
    );
    for (const c of d.registerChecks) hash.update(`reg|${c.obis}|${c.from}|${c.to}|${c.registerMilliWh}\n`);
  }
  const channelIds = [imp, exp].flatMap((c) => (c === undefined ? [] : [c.id]));
  return { determinants: d, dataVersion: used === 0 ? 'none' : hash.digest('hex'), channelIds };
}

/**
 * What VEE says about the import channel over the cycle: exceptions still open (intervals under
 * a failed rule) and local days without a VEE run. Both flag the bill; neither stops it.
 */
async function veeStatus(
  store: Pick<Store, 'vee'>,
  channelId: number,
  cycle: BillingCycle,
  group: BillingGroup,
  d: Determinants,
): Promise<void> {
  let cursor: string | null = null;
  do {
    const page = await store.vee.exceptions({
      channelId,
      status: 'open',
      from: cycle.from + 1,
      to: cycle.to + 1,
      limit: PAGE,
      cursor,
    });
    // Power-fail and clock flags and rollovers leave the value valid (informational): they do
    // not count. Gaps do (no validated value there), as do findings that hold a value back.
    for (const e of page.items) {
      if (e.rule === VeeRule.missing || !INFORMATIONAL_RULES.has(e.rule)) d.openExceptions++;
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  const fromDay = localDateOf(cycle.from, group.timeZone);
  const toDay = localDateOf(cycle.to, group.timeZone);
  let days = 0;
  cursor = null;
  do {
    const page = await store.vee.days({ channelId, fromDay, toDay, limit: PAGE, cursor });
    days += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  d.unvalidatedDays = Math.max(0, Math.round((cycle.to - cycle.from) / 86_400_000) - days);
}

function localDateOf(t: Instant, timeZone: string): string {
  return wallOf(t, timeZone).date;
}

/** The first current register value with ts in [at, at + window], or undefined. */
async function registerAt(
  store: Pick<Store, 'readings'>,
  channelId: number,
  at: Instant,
  windowMs: number,
): Promise<Reading | undefined> {
  const page = await store.readings.series({ channelId, from: at, to: at + windowMs + 1, limit: 8 });
  return page.items.find((r) => !hasQuality(r.quality, QualityFlag.conflict));
}

async function registerChecks(
  store: Pick<Store, 'readings'>,
  meterId: number,
  channels: readonly Channel[],
  group: BillingGroup,
  tariff: CompiledTariff,
  imp: Channel,
  intervals: readonly Interval[],
  nPeriods: number,
  cycle: BillingCycle,
): Promise<RegisterCheck[]> {
  const lengthMs = (imp.intervalSeconds as number) * 1000;
  const intervalStep = milliWhFactor(meterId, imp) * 10 ** imp.scaler;
  const out: RegisterCheck[] = [];
  // The meter's reads at the cycle's ends (the billing profile captures at the billing date).
  const first = cycle.from;
  const last = cycle.to;
  for (let p = 0; p < nPeriods; p++) {
    const rate = tariff.tariff.periods[p]!.meterRate;
    if (rate === undefined) continue;
    const obis = `1.0.1.8.${rate}.255`;
    const reg = pick(channels, [obis], 'register');
    if (reg === undefined) continue;
    const factor = milliWhFactor(meterId, reg);
    const a = await registerAt(store, reg.id, first, group.registerWindowMs);
    const b = await registerAt(store, reg.id, last, group.registerWindowMs);
    if (a === undefined || b === undefined || b.ts <= a.ts) continue;
    // The span of whole intervals the two reads bracket (a read a few seconds after a
    // boundary holds those seconds' energy too: inside the tolerance).
    const from = Math.floor(a.ts / lengthMs) * lengthMs;
    const to = Math.floor(b.ts / lengthMs) * lengthMs;
    let sum = 0;
    let runs = 0;
    let inRun = false;
    for (const iv of intervals) {
      if (iv.ts <= from || iv.ts > to) continue;
      const mine = tariff.periodIndexAt(iv.ts - lengthMs) === p;
      if (mine) {
        sum += iv.milliWh;
        if (!inRun) runs++;
      }
      inRun = mine;
    }
    const registerMilliWh = Math.round(b.value * factor) - Math.round(a.value * factor);
    const step = Math.max(intervalStep, factor * 10 ** reg.scaler);
    const tolerance = Math.round(
      group.registerToleranceMilliWh +
        (Math.abs(registerMilliWh) * group.registerTolerancePct) / 100 +
        step * (runs + 1),
    );
    out.push({
      period: tariff.periodIds[p]!,
      obis,
      registerMilliWh,
      intervalMilliWh: sum,
      toleranceMilliWh: tolerance,
      from,
      to,
      ok: Math.abs(registerMilliWh - sum) <= tolerance,
    });
  }
  return out;
}
