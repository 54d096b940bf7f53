import {
  type ActivityCalendar,
  ClassId,
  decodeCommunicationWindow,
  decodeDayProfileTable,
  decodePushObjectList,
  decodeRepetitionDelay,
  decodeSeasonProfile,
  decodeSpecialDays,
  decodeWeekProfileTable,
} from '@openhes/cosem';
import { aesKeyUnwrap, type DlmsData } from '@openhes/dlms';
import { invalidateEnergy } from '../truth/energy.ts';
import type { MeterTruth } from '../truth/meter.ts';
import type { MeterState, SpecialDay } from '../truth/state.ts';
import type { Instant } from '../truth/time.ts';
import { consumersOf } from '../truth/topology.ts';
import { issuedSecrets, meterClock } from '../truth/values.ts';
import { eventCode, fields, instantOf, numberOf, POLICY, Result, record, stateOf } from './control-base.ts';
import { disconnectMethod, writeControlMode } from './disconnect.ts';
import { imageTransferMethod, settleImage, writeImageSchedule, writeImageTransfer } from './image.ts';
import { keyChangeResetsCounters } from './key-version.ts';

/** The single-action schedule that activates a transferred image (IS 15959, device-profiles.md §1.2). */
export const IMAGE_ACTIVATION = '0.0.15.0.2.255';

import { settleLimiter, writeLimiter } from './limiter.ts';
import { countMethod, methodDone } from './method-counts.ts';

export { Result, stateOf } from './control-base.ts';
export { type RelayView, relayView } from './disconnect.ts';
export { limiterOf } from './limiter.ts';

/**
 * Work a meter would have done on its own since the last look: limiter trips and
 * under-threshold reconnects (model/limiter.ts), verifications and activations whose time came
 * (model/image.ts).
 */
export function settle(m: MeterTruth, now: Instant): void {
  if (m.isTransformer) settleConsumers(m, now);
  const s = m.state;
  if (s === undefined) return;
  if (s.limiter !== undefined) settleLimiter(m, now);
  if (s.image?.busyUntil !== undefined || s.imageActivation !== undefined) settleImage(m, now);
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

const asText = (b: Uint8Array): string => String.fromCharCode(...b);

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
        return writeClock(m, attr, v, now);
      case ClassId.DisconnectControl:
        if (attr !== 4) return Result.denied;
        return v.type === 'enum' ? writeControlMode(m, numberOf(v)) : Result.typeUnmatched;
      case ClassId.Limiter:
        return writeLimiter(m, attr, v, now);
      case ClassId.ActivityCalendar:
        return writeCalendar(m, attr, v, now);
      case ClassId.SpecialDaysTable: {
        if (attr !== 2) return Result.denied;
        const days = specialDaysOf(v);
        if (days === undefined || new Set(days.map((d) => d.index)).size !== days.length)
          return Result.typeUnmatched;
        setSpecialDays(m, obis, days, now);
        return Result.success;
      }
      case ClassId.ImageTransfer:
        return writeImageTransfer(m, attr, v);
      case ClassId.SingleActionSchedule:
        return obis === IMAGE_ACTIVATION ? writeImageSchedule(m, attr, v, now) : Result.denied;
      case ClassId.PushSetup:
        return writePush(m, obis, attr, v);
      case ClassId.AssociationLN:
        if (attr !== 7 || v.type !== 'octet-string') return Result.denied;
        s().password = v.value;
        record(s(), now, 'transaction', eventCode(m, 'transaction', 'LLS secret changed', 161));
        return Result.success;
      default:
        return Result.denied;
    }
  } catch {
    return Result.typeUnmatched;
  }
}

/**
 * Clock (class 8): attr 2 sets the clock (logs "RTC set"); attrs 3 (time_zone, −720…720
 * minutes or 0x8000 not specified), 5/6 (DST begin/end, date-time octet-string(12)), 7 (DST
 * deviation, −120…120 minutes) and 8 (DST enabled) are kept as written and read back; they do
 * not change how the simulated meter stamps its values (its profile's offset does).
 */
function writeClock(m: MeterTruth, attr: number, v: DlmsData, now: Instant): number {
  const s = stateOf(m);
  s.clock ??= {};
  const c = s.clock;
  const n = numberOf(v);
  switch (attr) {
    case 2:
      if (v.type !== 'octet-string' || v.value.length !== 12) return Result.typeUnmatched;
      s.clockSyncs.push({ at: now, offsetMs: instantOf(m, v) - now });
      record(s, now, 'transaction', eventCode(m, 'transaction', 'RTC set', 151));
      invalidateEnergy(m, now);
      return Result.success;
    case 3:
      if (v.type !== 'long' || n === undefined) return Result.typeUnmatched;
      if ((n < -720 || n > 720) && n !== -0x8000) return Result.other;
      c.timeZone = n;
      return Result.success;
    case 5:
    case 6:
      if (v.type !== 'octet-string' || v.value.length !== 12) return Result.typeUnmatched;
      if (attr === 5) c.dstBegin = v.value;
      else c.dstEnd = v.value;
      return Result.success;
    case 7:
      if (v.type !== 'integer' || n === undefined) return Result.typeUnmatched;
      if (n < -120 || n > 120) return Result.other;
      c.dstDeviation = n;
      return Result.success;
    case 8:
      if (v.type !== 'boolean') return Result.typeUnmatched;
      c.dstEnabled = v.value;
      return Result.success;
    default:
      return Result.denied;
  }
}

