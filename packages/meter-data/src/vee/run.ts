import {
  type Channel,
  type ChannelCurrentValues,
  type Clock,
  type Instant,
  type Meter,
  normalizeObis,
  QualityFlag,
  type Reading,
  type ReadingBulkReader,
  type ReadingInput,
  type Store,
  type VeeChannelRunWrite,
} from '@openhes/core';
import { type ChannelGroup, groupFor, intervalMsOf, isImportChannel, registerObisOf } from './config.ts';
import { VeeError } from './errors.ts';
import { type Estimate, estimateGaps } from './estimate.ts';
import { estimateReasons, LATE_REAL_REASON } from './quality.ts';
import { type Grid, makeGrid, SlotKind, slotOf } from './series.ts';
import {
  type MeterEventLite,
  type RegisterPoint,
  slotContaining,
  type ValidationResult,
  validateChannel,
} from './validate.ts';
import { daysCovering, type LocalDay } from './zone.ts';

const DAY_MS = 86_400_000;
const PAGE = 10_000;

/** The ports a VEE run needs. */
export type VeeStorePorts = Pick<Store, 'meters' | 'channels' | 'readings' | 'events' | 'vee'>;

export interface VeeDeps {
  store: VeeStorePorts;
  clock: Clock;
  groups: readonly ChannelGroup[];
  /**
   * Slots later than `now − dueAfterMs` after the channel's newest real value are not due yet
   * (data not collected so far): neither missing nor estimated. Default one day.
   */
  dueAfterMs?: number;
  /** Wraps each meter's run (the service keeps runs of one meter from overlapping). */
  perMeter?: <T>(meterId: number, fn: () => Promise<T>) => Promise<T>;
}

export interface VeeRunRange {
  /** Local days holding interval ends in (from, to] of each meter's zone are run whole. */
  from: Instant;
  to: Instant;
  /** Default: every meter not decommissioned. */
  meterIds?: readonly number[];
  /** Meters run at the same time (default 1; a few help on PostgreSQL). */
  concurrency?: number;
}

export interface VeeRunReport {
  meters: number;
  channels: number;
  /** Interval slots examined (expected over the days run). */
  slots: number;
  /** Real values found. */
  values: number;
  /** Slots without any value before estimation (explicit gaps found). */
  gaps: number;
  estimated: number;
  /** Estimates made current again by a late real value kept aside as a conflict. */
  lateReal: number;
  exceptionsOpened: number;
  exceptionsCleared: number;
  /** Findings of this run by rule (informational ones included). */
  byRule: Record<string, number>;
}

export function emptyReport(): VeeRunReport {
  return {
    meters: 0,
    channels: 0,
    slots: 0,
    values: 0,
    gaps: 0,
    estimated: 0,
    lateReal: 0,
    exceptionsOpened: 0,
    exceptionsCleared: 0,
    byRule: {},
  };
}

