import type { Instant } from '@openhes/core';
import {
  applyScaler,
  attributeIndex,
  ClassId,
  type ControlState,
  decodeDisconnectControl,
  decodeEmergencyProfile,
  decodeLimiter,
  decodeScalerUnit,
  decodeValueDefinition,
  encodeEmergencyProfile,
  encodeThreshold,
  formatObis,
  type Limiter,
  methodIndex,
  NUMBER_TYPES,
  type NumericTypeName,
  remoteTransition,
  scalerUnitAttribute,
  type Threshold,
  unitSymbol,
} from '@openhes/cosem';
import type { CosemDateTime, DlmsData } from '@openhes/dlms';
import type {
  DisconnectorState,
  EmergencyActivation,
  LimiterSettings,
  LimiterView,
  LimitSettings,
  LoadLimiting,
  SupplyControl,
  SupplyOutcome,
  SupplyTransition,
} from '../driver.ts';
import { DriverError, DriverErrorCode } from '../errors.ts';
import type { DlmsClientPort } from './client-port.ts';
import { type DlmsOperation, decoded, encoded, invoke, mismatch, protocol, readAll, write } from './ops.ts';

/** The disconnector's mode rules (cosem's), for layers that import drivers but not cosem. */
export {
  ARMING_MODES,
  DIRECT_RECONNECT_MODES,
  type RemoteTransition,
  remoteTransition,
  type TransitionVerdict,
} from '@openhes/cosem';
export type { DlmsOperation } from './ops.ts';

const DISCONNECT = ClassId.DisconnectControl;
const LIMITER = ClassId.Limiter;

const DC = {
  outputState: attributeIndex(DISCONNECT, 'output_state'),
  controlState: attributeIndex(DISCONNECT, 'control_state'),
  controlMode: attributeIndex(DISCONNECT, 'control_mode'),
  remoteDisconnect: methodIndex(DISCONNECT, 'remote_disconnect'),
  remoteReconnect: methodIndex(DISCONNECT, 'remote_reconnect'),
} as const;

/** Limiter attributes 2..11 in order, as decodeLimiter takes them. */
const LIMITER_FIRST = attributeIndex(LIMITER, 'monitored_value');
const LIMITER_LAST = attributeIndex(LIMITER, 'actions');
const LIM = {
  thresholdNormal: attributeIndex(LIMITER, 'threshold_normal'),
  thresholdEmergency: attributeIndex(LIMITER, 'threshold_emergency'),
  minOver: attributeIndex(LIMITER, 'min_over_threshold_duration'),
  minUnder: attributeIndex(LIMITER, 'min_under_threshold_duration'),
  emergencyProfile: attributeIndex(LIMITER, 'emergency_profile'),
  groupIds: attributeIndex(LIMITER, 'emergency_profile_group_id_list'),
} as const;

/**
 * Supply control over disconnect control (class 70): the state read first (control_mode once
 * per driver session), the transition checked against the mode, methods 1 and 2, the state
 * read back.
 */
export class DlmsSupplyControl implements SupplyControl {
  readonly #op: DlmsOperation;
  readonly #obis: string;
  /** control_mode as read in this session (cleared by `forget` when the session closes). */
  #mode: number | undefined;

  constructor(op: DlmsOperation, obis: string) {
    this.#op = op;
    this.#obis = obis;
  }

  /** Drops the cached control mode (a new session reads it again). */
  forget(): void {
    this.#mode = undefined;
  }

  disconnect(): Promise<SupplyOutcome> {
    return this.#act('disconnect', DC.remoteDisconnect);
  }

  reconnect(): Promise<SupplyOutcome> {
    return this.#act('reconnect', DC.remoteReconnect);
  }

  /** output_state and control_state; control_mode as read once in this session. */
  readDisconnector(): Promise<DisconnectorState> {
    return this.#op((client) => this.#read(client));
  }