/**
 * Push setup (class 40, version 0): attrs 2..7 kept as written and read back. The destination
 * (attr 3, "host:port" for TCP) is where the fleet sends this setup's pushes; the object list,
 * windows, randomisation, retries and delay are stored only (pushes keep the profile's list).
 */
function writePush(m: MeterTruth, obis: string, attr: number, v: DlmsData): number {
  const s = stateOf(m);
  const cfg = { ...s.push?.[obis] };
  const n = numberOf(v);
  switch (attr) {
    case 2:
      decodePushObjectList(v);
      cfg.objects = v;
      break;
    case 3: {
      const f = fields(v, 3);
      const dest = f?.[1];
      const service = numberOf(f?.[0]);
      const message = numberOf(f?.[2]);
      if (dest?.type !== 'octet-string' || service === undefined || message === undefined)
        return Result.typeUnmatched;
      const text = asText(dest.value);
      if (service === 0 && !/^[^:]+:\d{1,5}$/.test(text)) return Result.other;
      const map = s.pushDestinations ?? {};
      map[obis] = text;
      s.pushDestinations = map;
      cfg.service = service;
      cfg.message = message;
      break;
    }
    case 4:
      decodeCommunicationWindow(v);
      cfg.windows = v;
      break;
    case 5:
      if (v.type !== 'long-unsigned' || n === undefined) return Result.typeUnmatched;
      cfg.randomisationSeconds = n;
      break;
    case 6:
      if (v.type !== 'unsigned' || n === undefined) return Result.typeUnmatched;
      cfg.retries = n;
      break;
    case 7:
      decodeRepetitionDelay(v);
      cfg.repetitionDelay = v;
      break;
    default:
      return Result.denied;
  }
  s.push = { ...s.push, [obis]: cfg };
  return Result.success;
}

function specialDaysOf(v: DlmsData): SpecialDay[] | undefined {
  decodeSpecialDays(v);
  if (v.type !== 'array') return undefined;
  return v.value.map((e) => {
    const f = fields(e, 3)!;
    return {
      index: numberOf(f[0])!,
      date: (f[1] as { value: Uint8Array }).value,
      dayId: numberOf(f[2])!,
    };
  });
}

/**
 * A special days table's new content: read back from now, and from now on the day profile of
 * every date it names (truth: rateAt → specialDayOf), so the tariff registers follow it.
 */
function setSpecialDays(m: MeterTruth, obis: string, days: SpecialDay[], now: Instant): void {
  const s = stateOf(m);
  const sorted = [...days].sort((a, b) => a.index - b.index);
  s.specialDays = { ...s.specialDays, [obis]: sorted };
  s.specialDayTables ??= [];
  s.specialDayTables.push({ at: now, obis, days: sorted });
  record(s, now, 'transaction', eventCode(m, 'transaction', 'Activity calendar changed', 155));
  invalidateEnergy(m, now);
}

/**
 * Special days table methods: 1 insert {index, date, day_id} (an existing index is
 * overwritten), 2 delete index (an unknown index: success, nothing changes).
 */
function specialDaysMethod(
  m: MeterTruth,
  obis: string,
  method: number,
  p: DlmsData | undefined,
  now: Instant,
): number {
  const days = m.state?.specialDays?.[obis] ?? [];
  if (method === 1) {
    if (p === undefined) return Result.typeUnmatched;
    const add = specialDaysOf({ type: 'array', value: [p] });
    if (add === undefined) return Result.typeUnmatched;
    setSpecialDays(m, obis, [...days.filter((d) => d.index !== add[0]!.index), add[0]!], now);
    return Result.success;
  }
  if (method === 2) {
    const index = numberOf(p);
    if (index === undefined || p?.type !== 'long-unsigned') return Result.typeUnmatched;
    if (days.some((d) => d.index === index))
      setSpecialDays(
        m,
        obis,
        days.filter((d) => d.index !== index),
        now,
      );
    return Result.success;
  }
  return Result.undefined;
}

