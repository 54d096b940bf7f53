import type { DlmsData } from '@openhes/dlms';
import type { MeterTruth } from '../truth/meter.ts';
import type { LimiterState } from '../truth/state.ts';
import { type Instant, STEP_MS } from '../truth/time.ts';
import { eventCode, fields, instantOf, numberOf, Result, record, stateOf } from './control-base.ts';
import { relayView, trigger } from './disconnect.ts';

/**
 * Limiter (class 71), control-objects.md §2. The monitored value is the average demand of each
 * 15-minute period (what the truth computes exactly), compared at the period's end with
 * threshold_active: threshold_emergency while an emergency profile is active, else
 * threshold_normal (0 = no limit). min_over_threshold_duration counts whole periods above
 * (at least one): the relay opens by a local disconnect (transition g → ready_for_reconnection)
 * at the end of the period that completes it. While the limiter holds the relay open, the load
 * draws nothing, so it is under the threshold: after min_under_threshold_duration (whole
 * periods, at least one) the under-threshold action reconnects locally (transition h), which
 * only modes 5, 6 and 7 allow; in the other modes the relay waits for the customer's button or
 * a remote command.
 *
 * An emergency profile is active at t when its id is in the group id list (attr 9) and
 * activation ≤ t < activation + duration.
 */
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

export function emergencyActiveAt(l: LimiterState, t: Instant): boolean {
  const p = l.emergencyProfile;
  if (p === undefined || !(l.groupIds ?? []).includes(p.id)) return false;
  return t >= p.activation && t < p.activation + p.durationSeconds * 1000;
}

export function thresholdAt(l: LimiterState, t: Instant): number {
  return emergencyActiveAt(l, t) ? l.thresholdEmergency : l.thresholdNormal;
}

/** Work the limiter did on its own up to `now`: trips and under-threshold reconnects. */
export function settleLimiter(m: MeterTruth, now: Instant): void {
  const l = m.state?.limiter;
  if (l === undefined || (l.thresholdNormal <= 0 && l.thresholdEmergency <= 0)) return;
  const over = Math.max(1, Math.ceil(l.minOverSeconds / 900));
  const under = Math.max(1, Math.ceil(l.minUnderSeconds / 900));
  const first = Math.ceil(Math.max(l.watchFrom, l.checkedTo) / STEP_MS);
  const last = Math.floor(now / STEP_MS) - 1;
  for (let k = first; k <= last; k++) {
    const start = k * STEP_MS;
    const end = start + STEP_MS;
    l.checkedTo = end;
    const s = m.state!;
    const lastChange = s.relay[s.relay.length - 1];
    if (m.relayConnectedAt(start) && m.relayConnectedAt(end - 1)) {
      const threshold = thresholdAt(l, start);
      l.overRun = threshold > 0 && m.step(k).wh * 0.004 > threshold ? l.overRun + 1 : 0;
      if (l.overRun >= over) {
        l.overRun = 0;
        trigger(m, end, 'local_disconnect');
      }
    } else if (relayView(m, end).control === 2 && lastChange?.cause === 'limiter' && lastChange.at <= start) {
      l.underRun = (l.underRun ?? 0) + 1;
      if (l.underRun >= under) {
        l.underRun = 0;
        trigger(m, end, 'local_reconnect');
      }
    } else {
      l.overRun = 0;
    }
  }
  l.checkedTo = Math.max(l.checkedTo, (last + 1) * STEP_MS);
  l.emergencyActive = emergencyActiveAt(l, now);
}

const NUMERIC = new Set([
  'integer',
  'long',
  'double-long',
  'long64',
  'unsigned',
  'long-unsigned',
  'double-long-unsigned',
  'long64-unsigned',
  'float32',
  'float64',
]);

