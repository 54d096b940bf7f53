import {
  attributeIndex,
  ClassId,
  type ControlState,
  decodeDisconnectControl,
  decodeLimiter,
  encodeEmergencyProfile,
  encodeThreshold,
  type Limiter,
  methodIndex,
  NUMBER_TYPES,
  type NumericTypeName,
} from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';
import type { DisconnectorState, LimiterSettings, LoadLimiting, SupplyControl } from '../driver.ts';
import { DriverError, DriverErrorCode, toDriverError } from '../errors.ts';
import type { DlmsClientPort } from './client-port.ts';

/** Runs one operation on the driver's open association; failures leave as DriverError. */
export type DlmsOperation = <T>(fn: (client: DlmsClientPort) => Promise<T>) => Promise<T>;

const DISCONNECT = ClassId.DisconnectControl;
const LIMITER = ClassId.Limiter;

/** integer(0): the data of methods that take none (`0F 00`). */
const NO_DATA: DlmsData = { type: 'integer', value: 0 };

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

function decoded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toDriverError(e);
  }
}

/** A value the caller gave that the attribute's type cannot hold. */
function encoded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const cause = toDriverError(e);
    throw new DriverError(DriverErrorCode.Invalid, cause.message, { cause, detail: cause.detail ?? {} });
  }
}

function protocol(message: string): DriverError {
  return new DriverError(DriverErrorCode.Protocol, message);
}

/** Attributes read together with GET-with-list; any refused one fails the read. */
async function readAll(
  client: DlmsClientPort,
  obis: string,
  classId: number,
  attrs: readonly number[],
): Promise<DlmsData[]> {
  const results = await client.getMany(attrs.map((attr) => ({ obis, classId, attr })));
  return attrs.map((attr, i) => {
    const r = results[i];
    if (r === undefined) throw protocol(`no result for ${classId}/${obis}:${attr}`);
    if (!r.ok)
      throw new DriverError(DriverErrorCode.Refused, `${classId}/${obis}:${attr} refused: ${r.resultName}`, {
        detail: { resultName: r.resultName, obis, classId, attribute: attr },
      });
    return r.value;
  });
}

/** Supply control over disconnect control (class 70): methods 1 and 2, attributes 2..4 read back. */
export class DlmsSupplyControl implements SupplyControl {
  readonly #op: DlmsOperation;
  readonly #obis: string;

  constructor(op: DlmsOperation, obis: string) {
    this.#op = op;
    this.#obis = obis;
  }

  disconnect(): Promise<DisconnectorState> {
    return this.#act(DC.remoteDisconnect);
  }

  reconnect(): Promise<DisconnectorState> {
    return this.#act(DC.remoteReconnect);
  }

  readDisconnector(): Promise<DisconnectorState> {
    return this.#op((client) => this.#read(client));
  }

  #act(method: number): Promise<DisconnectorState> {
    return this.#op(async (client) => {
      await client.action(this.#obis, DISCONNECT, method, NO_DATA);
      return this.#read(client);
    });
  }

  async #read(client: DlmsClientPort): Promise<DisconnectorState> {
    const values = await readAll(client, this.#obis, DISCONNECT, [
      DC.outputState,
      DC.controlState,
      DC.controlMode,
    ]);
    const d = decoded(() => decodeDisconnectControl(values));
    const state = d.controlState.value;
    if (state !== 0 && state !== 1 && state !== 2) throw protocol(`control_state ${state} outside 0..2`);
    return {
      outputState: d.outputState,
      controlState: state as ControlState,
      controlMode: d.controlMode.value,
    };
  }
}

/** Load limiting over the limiter (class 71): SET of its settings, GET of attributes 2..11. */
export class DlmsLoadLimiting implements LoadLimiting {
  readonly #op: DlmsOperation;
  readonly #obis: string;

  constructor(op: DlmsOperation, obis: string) {
    this.#op = op;
    this.#obis = obis;
  }

  readLimiter(): Promise<Limiter> {
    return this.#op((client) => this.#read(client));
  }

  async setLimiter(settings: LimiterSettings): Promise<Limiter> {
    const s = settings;
    // Everything but the thresholds is checked and encoded before the first request.
    const rest: [number, DlmsData][] = [];
    if (s.minOverThresholdDuration !== undefined)
      rest.push([LIM.minOver, seconds(s.minOverThresholdDuration, 'min_over_threshold_duration')]);
    if (s.minUnderThresholdDuration !== undefined)
      rest.push([LIM.minUnder, seconds(s.minUnderThresholdDuration, 'min_under_threshold_duration')]);
    if (s.emergencyProfile !== undefined) {
      const p = s.emergencyProfile;
      rest.push([LIM.emergencyProfile, encoded(() => encodeEmergencyProfile(p))]);
    }
    if (s.emergencyProfileGroupIds !== undefined) {
      const ids = s.emergencyProfileGroupIds.map(
        (id): DlmsData => ({ type: 'long-unsigned', value: groupId(id) }),
      );
      rest.push([LIM.groupIds, { type: 'array', value: ids }]);
    }
    return this.#op(async (client) => {
      const writes: [number, DlmsData][] = [];
      if (s.thresholdNormal !== undefined || s.thresholdEmergency !== undefined) {
        // A threshold takes the type of the monitored value; the meter's own threshold tells it.
        const type = await this.#thresholdType(client);
        const threshold = (v: number | bigint) => encoded(() => encodeThreshold(v, type));
        if (s.thresholdNormal !== undefined) writes.push([LIM.thresholdNormal, threshold(s.thresholdNormal)]);
        if (s.thresholdEmergency !== undefined)
          writes.push([LIM.thresholdEmergency, threshold(s.thresholdEmergency)]);
      }
      for (const [attr, value] of [...writes, ...rest]) await client.set(this.#obis, LIMITER, attr, value);
      return this.#read(client);
    });
  }

  async #thresholdType(client: DlmsClientPort): Promise<NumericTypeName> {
    const current = await client.get(this.#obis, LIMITER, LIM.thresholdNormal);
    if (NUMBER_TYPES.has(current.type)) return current.type as NumericTypeName;
    throw protocol(`threshold_normal is ${current.type}, not a number`);
  }

  async #read(client: DlmsClientPort): Promise<Limiter> {
    const attrs: number[] = [];
    for (let a = LIMITER_FIRST; a <= LIMITER_LAST; a++) attrs.push(a);
    const values = await readAll(client, this.#obis, LIMITER, attrs);
    return decoded(() => decodeLimiter(values));
  }
}

function seconds(n: number, name: string): DlmsData {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff)
    throw new DriverError(DriverErrorCode.Invalid, `${name} ${n} is not a whole number of seconds`);
  return { type: 'double-long-unsigned', value: n };
}

function groupId(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff)
    throw new DriverError(DriverErrorCode.Invalid, `emergency profile group id ${n} outside 0..65535`);
  return n;
}
