import {
  type ActivityCalendar,
  ClassId,
  decodeDayProfileTable,
  decodeSeasonProfile,
  decodeWeekProfileTable,
} from '@openhes/cosem';
import { aesKeyUnwrap, type DlmsData, dateTimeFromData, dateTimeToInstant } from '@openhes/dlms';
import { invalidateEnergy } from '../truth/energy.ts';
import type { MeterTruth } from '../truth/meter.ts';
import type { EventLogKey, LimiterState, MeterState } from '../truth/state.ts';
import { type Instant, STEP_MS } from '../truth/time.ts';
import { consumersOf } from '../truth/topology.ts';
import { issuedSecrets, meterClock } from '../truth/values.ts';

/** Action-Result / Data-Access-Result values used here. */
export const Result = {
  success: 0,
  denied: 3,
  undefined: 4,
  unavailable: 11,
  typeUnmatched: 12,
  other: 250,
} as const;

export function stateOf(m: MeterTruth): MeterState {
  return m.fleet.ensureState(m.index);
}

function record(s: MeterState, at: Instant, log: EventLogKey, code: number): void {
  s.events.push({ at, log, code });
}

export interface RelayView {
  output: boolean;
  /** control_state: 0 disconnected, 1 connected, 2 ready for reconnection. */
  control: number;
  mode: number;
}

export function relayView(m: MeterTruth, t: Instant): RelayView {
  const s = m.state;
  const output = m.relayConnectedAt(t);
  return {
    output,
    control: output ? 1 : s?.readyForReconnection ? 2 : 0,
    mode: s?.controlMode ?? 4,
  };
}

const NO_LIMIT: LimiterState = {
  thresholdNormal: 0,
  thresholdEmergency: 0,
  minOverSeconds: 900,
  minUnderSeconds: 900,
  emergencyActive: false,
  watchFrom: 0,
  checkedTo: 0,
  overRun: 0,
};

export function limiterOf(m: MeterTruth): LimiterState {
  return m.state?.limiter ?? NO_LIMIT;
}

function setRelay(m: MeterTruth, now: Instant, connected: boolean, cause: 'remote' | 'limiter'): void {
  const s = stateOf(m);
  if (m.relayConnectedAt(now) === connected) return;
  s.relay.push({ at: now, connected, cause });
  s.readyForReconnection = false;
  record(s, now, 'control', connected ? 302 : 301);
  if (s.limiter !== undefined && connected) {
    s.limiter.watchFrom = now;
    s.limiter.checkedTo = now;
    s.limiter.overRun = 0;
  }
  invalidateEnergy(m, now);
}

/**
 * Work a meter would have done on its own since the last look: a limiter trip happens at the
 * end of the first 15-minute period whose average demand exceeds the threshold.
 */
export function settle(m: MeterTruth, now: Instant): void {
  if (m.isTransformer) settleConsumers(m, now);
  const l = m.state?.limiter;
  if (l === undefined || l.thresholdNormal <= 0 || !m.relayConnectedAt(now)) return;
  const threshold = l.emergencyActive ? l.thresholdEmergency : l.thresholdNormal;
  const needed = Math.max(1, Math.ceil(l.minOverSeconds / 900));
  const first = Math.ceil(Math.max(l.watchFrom, l.checkedTo) / STEP_MS);
  const last = Math.floor(now / STEP_MS) - 1;
  for (let k = first; k <= last; k++) {
    l.overRun = m.step(k).wh * 0.004 > threshold ? l.overRun + 1 : 0;
    if (l.overRun >= needed) {
      l.checkedTo = now;
      l.overRun = 0;
      setRelay(m, (k + 1) * STEP_MS, false, 'limiter');
      return;
    }
  }
  l.checkedTo = Math.max(l.checkedTo, (last + 1) * STEP_MS);
}

/**
 * A transformer meter registers what its consumers draw, so a look at it is a look at every
 * consumer whose limiter may have tripped by now (only those holding a limiter are touched).
 */
function settleConsumers(tr: MeterTruth, now: Instant): void {
  const f = tr.fleet;
  const { from, to } = consumersOf(f.topology, tr.place.transformer);
  for (let i = from; i < to; i++) if (f.state(i)?.limiter !== undefined) settle(f.meter(i), now);
}

function numberOf(d: DlmsData): number | undefined {
  if ('value' in d && typeof d.value === 'number') return d.value;
  if ('value' in d && typeof d.value === 'bigint') return Number(d.value);
  return undefined;
}