  #act(transition: SupplyTransition, method: number): Promise<SupplyOutcome> {
    return this.#op(async (client) => {
      const before = await this.#read(client);
      const verdict = remoteTransition(before.controlMode, transition, before.controlState);
      if (verdict.kind === 'forbidden')
        throw new DriverError(
          DriverErrorCode.ModeForbids,
          `control_mode ${before.controlMode} does not allow remote ${transition} from control_state ${before.controlState}`,
          {
            retryable: false,
            detail: { mode: before.controlMode, transition, controlState: before.controlState },
          },
        );
      if (verdict.kind === 'noop') return { ...before, sent: false };
      await invoke(client, this.#obis, DISCONNECT, method);
      return { ...(await this.#read(client)), sent: true };
    });
  }

  /** output_state and control_state, with control_mode the first time in a session. */
  async #read(client: DlmsClientPort): Promise<DisconnectorState> {
    const attrs = [DC.outputState, DC.controlState];
    if (this.#mode === undefined) attrs.push(DC.controlMode);
    const values = await readAll(client, this.#obis, DISCONNECT, attrs);
    if (values.length === 2) values.push({ type: 'enum', value: this.#mode ?? 0 });
    const d = decoded(() => decodeDisconnectControl(values));
    const state = d.controlState.value;
    if (state !== 0 && state !== 1 && state !== 2) throw protocol(`control_state ${state} outside 0..2`);
    this.#mode = d.controlMode.value;
    return {
      outputState: d.outputState,
      controlState: state as ControlState,
      controlMode: d.controlMode.value,
      armed: state === 2 && !d.outputState,
    };
  }
}

/** Scaler and unit of the limiter's monitored value. */
interface MonitoredScale {
  scaler: number;
  unit: string;
}

/** Load limiting over the limiter (class 71): SET of its settings, GET of attributes 2..11. */
export class DlmsLoadLimiting implements LoadLimiting {
  readonly #op: DlmsOperation;
  readonly #obis: string;
  readonly #meterTime: (at: Instant) => CosemDateTime;
  readonly #sameTime: (a: CosemDateTime, b: CosemDateTime) => boolean;
  #scale: MonitoredScale | undefined;

  /** `meterTime` writes an instant as the model does; `sameTime` compares two of its date-times. */
  constructor(
    op: DlmsOperation,
    obis: string,
    meterTime: (at: Instant) => CosemDateTime,
    sameTime: (a: CosemDateTime, b: CosemDateTime) => boolean,
  ) {
    this.#op = op;
    this.#obis = obis;
    this.#meterTime = meterTime;
    this.#sameTime = sameTime;
  }

  /** Drops what this session learnt (the monitored value's scaler). */
  forget(): void {
    this.#scale = undefined;
  }

  readLimiter(): Promise<Limiter> {
    return this.#op((client) => this.#read(client));
  }

  async setLimiter(settings: LimiterSettings): Promise<Limiter> {
    const rest = this.#restWrites(settings);
    return this.#op(async (client) => {
      const writes: [number, DlmsData][] = [];
      const s = settings;
      if (s.thresholdNormal !== undefined || s.thresholdEmergency !== undefined) {
        // A threshold takes the type of the monitored value; the meter's own threshold tells it.
        const type = await this.#thresholdType(client);
        const threshold = (v: number | bigint) => encoded(() => encodeThreshold(v, type));
        if (s.thresholdNormal !== undefined) writes.push([LIM.thresholdNormal, threshold(s.thresholdNormal)]);
        if (s.thresholdEmergency !== undefined)
          writes.push([LIM.thresholdEmergency, threshold(s.thresholdEmergency)]);
      }
      for (const [attr, value] of [...writes, ...rest]) await write(client, this.#obis, LIMITER, attr, value);
      return this.#read(client);
    });
  }

  readLimits(): Promise<LimiterView> {
    return this.#op(async (client) => this.#view(client, await this.#read(client)));
  }

  async setLimits(settings: LimitSettings): Promise<LimiterView> {
    const rest = this.#restWrites(settings);
    return this.#op(async (client) => {
      const writes: [number, DlmsData][] = [];
      const expected = new Map<string, number | bigint>();
      if (settings.thresholdNormal !== undefined || settings.thresholdEmergency !== undefined) {
        const scale = await this.#scaleOf(client);
        const type = await this.#thresholdType(client);
        if (settings.thresholdNormal !== undefined) {
          const raw = toRaw(settings.thresholdNormal, scale.scaler, type, 'thresholdNormal');
          writes.push([LIM.thresholdNormal, encoded(() => encodeThreshold(raw, type))]);
          expected.set('thresholdNormal', raw);
        }
        if (settings.thresholdEmergency !== undefined) {
          const raw = toRaw(settings.thresholdEmergency, scale.scaler, type, 'thresholdEmergency');
          writes.push([LIM.thresholdEmergency, encoded(() => encodeThreshold(raw, type))]);
          expected.set('thresholdEmergency', raw);
        }
      }
      if (settings.minOverThresholdDuration !== undefined)
        expected.set('minOverThresholdDuration', settings.minOverThresholdDuration);
      if (settings.minUnderThresholdDuration !== undefined)
        expected.set('minUnderThresholdDuration', settings.minUnderThresholdDuration);
      for (const [attr, value] of [...writes, ...rest]) await write(client, this.#obis, LIMITER, attr, value);
      const back = await this.#read(client);
      for (const [field, want] of expected) {
        const got = back[field as keyof Limiter] as Threshold;
        if (!sameNumber(got, want)) throw mismatch(`limiter ${field}`, want, got);
      }
      return this.#view(client, back);
    });
  }

  async activateEmergency(a: EmergencyActivation): Promise<LimiterView> {
    const profile = {
      id: a.profileId,
      activationTime: this.#meterTime(a.activateAt),
      duration: a.durationSeconds,
    };
    const encodedProfile = encoded(() => encodeEmergencyProfile(profile));
    const groupIds = (a.groupIds ?? [a.profileId]).map(groupId);
    return this.#op(async (client) => {
      if (a.thresholdEmergency !== undefined) {
        const scale = await this.#scaleOf(client);
        const type = await this.#thresholdType(client);
        const raw = toRaw(a.thresholdEmergency, scale.scaler, type, 'thresholdEmergency');
        await write(
          client,
          this.#obis,
          LIMITER,
          LIM.thresholdEmergency,
          encoded(() => encodeThreshold(raw, type)),
        );
      }
      await write(client, this.#obis, LIMITER, LIM.emergencyProfile, encodedProfile);
      await write(client, this.#obis, LIMITER, LIM.groupIds, groupList(groupIds));
      const back = await this.#read(client);
      const p = back.emergencyProfile;
      const written = decoded(() => decodeEmergencyProfile(encodedProfile));
      if (
        p.id !== written.id ||
        p.duration !== written.duration ||
        !this.#sameTime(p.activationTime, written.activationTime)
      )
        throw mismatch('limiter emergency_profile', written, p);
      if (!sameList(back.emergencyProfileGroupIdList, groupIds))
        throw mismatch('limiter emergency_profile_group_id_list', groupIds, back.emergencyProfileGroupIdList);
      return this.#view(client, back);
    });
  }

  clearEmergency(): Promise<LimiterView> {
    return this.#op(async (client) => {
      await write(client, this.#obis, LIMITER, LIM.groupIds, groupList([]));
      const back = await this.#read(client);
      if (back.emergencyProfileGroupIdList.length !== 0)
        throw mismatch('limiter emergency_profile_group_id_list', [], back.emergencyProfileGroupIdList);
      return this.#view(client, back);
    });
  }