/**
 * Activity calendar: passive attrs 6–9 written in any order; attr 10 (a date-time) schedules
 * the passive calendar as it is at that instant to become active then (all 0xFF: no
 * activation scheduled); method 1 activates it now. The active calendar decides which tariff
 * register accumulates (truth: calendarAt → rateAt → the step's rate).
 */
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
      break;
    case 7:
      s.passive = { ...p, seasonProfile: decodeSeasonProfile(v) };
      break;
    case 8:
      s.passive = { ...p, weekProfileTable: decodeWeekProfileTable(v) };
      break;
    case 9:
      s.passive = { ...p, dayProfileTable: decodeDayProfileTable(v) };
      break;
    case 10: {
      if (v.type !== 'octet-string' || v.value.length !== 12) return Result.typeUnmatched;
      if (v.value.every((b) => b === 0xff)) {
        // No activation time: a scheduled activation that has not happened yet is dropped.
        if (s.passiveActivation !== undefined && s.passiveActivation > now) {
          s.calendars = s.calendars.filter((c) => c.at <= now);
          const code = eventCode(m, 'transaction', 'Activity calendar changed', 155);
          s.events = s.events.filter((e) => e.at <= now || e.log !== 'transaction' || e.code !== code);
          invalidateEnergy(m, now);
        }
        delete s.passiveActivation;
        return Result.success;
      }
      s.passiveActivation = instantOf(m, v);
      break;
    }
    default:
      return Result.denied;
  }
  // A scheduled activation takes the passive calendar as it stands when its time comes.
  if (s.passiveActivation !== undefined && s.passive !== undefined && s.passiveActivation > now)
    activate(m, s.passive, s.passiveActivation);
  else if (attr === 10 && s.passive !== undefined) activate(m, s.passive, now);
  return Result.success;
}

function activate(m: MeterTruth, cal: ActivityCalendar, at: Instant): void {
  const s = stateOf(m);
  const rescheduled = s.calendars.some((c) => c.at === at);
  s.calendars = s.calendars.filter((c) => c.at < at);
  s.calendars.push({ at, calendar: cal });
  if (!rescheduled)
    record(s, at, 'transaction', eventCode(m, 'transaction', 'Activity calendar changed', 155));
  invalidateEnergy(m, at);
}

export interface ActionOutcome {
  result: number;
  returnData?: DlmsData;
  /** A push the fleet should send (push setup method 1). */
  push?: string;
}

/**
 * ACTION on a method; returns an Action-Result. Every invocation is counted first
 * (model/method-counts.ts), whatever its result.
 */
export function act(
  m: MeterTruth,
  classId: number,
  obis: string,
  method: number,
  p: DlmsData | undefined,
  now: Instant,
): ActionOutcome {
  countMethod(m, classId, obis, method);
  try {
    return dispatch(m, classId, obis, method, p, now);
  } finally {
    methodDone(m, classId, obis, method);
  }
}

function dispatch(
  m: MeterTruth,
  classId: number,
  obis: string,
  method: number,
  p: DlmsData | undefined,
  now: Instant,
): ActionOutcome {
  const r = (result: number): ActionOutcome => ({ result });
  const s = (): MeterState => stateOf(m);
  try {
    switch (classId) {
      case ClassId.DisconnectControl:
        return r(disconnectMethod(m, method, now));
      case ClassId.Clock:
        return r(clockMethod(m, method, p, now));
      case ClassId.ScriptTable:
        s().mdResets.push(now);
        record(s(), now, 'transaction', eventCode(m, 'transaction', 'MD reset', 166));
        invalidateEnergy(m, now);
        return r(Result.success);
      case ClassId.ActivityCalendar:
        if (method !== 1) return r(Result.undefined);
        if (s().passive === undefined) return r(Result.other);
        activate(m, s().passive!, now);
        return r(Result.success);
      case ClassId.SpecialDaysTable:
        return r(specialDaysMethod(m, obis, method, p, now));
      case ClassId.ImageTransfer:
        return r(imageTransferMethod(m, method, p, now));
      case ClassId.SecuritySetup:
        if (method === 1) return r(securityActivate(m, obis, p, now));
        return r(method === 2 ? keyTransfer(m, p, now) : Result.undefined);
      case ClassId.PushSetup:
        return method === 1 ? { result: Result.success, push: obis } : r(Result.undefined);
      case ClassId.ProfileGeneric:
        return r(Result.success);
      default:
        return r(Result.denied);
    }
  } catch {
    return r(Result.typeUnmatched);
  }
}

/**
 * Clock methods: 1 adjust_to_quarter, 2 adjust_to_measuring_period (15 minutes here),
 * 3 adjust_to_minute round the meter's clock to the nearest boundary; 5 stores a preset time
 * with its validity window, 4 applies it when the meter's clock is inside the window (else
 * other-reason); 6 shift_time moves the clock by −900…+900 s (other-reason outside). Every
 * change logs "RTC set".
 */