function instantOf(m: MeterTruth, d: DlmsData): Instant {
  const dt = dateTimeFromData(d);
  const off = m.profile.meter.utcOffsetMinutes;
  if (dt.deviation === null || (m.profile.quirks.deviationLocalMinusUtc && dt.deviation === off))
    dt.deviation = -off;
  return dateTimeToInstant(dt).getTime();
}

/** SET of a writable attribute; returns a Data-Access-Result. */
export function write(
  m: MeterTruth,
  classId: number,
  obis: string,
  attr: number,
  v: DlmsData,
  now: Instant,
): number {
  const s = (): MeterState => stateOf(m);
  try {
    switch (classId) {
      case ClassId.Clock:
        if (attr !== 2) return Result.denied;
        s().clockSyncs.push({ at: now, offsetMs: instantOf(m, v) - now });
        record(s(), now, 'transaction', 151);
        invalidateEnergy(m, now);
        return Result.success;
      case ClassId.DisconnectControl: {
        const mode = numberOf(v);
        if (attr !== 4 || mode === undefined || mode > 6) return Result.denied;
        s().controlMode = mode;
        return Result.success;
      }
      case ClassId.Limiter: {
        const n = numberOf(v);
        if (n === undefined) return Result.typeUnmatched;
        const l: LimiterState = { ...limiterOf(m), watchFrom: now, checkedTo: now, overRun: 0 };
        if (attr === 4) l.thresholdNormal = n;
        else if (attr === 5) l.thresholdEmergency = n;
        else if (attr === 6) l.minOverSeconds = n;
        else if (attr === 7) l.minUnderSeconds = n;
        else return Result.denied;
        s().limiter = l;
        record(s(), now, 'transaction', 158);
        return Result.success;
      }
      case ClassId.ActivityCalendar:
        return writeCalendar(m, attr, v, now);
      case ClassId.PushSetup: {
        // send_destination_and_method {transport_service enum (0 = TCP), destination, message}
        const f = v.type === 'structure' ? v.value : [];
        const dest = f[1];
        if (
          attr !== 3 ||
          dest?.type !== 'octet-string' ||
          !/^[^:]+:\d+$/.test(String.fromCharCode(...dest.value))
        ) {
          return attr === 3 ? Result.typeUnmatched : Result.denied;
        }
        const map = s().pushDestinations ?? {};
        map[obis] = String.fromCharCode(...dest.value);
        s().pushDestinations = map;
        return Result.success;
      }
      case ClassId.AssociationLN:
        if (attr !== 7 || v.type !== 'octet-string') return Result.denied;
        s().password = v.value;
        record(s(), now, 'transaction', 161);
        return Result.success;
      default:
        return Result.denied;
    }
  } catch {
    return Result.typeUnmatched;
  }
}

function writeCalendar(m: MeterTruth, attr: number, v: DlmsData, now: Instant): number {
  const s = stateOf(m);
  const p: ActivityCalendar = s.passive ?? {
    calendarName: new Uint8Array(0),
    seasonProfile: [],
    weekProfileTable: [],
    dayProfileTable: [],
  };
  switch (attr) {
    case 6:
      if (v.type !== 'octet-string') return Result.typeUnmatched;
      s.passive = { ...p, calendarName: v.value };
      return Result.success;
    case 7:
      s.passive = { ...p, seasonProfile: decodeSeasonProfile(v) };
      return Result.success;
    case 8:
      s.passive = { ...p, weekProfileTable: decodeWeekProfileTable(v) };
      return Result.success;
    case 9:
      s.passive = { ...p, dayProfileTable: decodeDayProfileTable(v) };
      return Result.success;
    case 10: {
      const at = instantOf(m, v);
      s.passiveActivation = at;
      if (s.passive !== undefined) activate(m, s.passive, Math.max(at, now));
      return Result.success;
    }
    default:
      return Result.denied;
  }
}

function activate(m: MeterTruth, cal: ActivityCalendar, at: Instant): void {
  const s = stateOf(m);
  s.calendars = s.calendars.filter((c) => c.at < at);
  s.calendars.push({ at, calendar: cal });
  record(s, at, 'transaction', 155);
  invalidateEnergy(m, at);
}

export interface ActionOutcome {
  result: number;
  returnData?: DlmsData;
  /** A push the fleet should send (push setup method 1). */
  push?: string;
}

