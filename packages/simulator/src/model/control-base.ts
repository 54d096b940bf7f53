import { type DlmsData, dateTimeFromData, dateTimeToInstant } from '@openhes/dlms';
import type { FleetView, MeterTruth } from '../truth/meter.ts';
import type { ControlBehaviour, EventLogKey, MeterState } from '../truth/state.ts';
import type { Instant } from '../truth/time.ts';

/**
 * Action-Result / Data-Access-Result values the control objects answer (dlms-tables.md §4).
 * A transition the control mode or the object's state does not allow, and a method the
 * object's state cannot run now (verify before every block, activate before a successful
 * verify, a transfer while disabled), answer `other` (other-reason, 250): one code for every
 * refusal of this kind, so a client tells "refused by the meter's rules" (250) from "no such
 * object" (4), "wrong parameter type" (12) and "busy, ask again" (2).
 */
export const Result = {
  success: 0,
  temporaryFailure: 2,
  denied: 3,
  undefined: 4,
  unavailable: 11,
  typeUnmatched: 12,
  other: 250,
} as const;

/** Security policy names as the version-0 security_policy enum. */
export const POLICY: Record<string, number> = { none: 0, auth: 1, enc: 2, 'auth+enc': 3 };

export function stateOf(m: MeterTruth): MeterState {
  return m.fleet.ensureState(m.index);
}

/** Event code by the profile's event log table (its description), else `fallback`. */
export function eventCode(m: MeterTruth, log: EventLogKey, description: string, fallback: number): number {
  const codes = m.profile.eventLogs[log]?.codes;
  if (codes !== undefined)
    for (const [code, text] of Object.entries(codes)) if (text === description) return Number(code);
  return fallback;
}

export function record(s: MeterState, at: Instant, log: EventLogKey, code: number): void {
  s.events.push({ at, log, code });
}

export function numberOf(d: DlmsData | undefined): number | undefined {
  if (d !== undefined && 'value' in d && typeof d.value === 'number') return d.value;
  if (d !== undefined && 'value' in d && typeof d.value === 'bigint') return Number(d.value);
  return undefined;
}

export function fields(p: DlmsData | undefined, n: number): DlmsData[] | undefined {
  return p?.type === 'structure' && p.value.length === n ? p.value : undefined;
}

/** Fleet-wide overrides of the per-model defaults (a test or bench sets them once). */
const fleetBehaviour = new WeakMap<FleetView, Partial<ControlBehaviour>>();

export function setFleetBehaviour(fleet: FleetView, b: Partial<ControlBehaviour>): void {
  fleetBehaviour.set(fleet, { ...fleetBehaviour.get(fleet), ...b });
}

/**
 * Image block size by model: the IS 15959 single-phase dump shows 200 (device-profiles.md
 * §1.2); three-phase and CT models take 512 (a proposal: fits the meter's 1,024-byte PDU with
 * the APDU header and ciphering overhead).
 */
function modelDefaults(m: MeterTruth): ControlBehaviour {
  return {
    imageBlockSize: m.profile.meter.phases === 1 ? 200 : 512,
    verifyMs: 0,
    activateMs: 0,
  };
}

/** The behaviour in force: per-meter overrides, then fleet-wide ones, then the model's defaults. */
export function behaviourOf(m: MeterTruth): ControlBehaviour {
  return { ...modelDefaults(m), ...fleetBehaviour.get(m.fleet), ...m.state?.behaviour };
}

/** A date-time the head end wrote, as a true instant (the profile's deviation sign quirk honoured). */
export function instantOf(m: MeterTruth, d: DlmsData): Instant {
  const dt = dateTimeFromData(d);
  const off = m.profile.meter.utcOffsetMinutes;
  if (dt.deviation === null || (m.profile.quirks.deviationLocalMinusUtc && dt.deviation === off))
    dt.deviation = -off;
  return dateTimeToInstant(dt).getTime();
}