async function allReadings(
  store: VeeStorePorts,
  channelId: number,
  from: Instant,
  to: Instant,
  versions: 'latest' | 'all' = 'latest',
): Promise<Reading[]> {
  const out: Reading[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.readings.series({ channelId, from, to, limit: PAGE, cursor, versions });
    for (const r of page.items) out.push(r);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/**
 * Current values of several channels over [from, to) as columns: one bulk read when the store
 * has it, else paged through `series` (every version, so values kept aside are seen too).
 */
async function currentValues(
  store: VeeStorePorts,
  channelIds: readonly number[],
  from: Instant,
  to: Instant,
): Promise<ChannelCurrentValues[]> {
  const bulk = store.readings as VeeStorePorts['readings'] & Partial<ReadingBulkReader>;
  if (typeof bulk.currentMany === 'function') {
    return bulk.currentMany({ channelIds, from, to });
  }
  const out: ChannelCurrentValues[] = [];
  for (const channelId of channelIds) {
    const rows = await allReadings(store, channelId, from, to, 'all');
    const byTs = new Map<number, Reading>();
    const asideTs = new Set<number>();
    for (const r of rows) {
      if (r.version <= 0) asideTs.add(r.ts);
      const cur = byTs.get(r.ts);
      if (cur === undefined || r.version > cur.version) byTs.set(r.ts, r);
    }
    const list = [...byTs.values()];
    out.push({
      channelId,
      ts: Float64Array.from(list, (r) => r.ts),
      value: Float64Array.from(list, (r) => r.value),
      quality: Int32Array.from(list, (r) => r.quality),
      version: Int32Array.from(list, (r) => r.version),
      estimate: Uint8Array.from(list, (r) => (r.source === 'estimate' ? 1 : 0)),
      aside: rows.filter((r) => asideTs.has(r.ts)),
    });
  }
  return out;
}

/** Local days of a range per zone, kept for the next meters of a run (the same for all). */
const daysMemo = new Map<string, LocalDay[]>();
function daysOf(from: Instant, to: Instant, timeZone: string): LocalDay[] {
  const key = `${from}|${to}|${timeZone}`;
  let days = daysMemo.get(key);
  if (days === undefined) {
    days = daysCovering(from, to, timeZone);
    if (daysMemo.size >= 64) daysMemo.clear();
    daysMemo.set(key, days);
  }
  return [...days];
}

async function meterEvents(store: VeeStorePorts, meterId: number, from: Instant, to: Instant) {
  const out: MeterEventLite[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.events.list({ meterId, from, to, limit: PAGE, cursor });
    for (const e of page.items) out.push({ ts: e.ts, category: e.category, code: e.code });
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** Fills a grid from current values as columns; returns the instants that are not on it. */
function fillColumns(g: Grid, c: ChannelCurrentValues): Instant[] {
  const off: Instant[] = [];
  const n = g.ts.length;
  if (n === 0) return off;
  const first = g.ts[0]!;
  const last = g.ts[n - 1]!;
  const I = g.intervalMs;
  for (let k = 0; k < c.ts.length; k++) {
    const ts = c.ts[k]!;
    const i = (ts - first) / I;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      if (ts > first - I && ts <= last) off.push(ts);
      continue;
    }
    const q = c.quality[k]!;
    g.values[i] = c.value[k]!;
    g.kind[i] =
      q & QualityFlag.edited
        ? SlotKind.edited
        : q & QualityFlag.estimated
          ? SlotKind.estimated
          : SlotKind.real;
  }
  return off;
}

/** Fills a grid from current readings; returns the instants that are not on it. */
function fill(g: Grid, readings: Iterable<Reading>): Instant[] {
  const off: Instant[] = [];
  for (const r of readings) {
    const i = slotOf(g, r.ts);
    if (i < 0) {
      if (r.ts > g.ts[0]! - g.intervalMs && r.ts <= g.ts[g.ts.length - 1]!) off.push(r.ts);
      continue;
    }
    g.values[i] = r.value;
    g.kind[i] =
      r.quality & QualityFlag.edited
        ? SlotKind.edited
        : r.quality & QualityFlag.estimated
          ? SlotKind.estimated
          : SlotKind.real;
  }
  return off;
}

function isRealReading(r: Reading): boolean {
  return r.source !== 'estimate' && (r.quality & (QualityFlag.estimated | QualityFlag.edited)) === 0;
}

/**
 * Runs VEE over whole customer-local days for the given meters: validation of every covered
 * channel, estimation of its gaps as new reading versions (never overwriting a value), late
 * real data made current over estimates, and the findings and day summaries stored.
 */
export async function runVee(deps: VeeDeps, range: VeeRunRange): Promise<VeeRunReport> {
  if (!Number.isSafeInteger(range.from)) throw VeeError.invalid('from', 'from must be an instant (epoch ms)');
  if (!Number.isSafeInteger(range.to) || range.to <= range.from) {
    throw VeeError.invalid('to', 'to must be an instant after from');
  }
  const concurrency = range.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw VeeError.invalid('concurrency', 'concurrency must be 1..64');
  }
  const report = emptyReport();
  const pool = async (meters: readonly Meter[]) => {
    let next = 0;
    const worker = async () => {
      while (next < meters.length) {
        const meter = meters[next++]!;
        const run = () => runMeter(deps, meter, range.from, range.to, report);
        await (deps.perMeter ? deps.perMeter(meter.id, run) : run());
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, meters.length) }, worker));
  };
  if (range.meterIds !== undefined) {
    const meters: Meter[] = [];
    for (const id of range.meterIds) {
      const meter = await deps.store.meters.get(id);
      if (meter === null) throw VeeError.notFound('meter', { meterId: id });
      meters.push(meter);
    }
    await pool(meters);
    return report;
  }
  let cursor: string | null = null;
  do {
    const page = await deps.store.meters.list({ limit: 1000, cursor });
    await pool(page.items.filter((m) => m.status !== 'decommissioned'));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return report;
}

/** VEE for one meter over the local days holding (from, to]. */
export async function runMeter(
  deps: VeeDeps,
  meter: Meter,
  from: Instant,
  to: Instant,
  report: VeeRunReport = emptyReport(),
): Promise<VeeRunReport> {
  const group = groupFor(deps.groups, meter);
  const days = daysOf(from, to, group.timeZone);
  if (days.length === 0) return report;
  const channels = await deps.store.channels.forMeter(meter.id);
  const wanted = new Set(group.channels);
  const obisOf = (c: Channel) => {
    try {
      return normalizeObis('obis', c.obis);
    } catch {
      return '';
    }
  };
  const energy = channels.filter((c) => c.kind === 'interval' && wanted.has(obisOf(c)));
  report.meters++;
  if (energy.length === 0) return report;
  const start = days[0]!.start;
  const end = days[days.length - 1]!.end;
  const lookback = group.estimation.likeDayLookbackDays * DAY_MS;
  const events = await meterEvents(deps.store, meter.id, start - lookback, end + 1);
  const statusChannel = channels.find((c) => obisOf(c) === group.validation.meterFlag.statusObis);
  const useStatus = statusChannel !== undefined && group.validation.meterFlag.enabled;
  // One read of every channel the run looks at: the energy channels (with the values kept
  // aside), their registers (from the first day's start) and the status word.
  const registers = energy.map((c) => registerOf(c, channels));
  const ids = new Set<number>(energy.map((c) => c.id));
  for (const r of registers) if (r !== undefined) ids.add(r.id);
  if (useStatus) ids.add(statusChannel.id);
  const values = new Map<number, ChannelCurrentValues>();
  for (const v of await currentValues(deps.store, [...ids], start, end + 1)) values.set(v.channelId, v);
  let status: Map<number, number> | null = null;
  if (useStatus) {
    status = new Map();
    const v = values.get(statusChannel.id)!;
    for (let k = 0; k < v.ts.length; k++) if (v.ts[k]! > start) status.set(v.ts[k]!, v.value[k]!);
  }
  for (const [k, channel] of energy.entries()) {
    const register = registers[k];
    await runChannel(deps, meter, group, channel, register, values, days, events, status, report);
  }
  return report;
}

/** The cumulative register of an interval channel's quantity, when the meter has one. */
function registerOf(channel: Channel, channels: readonly Channel[]): Channel | undefined {
  const obis = registerObisOf(normalizeOr(channel.obis));
  return channels.find((c) => c.kind === 'register' && normalizeOr(c.obis) === obis);
}

async function runChannel(
  deps: VeeDeps,
  meter: Meter,
  group: ChannelGroup,
  channel: Channel,
  registerChannel: Channel | undefined,
  values: ReadonlyMap<number, ChannelCurrentValues>,
  days: ReturnType<typeof daysCovering>,
  events: readonly MeterEventLite[],
  status: Map<number, number> | null,
  report: VeeRunReport,
): Promise<void> {
  const { store } = deps;
  const now = deps.clock.now();
  const I = intervalMsOf(group, channel);
  const start = days[0]!.start;
  const end = days[days.length - 1]!.end;
  const g = makeGrid(days, I);
  const n = g.ts.length;
  const current = values.get(channel.id)!;
  const offGrid = fillColumns(g, current);
  report.channels++;
  report.slots += n;

  // Late real data kept aside (a push never replaces what is stored) over an estimate: VEE
  // makes it current, so real data always supersedes an estimate. The read brought every
  // version of the instants holding one aside; those around the estimates (clusters of them)
  // are looked at.
  const locks = await store.vee.locks(channel.id, start + 1, end);
  const locked = new Uint8Array(n);
  for (const l of locks) {
    for (let i = 0; i < n; i++) if (g.ts[i]! >= l.from && g.ts[i]! <= l.to) locked[i] = 1;
  }
  let conflicts: Map<number, Reading[]> | null = null;
  const newest = new Map<number, Reading>();
  const clusters = current.aside.length > 0 ? estimateClusters(g) : [];
  for (const r of current.aside) {
    if (!clusters.some(([a, b]) => r.ts >= g.ts[a]! && r.ts <= g.ts[b]!)) continue;
    if (r.version >= 1) {
      const cur = newest.get(r.ts);
      if (cur === undefined || r.version > cur.version) newest.set(r.ts, r);
    } else {
      conflicts ??= new Map();
      const list = conflicts.get(r.ts) ?? [];
      list.push(r);
      conflicts.set(r.ts, list);
    }
  }
  if (conflicts !== null) {
    const promote: ReadingInput[] = [];
    for (const [ts, list] of conflicts) {
      const cur = newest.get(ts);
      const i = slotOf(g, ts);
      if (cur === undefined || i < 0 || locked[i] || isRealReading(cur)) continue;
      const real = list
        .filter((r) => isRealReading(r) && r.receivedAt >= cur.receivedAt)
        .sort((a, b) => b.receivedAt - a.receivedAt || a.version - b.version)[0];
      if (real === undefined) continue;
      promote.push({
        channelId: channel.id,
        ts,
        value: real.value,
        quality: 0,
        reasons: [LATE_REAL_REASON],
        source: real.source,
      });
      g.values[i] = real.value;
      g.kind[i] = SlotKind.real;
    }
    if (promote.length > 0) {
      await store.readings.ingest({
        id: `vee:late:${channel.id}:${start}:${now}`,
        readings: promote,
        onDifferent: 'supersede',
      });
      report.lateReal += promote.length;
    }
  }

  // Register reads and what the rules need.
  let registerPoints: RegisterPoint[] | null = null;
  if (registerChannel !== undefined) {
    const v = values.get(registerChannel.id)!;
    registerPoints = Array.from(v.ts, (ts, k) => ({ ts, value: v.value[k]! }));
  }
  let newestReal = Number.NEGATIVE_INFINITY;
  for (let i = n - 1; i >= 0; i--) {
    if (g.kind[i] === SlotKind.real || g.kind[i] === SlotKind.edited) {
      newestReal = g.ts[i]!;
      break;
    }
  }
  const dueUntil = Math.max(newestReal, now - (deps.dueAfterMs ?? DAY_MS));
  const input = {
    meterId: meter.id,
    channelId: channel.id,
    group,
    grid: g,
    channel: {
      intervalSeconds: channel.intervalSeconds,
      unit: channel.unit,
      isImport: isImportChannel(normalizeOr(channel.obis)),
    },
    register:
      registerChannel === undefined || registerPoints === null
        ? null
        : { channelId: registerChannel.id, points: registerPoints },
    status,
    events,
    offGrid,
    dueUntil,
  };
  for (let i = 0; i < n; i++) {
    if (g.kind[i] === SlotKind.real || g.kind[i] === SlotKind.edited) report.values++;
    else if (g.kind[i] === SlotKind.none && g.ts[i]! <= dueUntil) report.gaps++;
  }
  let result: ValidationResult = validateChannel(input);

  // Estimation of the gaps that are due and not final.
  const estimable = new Uint8Array(n);
  let gaps = false;
  for (let i = 0; i < n; i++) {
    estimable[i] = locked[i] || g.ts[i]! > dueUntil ? 1 : 0;
    if (!estimable[i] && g.kind[i] === SlotKind.none) gaps = true;
  }
  let estimates: Estimate[] = [];
  if (gaps && group.estimation.enabled) {
    let history: Grid | null = null;
    let historyFlagged: boolean[] = [];
    if (needsHistory(g, estimable, group)) {
      const hDays = daysCovering(
        start - group.estimation.likeDayLookbackDays * DAY_MS,
        start,
        group.timeZone,
      ).filter((d) => d.end <= start);
      if (hDays.length > 0) {
        history = makeGrid(hDays, I);
        fill(history, await allReadings(store, channel.id, hDays[0]!.start + 1, start + 1));
        historyFlagged = hDays.map(() => false);
        for (const e of events) {
          if (!group.validation.eventFlag.categories.includes(e.category)) continue;
          const i = slotContaining(history, e.ts);
          if (i >= 0) historyFlagged[history.day[i]!] = true;
        }
      }
    }
    estimates = estimateGaps({
      grid: g,
      params: group.estimation,
      timeZone: group.timeZone,
      locked: estimable,
      flaggedDays: result.flaggedDays,
      suspect: result.suspect,
      register: registerPoints,
      history,
      historyFlagged,
    });
    if (estimates.length > 0) {
      const readings: ReadingInput[] = estimates.map((e) => ({
        channelId: channel.id,
        ts: e.ts,
        value: e.value,
        quality: QualityFlag.estimated,
        reasons: estimateReasons(e.method),
        source: 'estimate',
      }));
      for (let k = 0; k < readings.length; k += 5000) {
        await store.readings.ingest({
          id: `vee:est:${channel.id}:${start}:${now}:${k}`,
          readings: readings.slice(k, k + 5000),
          onDifferent: 'supersede',
        });
      }
      for (const e of estimates) {
        const i = slotOf(g, e.ts);
        g.values[i] = e.value;
        g.kind[i] = SlotKind.estimated;
      }
      report.estimated += estimates.length;
      // Estimates are validated again (CA-VEE §3.6): the sum check sees them.
      result = validateChannel(input);
    }
  }

  // Day summaries and the findings, stored in one transaction per channel.
  const summaries: VeeChannelRunWrite['days'][number][] = days.map((d, di) => {
    let actual = 0;
    let estimated = 0;
    let edited = 0;
    let missing = 0;
    let suspect = 0;
    for (let i = g.dayFirst[di]!; i < g.dayFirst[di + 1]!; i++) {
      const k = g.kind[i];
      if (k === SlotKind.real) actual++;
      else if (k === SlotKind.edited) {
        actual++;
        edited++;
      } else if (k === SlotKind.estimated) estimated++;
      else missing++;
      if (result.suspect[i] && k !== SlotKind.none) suspect++;
    }
    const exceptions = result.exceptions.filter((e) => e.day === d.day).length;
    return {
      meterId: meter.id,
      channelId: channel.id,
      groupId: group.id,
      day: d.day,
      dayStart: d.start,
      dayEnd: d.end,
      expected: g.dayFirst[di + 1]! - g.dayFirst[di]!,
      actual,
      estimated,
      edited,
      missing,
      suspect,
      exceptions,
      validated: actual + estimated - suspect,
    };
  });
  for (const e of result.exceptions) report.byRule[e.rule] = (report.byRule[e.rule] ?? 0) + 1;
  for (const e of result.registerExceptions) report.byRule[e.rule] = (report.byRule[e.rule] ?? 0) + 1;
  const saved = await store.vee.saveRun({
    channelId: channel.id,
    from: start + 1,
    to: end + 1,
    exceptions: result.exceptions,
    days: summaries,
    finalDays: group.finalDays,
  });
  report.exceptionsOpened += saved.opened;
  report.exceptionsCleared += saved.cleared;
  if (registerChannel !== undefined) {
    const r = await store.vee.saveRun({
      channelId: registerChannel.id,
      from: start + 1,
      to: end + 1,
      exceptions: result.registerExceptions,
      days: [],
      finalDays: group.finalDays,
    });
    report.exceptionsOpened += r.opened;
    report.exceptionsCleared += r.cleared;
  }
}

function normalizeOr(obis: string): string {
  try {
    return normalizeObis('obis', obis);
  } catch {
    return '';
  }
}

/** Index ranges [a, b] holding every estimated slot, estimates less than a day apart together. */
function estimateClusters(g: Grid): [number, number][] {
  const out: [number, number][] = [];
  const near = Math.round(DAY_MS / g.intervalMs);
  for (let i = 0; i < g.ts.length; i++) {
    if (g.kind[i] !== SlotKind.estimated) continue;
    const last = out[out.length - 1];
    if (last !== undefined && i - last[1] <= near) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

/** Whether a gap is longer than linear interpolation takes (like days are then needed). */
function needsHistory(g: Grid, skip: Uint8Array, group: ChannelGroup): boolean {
  let len = 0;
  for (let i = 0; i < g.ts.length; i++) {
    if (g.kind[i] === SlotKind.none && !skip[i]) {
      len++;
      if (len * g.intervalMs > group.estimation.linearMaxMs) return true;
    } else len = 0;
  }
  return false;
}
