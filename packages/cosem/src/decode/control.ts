import type { CosemDateTime, DlmsData } from '@openhes/dlms';
import { ControlModeNames, ControlStateNames, ImageTransferStatusNames } from '../classes/control.ts';
import { CosemError, CosemErrorCode } from '../errors.ts';
import { dateTimeOctets, int, structure } from './encode.ts';
import {
  decodeScriptRef,
  decodeValueDefinition,
  encodeScriptRef,
  type ScriptRef,
  type ValueDefinition,
} from './objects.ts';
import {
  element,
  expectBoolean,
  expectDateTime,
  expectInteger,
  expectNumber,
  expectOctets,
  expectStructure,
  isNumeric,
  mapArray,
  type NamedValue,
  named,
  type Path,
} from './shape.ts';

export const ControlState = { disconnected: 0, connected: 1, readyForReconnection: 2 } as const;
export type ControlState = (typeof ControlState)[keyof typeof ControlState];

export function decodeOutputState(d: DlmsData, path: Path = 'output_state'): boolean {
  return expectBoolean(d, path);
}

export function decodeControlState(d: DlmsData, path: Path = 'control_state'): NamedValue {
  return named(expectInteger(d, path), ControlStateNames);
}

export function decodeControlMode(d: DlmsData, path: Path = 'control_mode'): NamedValue {
  return named(expectInteger(d, path), ControlModeNames);
}

export interface DisconnectControl {
  outputState: boolean;
  controlState: NamedValue;
  controlMode: NamedValue;
}

/** Disconnect control attributes 2..4 read together. */
export function decodeDisconnectControl(
  values: readonly DlmsData[],
  path: Path = 'disconnect_control',
): DisconnectControl {
  return {
    outputState: decodeOutputState(element(values, 0, path), `${path}.output_state`),
    controlState: decodeControlState(element(values, 1, path), `${path}.control_state`),
    controlMode: decodeControlMode(element(values, 2, path), `${path}.control_mode`),
  };
}

export function encodeControlMode(mode: number): DlmsData {
  if (!Number.isInteger(mode) || mode < 0 || mode > 6) {
    throw new CosemError(CosemErrorCode.Encode, `control_mode ${mode} outside 0..6`);
  }
  return { type: 'enum', value: mode };
}

export function decodeImageTransferStatus(d: DlmsData, path: Path = 'image_transfer_status'): NamedValue {
  return named(expectInteger(d, path), ImageTransferStatusNames);
}

export interface ImageToActivate {
  size: number;
  identification: Uint8Array;
  signature: Uint8Array;
}

export function decodeImageToActivateInfo(
  d: DlmsData,
  path: Path = 'image_to_activate_info',
): ImageToActivate[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 3, p);
    return {
      size: expectInteger(element(v, 0, p), `${p}.image_to_activate_size`),
      identification: expectOctets(element(v, 1, p), `${p}.image_to_activate_identification`),
      signature: expectOctets(element(v, 2, p), `${p}.image_to_activate_signature`),
    };
  });
}

/** A threshold is a CHOICE of the monitored value's type; numbers are kept as numbers. */
export type Threshold = number | bigint | DlmsData;

function decodeThreshold(d: DlmsData, path: Path): Threshold {
  return isNumeric(d) ? expectNumber(d, path) : d;
}

export interface EmergencyProfile {
  id: number;
  activationTime: CosemDateTime;
  /** Seconds. */
  duration: number;
}

export function decodeEmergencyProfile(d: DlmsData, path: Path = 'emergency_profile'): EmergencyProfile {
  const v = expectStructure(d, 3, path);
  return {
    id: expectInteger(element(v, 0, path), `${path}.emergency_profile_id`),
    activationTime: expectDateTime(element(v, 1, path), `${path}.emergency_activation_time`),
    duration: expectInteger(element(v, 2, path), `${path}.emergency_duration`),
  };
}

export function encodeEmergencyProfile(p: EmergencyProfile): DlmsData {
  return structure(
    int('long-unsigned', p.id, 'emergency_profile_id'),
    dateTimeOctets(p.activationTime, 'emergency_activation_time'),
    int('double-long-unsigned', p.duration, 'emergency_duration'),
  );
}

export interface LimiterActions {
  actionOverThreshold: ScriptRef;
  actionUnderThreshold: ScriptRef;
}

export function decodeLimiterActions(d: DlmsData, path: Path = 'actions'): LimiterActions {
  const v = expectStructure(d, 2, path);
  return {
    actionOverThreshold: decodeScriptRef(element(v, 0, path), `${path}.action_over_threshold`),
    actionUnderThreshold: decodeScriptRef(element(v, 1, path), `${path}.action_under_threshold`),
  };
}