/** ACTION on a method; returns an Action-Result. */
export function act(
  m: MeterTruth,
  classId: number,
  obis: string,
  method: number,
  p: DlmsData | undefined,
  now: Instant,
): ActionOutcome {
  const ok: ActionOutcome = { result: Result.success };
  const s = (): MeterState => stateOf(m);
  try {
    switch (classId) {
      case ClassId.DisconnectControl: {
        const mode = relayView(m, now).mode;
        if (mode === 0) return { result: Result.denied };
        if (method === 1) setRelay(m, now, false, 'remote');
        else if (method === 2) {
          if (mode === 2 || mode === 4) setRelay(m, now, true, 'remote');
          else if (!m.relayConnectedAt(now)) s().readyForReconnection = true;
        } else return { result: Result.undefined };
        return ok;
      }
      case ClassId.Clock: {
        if (method !== 6) return method >= 1 && method <= 5 ? ok : { result: Result.undefined };
        const secs = p === undefined ? undefined : numberOf(p);
        if (secs === undefined) return { result: Result.typeUnmatched };
        s().clockSyncs.push({ at: now, offsetMs: meterClock(m, now) - now + secs * 1000 });
        record(s(), now, 'transaction', 151);
        invalidateEnergy(m, now);
        return ok;
      }
      case ClassId.ScriptTable:
        s().mdResets.push(now);
        record(s(), now, 'transaction', 166);
        invalidateEnergy(m, now);
        return ok;
      case ClassId.ActivityCalendar:
        if (method !== 1 || s().passive === undefined) return { result: Result.unavailable };
        activate(m, s().passive!, now);
        return ok;
      case ClassId.ImageTransfer:
        return imageTransfer(m, method, p, now);
      case ClassId.SecuritySetup:
        return method === 2 ? keyTransfer(m, p, now) : { result: Result.denied };
      case ClassId.PushSetup:
        return method === 1 ? { result: Result.success, push: obis } : { result: Result.undefined };
      case ClassId.ProfileGeneric:
        return ok;
      default:
        return { result: Result.denied };
    }
  } catch {
    return { result: Result.typeUnmatched };
  }
}

function fields(p: DlmsData | undefined, n: number): DlmsData[] | undefined {
  return p?.type === 'structure' && p.value.length === n ? p.value : undefined;
}

function imageTransfer(m: MeterTruth, method: number, p: DlmsData | undefined, now: Instant): ActionOutcome {
  const s = stateOf(m);
  switch (method) {
    case 1: {
      const f = fields(p, 2);
      const size = f === undefined ? undefined : numberOf(f[1]!);
      if (f?.[0]?.type !== 'octet-string' || size === undefined) return { result: Result.typeUnmatched };
      const id = String.fromCharCode(...f[0].value);
      s.image = { identifier: id, size, blocks: new Set(), status: 1, version: id };
      return { result: Result.success };
    }
    case 2: {
      const f = fields(p, 2);
      const n = f === undefined ? undefined : numberOf(f[0]!);
      if (s.image === undefined || n === undefined) return { result: Result.unavailable };
      s.image.blocks.add(n);
      return { result: Result.success };
    }
    case 3: {
      const img = s.image;
      if (img === undefined || img.blocks.size < Math.ceil(img.size / 200)) return { result: Result.other };
      img.status = 3;
      return { result: Result.success };
    }
    case 4: {
      const img = s.image;
      if (img === undefined || img.status < 3) return { result: Result.other };
      img.status = 6;
      s.firmware.push({ at: now, version: img.version });
      record(s, now, 'transaction', 157);
      return { result: Result.success };
    }
    default:
      return { result: Result.undefined };
  }
}

/** key_transfer: array of {key_id (0 = global unicast EK, 2 = AK), key_wrapped under the master key}. */
function keyTransfer(m: MeterTruth, p: DlmsData | undefined, now: Instant): ActionOutcome {
  if (p?.type !== 'array') return { result: Result.typeUnmatched };
  const kek = issuedSecrets(m).kek;
  const s = stateOf(m);
  for (const item of p.value) {
    const f = fields(item, 2);
    const id = f === undefined ? undefined : numberOf(f[0]!);
    if (f?.[1]?.type !== 'octet-string' || id === undefined) return { result: Result.typeUnmatched };
    const key = aesKeyUnwrap(kek, f[1].value);
    if (id === 0) s.ek = key;
    else if (id === 2) s.ak = key;
    else return { result: Result.denied };
  }
  record(s, now, 'transaction', 162);
  return { result: Result.success };
}