  /** Everything but the thresholds, checked and encoded before the first request. */
  #restWrites(s: LimitSettings | LimiterSettings): [number, DlmsData][] {
    const rest: [number, DlmsData][] = [];
    if (s.minOverThresholdDuration !== undefined)
      rest.push([LIM.minOver, seconds(s.minOverThresholdDuration, 'min_over_threshold_duration')]);
    if (s.minUnderThresholdDuration !== undefined)
      rest.push([LIM.minUnder, seconds(s.minUnderThresholdDuration, 'min_under_threshold_duration')]);
    if ('emergencyProfile' in s && s.emergencyProfile !== undefined) {
      const p = s.emergencyProfile;
      rest.push([LIM.emergencyProfile, encoded(() => encodeEmergencyProfile(p))]);
    }
    if ('emergencyProfileGroupIds' in s && s.emergencyProfileGroupIds !== undefined)
      rest.push([LIM.groupIds, groupList(s.emergencyProfileGroupIds.map(groupId))]);
    return rest;
  }

  async #thresholdType(client: DlmsClientPort): Promise<NumericTypeName> {
    const current = await client.get(this.#obis, LIMITER, LIM.thresholdNormal);
    if (NUMBER_TYPES.has(current.type)) return current.type as NumericTypeName;
    throw protocol(`threshold_normal is ${current.type}, not a number`);
  }

  /** monitored_value (attr 2), then that register's scaler_unit; once per session. */
  async #scaleOf(client: DlmsClientPort): Promise<MonitoredScale> {
    if (this.#scale !== undefined) return this.#scale;
    const mv = await readAll(client, this.#obis, LIMITER, [LIMITER_FIRST]);
    const def = decoded(() => decodeLimiterMonitored(mv[0]!));
    const attr = scalerUnitAttribute(def.classId, def.attributeIndex);
    let scale: MonitoredScale = { scaler: 0, unit: '' };
    if (attr !== undefined) {
      const obis = formatObis(def.logicalName);
      const [su] = await readAll(client, obis, def.classId, [attr]);
      const d = decoded(() => decodeScalerUnit(su!));
      scale = { scaler: d.scaler, unit: unitSymbol(d.unit) ?? '' };
    }
    this.#scale = scale;
    return scale;
  }

  async #view(client: DlmsClientPort, raw: Limiter): Promise<LimiterView> {
    const { scaler, unit } = await this.#scaleOf(client);
    const physical = (t: Threshold): number | undefined =>
      typeof t === 'number' || typeof t === 'bigint' ? applyScaler(t, scaler) : undefined;
    return {
      raw,
      scaler,
      unit,
      thresholdActive: physical(raw.thresholdActive),
      thresholdNormal: physical(raw.thresholdNormal),
      thresholdEmergency: physical(raw.thresholdEmergency),
      emergencyProfile: raw.emergencyProfile,
      emergencyProfileGroupIds: raw.emergencyProfileGroupIdList,
      emergencyProfileActive: raw.emergencyProfileActive,
    };
  }

  async #read(client: DlmsClientPort): Promise<Limiter> {
    const attrs: number[] = [];
    for (let a = LIMITER_FIRST; a <= LIMITER_LAST; a++) attrs.push(a);
    const values = await readAll(client, this.#obis, LIMITER, attrs);
    return decoded(() => decodeLimiter(values));
  }
}