export function encodeLimiterActions(a: LimiterActions): DlmsData {
  return structure(encodeScriptRef(a.actionOverThreshold), encodeScriptRef(a.actionUnderThreshold));
}

export interface Limiter {
  monitoredValue: ValueDefinition;
  thresholdActive: Threshold;
  thresholdNormal: Threshold;
  thresholdEmergency: Threshold;
  minOverThresholdDuration: number;
  minUnderThresholdDuration: number;
  emergencyProfile: EmergencyProfile;
  emergencyProfileGroupIdList: number[];
  emergencyProfileActive: boolean;
  actions: LimiterActions;
}

/** Limiter attributes 2..11 read together. */
export function decodeLimiter(values: readonly DlmsData[], path: Path = 'limiter'): Limiter {
  const at = (i: number) => element(values, i, path);
  return {
    monitoredValue: decodeValueDefinition(at(0), `${path}.monitored_value`),
    thresholdActive: decodeThreshold(at(1), `${path}.threshold_active`),
    thresholdNormal: decodeThreshold(at(2), `${path}.threshold_normal`),
    thresholdEmergency: decodeThreshold(at(3), `${path}.threshold_emergency`),
    minOverThresholdDuration: expectInteger(at(4), `${path}.min_over_threshold_duration`),
    minUnderThresholdDuration: expectInteger(at(5), `${path}.min_under_threshold_duration`),
    emergencyProfile: decodeEmergencyProfile(at(6), `${path}.emergency_profile`),
    emergencyProfileGroupIdList: mapArray(at(7), `${path}.emergency_profile_group_id_list`, expectInteger),
    emergencyProfileActive: expectBoolean(at(8), `${path}.emergency_profile_active`),
    actions: decodeLimiterActions(at(9), `${path}.actions`),
  };
}

export type NumericTypeName =
  | 'integer'
  | 'long'
  | 'double-long'
  | 'unsigned'
  | 'long-unsigned'
  | 'double-long-unsigned'
  | 'long64'
  | 'long64-unsigned'
  | 'float32'
  | 'float64';

/**
 * A threshold (limiter attributes 4/5, register monitor thresholds) in the type of the
 * monitored value; the meter rejects a threshold whose type differs from that value's.
 */
export function encodeThreshold(
  value: number | bigint,
  type: NumericTypeName = 'double-long-unsigned',
): DlmsData {
  if (type === 'long64' || type === 'long64-unsigned') {
    const big = typeof value === 'bigint' ? value : Number.isInteger(value) ? BigInt(value) : undefined;
    const ok =
      big !== undefined &&
      (type === 'long64' ? big >= -(2n ** 63n) && big < 2n ** 63n : big >= 0n && big < 2n ** 64n);
    if (!ok) throw new CosemError(CosemErrorCode.Encode, `threshold ${value} does not fit ${type}`);
    return { type, value: big };
  }
  const n = Number(value);
  if (type === 'float32' || type === 'float64') {
    if (Number.isNaN(n)) throw new CosemError(CosemErrorCode.Encode, 'threshold is NaN');
    return { type, value: n };
  }
  return int(type, n, 'threshold');
}

export function encodeThresholds(values: readonly (number | bigint)[], type?: NumericTypeName): DlmsData {
  return { type: 'array', value: values.map((v) => encodeThreshold(v, type)) };
}

export function decodeThresholds(d: DlmsData, path: Path = 'thresholds'): Threshold[] {
  return mapArray(d, path, decodeThreshold);
}

export interface RegisterMonitorActionSet {
  actionUp: ScriptRef;
  actionDown: ScriptRef;
}

export function decodeRegisterMonitorActions(
  d: DlmsData,
  path: Path = 'actions',
): RegisterMonitorActionSet[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 2, p);
    return {
      actionUp: decodeScriptRef(element(v, 0, p), `${p}.action_up`),
      actionDown: decodeScriptRef(element(v, 1, p), `${p}.action_down`),
    };
  });
}

export interface RegisterMonitor {
  thresholds: Threshold[];
  monitoredValue: ValueDefinition;
  actions: RegisterMonitorActionSet[];
}

/** Register monitor attributes 2..4 read together. */
export function decodeRegisterMonitor(
  values: readonly DlmsData[],
  path: Path = 'register_monitor',
): RegisterMonitor {
  return {
    thresholds: decodeThresholds(element(values, 0, path), `${path}.thresholds`),
    monitoredValue: decodeValueDefinition(element(values, 1, path), `${path}.monitored_value`),
    actions: decodeRegisterMonitorActions(element(values, 2, path), `${path}.actions`),
  };
}