function clockMethod(m: MeterTruth, method: number, p: DlmsData | undefined, now: Instant): number {
  const s = stateOf(m);
  const clock = meterClock(m, now);
  const setTo = (meterTime: Instant): number => {
    s.clockSyncs.push({ at: now, offsetMs: meterTime - now });
    record(s, now, 'transaction', eventCode(m, 'transaction', 'RTC set', 151));
    invalidateEnergy(m, now);
    return Result.success;
  };
  const round = (ms: number): number => setTo(Math.round(clock / ms) * ms);
  switch (method) {
    case 1:
    case 2:
      return round(900_000);
    case 3:
      return round(60_000);
    case 4: {
      const preset = presets.get(s);
      if (preset === undefined || clock < preset.from || clock > preset.to) return Result.other;
      presets.delete(s);
      return setTo(preset.time);
    }
    case 5: {
      const f = fields(p, 3);
      if (f === undefined || f.some((x) => x.type !== 'octet-string')) return Result.typeUnmatched;
      presets.set(s, { time: instantOf(m, f[0]!), from: instantOf(m, f[1]!), to: instantOf(m, f[2]!) });
      return Result.success;
    }
    case 6: {
      const secs = numberOf(p);
      if (secs === undefined || p?.type !== 'long') return Result.typeUnmatched;
      if (secs < -900 || secs > 900) return Result.other;
      return setTo(clock + secs * 1000);
    }
    default:
      return Result.undefined;
  }
}

const presets = new WeakMap<MeterState, { time: Instant; from: Instant; to: Instant }>();

/**
 * security_activate (method 1): enum policy 0..3 (version 0: none, auth, enc, auth+enc) for the
 * association this setup serves; the meter only strengthens its policy (a weaker one answers
 * other-reason, Blue Book rule, unverified). The next association runs under the new policy.
 */
function securityActivate(m: MeterTruth, obis: string, p: DlmsData | undefined, now: Instant): number {
  const policy = numberOf(p);
  if (policy === undefined || p?.type !== 'enum') return Result.typeUnmatched;
  if (policy < 0 || policy > 3) return Result.other;
  const setup = m.profile.objects.find((o) => o.obis === obis);
  const key = setup?.association;
  const assoc = m.profile.associations.find((a) => a.key === key);
  if (key === undefined || assoc === undefined) return Result.other;
  const s = stateOf(m);
  const current = s.policies?.[key] ?? POLICY[assoc.policy] ?? 0;
  if (policy < current) return Result.other;
  s.policies = { ...s.policies, [key]: policy };
  record(s, now, 'transaction', eventCode(m, 'transaction', 'HLS key changed', 162));
  return Result.success;
}

/**
 * global_key_transfer (method 2): array of {key_id (0 GUEK, 2 GAK), key wrapped under the
 * master key (RFC 3394)}. Every key is unwrapped first; one that does not unwrap, or an unknown
 * key id, refuses the whole call (other-reason) and changes nothing. The open association
 * keeps the keys it was made with (and its counters); the next association, also on the same
 * connection, needs the new ones (fleet/sessions.ts takes each association's keys when its
 * AARQ comes). A key its profile's `counterResetsOnKeyChange` quirk names (default the GUEK)
 * restarts the meter's invocation counters: its send counter starts again at 0 and it accepts
 * the client's counters from the start again (model/key-version.ts). Logs "Global key changed".
 */
function keyTransfer(m: MeterTruth, p: DlmsData | undefined, now: Instant): number {
  if (p?.type !== 'array' || p.value.length === 0) return Result.typeUnmatched;
  const kek = issuedSecrets(m).kek;
  const keys: { id: number; key: Uint8Array }[] = [];
  for (const item of p.value) {
    const f = fields(item, 2);
    const id = numberOf(f?.[0]);
    if (f?.[1]?.type !== 'octet-string' || id === undefined) return Result.typeUnmatched;
    if (id !== 0 && id !== 2) return Result.other;
    let key: Uint8Array;
    try {
      key = aesKeyUnwrap(kek, f[1].value);
    } catch {
      return Result.other;
    }
    keys.push({ id, key });
  }
  const s = stateOf(m);
  for (const { id, key } of keys) {
    if (id === 0) s.ek = key;
    else s.ak = key;
    s.keyChanges ??= [];
    s.keyChanges.push({ at: now, keyId: id });
    // The counter object now serves the new keys' send counter (fleet/sessions.ts keeps it).
    if (keyChangeResetsCounters(m, id)) s.invocationCounter = 0;
  }
  record(s, now, 'transaction', eventCode(m, 'transaction', 'Global key changed', 164));
  return Result.success;
}