/** SET of a limiter attribute; returns a Data-Access-Result. */
export function writeLimiter(m: MeterTruth, attr: number, v: DlmsData, now: Instant): number {
  const l: LimiterState = { ...limiterOf(m), watchFrom: now, checkedTo: now, overRun: 0, underRun: 0 };
  const n = numberOf(v);
  switch (attr) {
    case 2:
      if (fields(v, 3) === undefined) return Result.typeUnmatched;
      l.monitoredValue = v;
      break;
    case 4:
    case 5:
      if (n === undefined || !NUMERIC.has(v.type) || n < 0) return Result.typeUnmatched;
      if (attr === 4) l.thresholdNormal = n;
      else l.thresholdEmergency = n;
      l.thresholdType = v.type;
      break;
    case 6:
    case 7:
      if (n === undefined || n < 0) return Result.typeUnmatched;
      if (attr === 6) l.minOverSeconds = n;
      else l.minUnderSeconds = n;
      break;
    case 8: {
      const f = fields(v, 3);
      const id = numberOf(f?.[0]);
      const duration = numberOf(f?.[2]);
      const at = f?.[1];
      if (id === undefined || duration === undefined || at?.type !== 'octet-string' || at.value.length !== 12)
        return Result.typeUnmatched;
      const unset = at.value.every((b) => b === 0xff);
      l.emergencyProfile = {
        id,
        activation: unset ? Number.POSITIVE_INFINITY : instantOf(m, at),
        durationSeconds: duration,
        raw: at.value,
      };
      break;
    }
    case 9: {
      if (v.type !== 'array') return Result.typeUnmatched;
      const ids = v.value.map(numberOf);
      if (ids.some((x) => x === undefined)) return Result.typeUnmatched;
      l.groupIds = ids as number[];
      break;
    }
    case 11:
      if (fields(v, 2) === undefined) return Result.typeUnmatched;
      l.actions = v;
      break;
    default:
      return Result.denied;
  }
  l.emergencyActive = emergencyActiveAt(l, now);
  const s = stateOf(m);
  s.limiter = l;
  record(s, now, 'transaction', eventCode(m, 'transaction', 'Load limit set', 158));
  return Result.success;
}

const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
const u32 = (value: number): DlmsData => ({ type: 'double-long-unsigned', value });
const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const struct = (...value: DlmsData[]): DlmsData => ({ type: 'structure', value });
const SCRIPT_TABLE = Uint8Array.of(0, 0, 10, 0, 106, 255);
const POWER = Uint8Array.of(1, 0, 1, 7, 0, 255);

function threshold(l: LimiterState, n: number): DlmsData {
  const type = l.thresholdType ?? 'double-long-unsigned';
  const value = Math.round(n);
  return { type, value: type === 'long64' || type === 'long64-unsigned' ? BigInt(value) : value } as DlmsData;
}

/** GET of a limiter attribute at `t`. */
export function readLimiter(m: MeterTruth, attr: number, t: Instant): DlmsData | number {
  const l = limiterOf(m);
  switch (attr) {
    case 2:
      return l.monitoredValue ?? struct(u16(3), octets(POWER), { type: 'integer', value: 2 });
    case 3:
      return threshold(l, thresholdAt(l, t));
    case 4:
      return threshold(l, l.thresholdNormal);
    case 5:
      return threshold(l, l.thresholdEmergency);
    case 6:
      return u32(l.minOverSeconds);
    case 7:
      return u32(l.minUnderSeconds);
    case 8: {
      const p = l.emergencyProfile;
      if (p === undefined) return struct(u16(0), octets(new Uint8Array(12).fill(0xff)), u32(0));
      return struct(u16(p.id), octets(p.raw), u32(p.durationSeconds));
    }
    case 9:
      return { type: 'array', value: (l.groupIds ?? []).map(u16) };
    case 10:
      return { type: 'boolean', value: emergencyActiveAt(l, t) };
    case 11:
      return l.actions ?? struct(struct(octets(SCRIPT_TABLE), u16(1)), struct(octets(SCRIPT_TABLE), u16(2)));
    default:
      return Result.undefined;
  }
}