function decodeLimiterMonitored(d: DlmsData) {
  return decodeValueDefinition(d, 'monitored_value');
}

/**
 * A physical value as the raw value of a threshold: value / 10^scaler, rounded to a whole
 * number for integer types; DRIVER_INVALID when it does not fit.
 */
export function toRaw(value: number, scaler: number, type: NumericTypeName, field: string): number | bigint {
  if (!Number.isFinite(value))
    throw new DriverError(DriverErrorCode.Invalid, `${field} ${value} is not a number`);
  const scaled = applyScaler(value, -scaler);
  if (type === 'float32' || type === 'float64') return scaled;
  const whole = Math.round(scaled);
  if (type === 'long64' || type === 'long64-unsigned') return BigInt(whole);
  return whole;
}

function groupList(ids: readonly number[]): DlmsData {
  return { type: 'array', value: ids.map((id): DlmsData => ({ type: 'long-unsigned', value: id })) };
}

function sameNumber(got: Threshold, want: number | bigint): boolean {
  if (typeof got !== 'number' && typeof got !== 'bigint') return false;
  return typeof got === 'bigint' || typeof want === 'bigint' ? BigInt(got) === BigInt(want) : got === want;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function seconds(n: number, name: string): DlmsData {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new DriverError(DriverErrorCode.Invalid, `${name} ${n} is not a whole number of seconds`);
  return { type: 'double-long-unsigned', value: n };
}

export function groupId(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff)
    throw new DriverError(DriverErrorCode.Invalid, `emergency profile group id ${n} outside 0..65535`);
  return n;
}
