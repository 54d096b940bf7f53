import type { DlmsData } from '@openhes/dlms';
import { attributeDef, attributeName } from './classes/index.ts';
import type { ValueCodec } from './classes/types.ts';
import {
  decodeApplicationContextName,
  decodeAssociatedPartnersId,
  decodeAuthenticationMechanismName,
  decodeObjectList,
  decodeSapAssignmentList,
  decodeSecurityPolicy,
  decodeXdlmsContextInfo,
} from './decode/association.ts';
import {
  decodeDayProfileTable,
  decodeExecutionTime,
  decodeScripts,
  decodeSeasonProfile,
  decodeSpecialDays,
  decodeWeekProfileTable,
} from './decode/calendar.ts';
import { decodeClockStatus } from './decode/clock.ts';
import {
  decodeEmergencyProfile,
  decodeImageToActivateInfo,
  decodeLimiterActions,
  decodeRegisterMonitorActions,
  decodeThresholds,
} from './decode/control.ts';
import {
  type CaptureObject,
  decodeCaptureObject,
  decodeCaptureObjects,
  decodeIntegerArray,
  decodeScriptRef,
  decodeValueDefinition,
} from './decode/objects.ts';
import { decodeProfileBuffer, type ProfileBuffer, type ScalerSource } from './decode/profile.ts';
import {
  decodeCommunicationWindow,
  decodePushObjectList,
  decodeRepetitionDelay,
  decodeSendDestinationAndMethod,
} from './decode/push.ts';
import {
  expectDate,
  expectDateTime,
  expectInteger,
  expectLogicalName,
  expectStructure,
  expectTime,
  mapArray,
  type NamedValue,
  type Path,
} from './decode/shape.ts';
import { CosemError } from './errors.ts';
import { decodeScalerUnit } from './units.ts';

/** Register activation register_assignment: array of {class_id, logical_name}. */
function decodeRegisterAssignment(d: DlmsData, path: Path) {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 2, p);
    return {
      classId: expectInteger(v[0]!, `${p}.class_id`),
      logicalName: expectLogicalName(v[1]!, `${p}.logical_name`),
    };
  });
}

/** One decoder per codec named in the class tables; the Record type keeps the two in step. */
export const VALUE_DECODERS = {
  logical_name: expectLogicalName,
  date_time: expectDateTime,
  date: expectDate,
  time: expectTime,
  scal_unit_type: decodeScalerUnit,
  capture_objects: decodeCaptureObjects,
  capture_object_definition: decodeCaptureObject,
  clock_status: decodeClockStatus,
  season_profile: decodeSeasonProfile,
  week_profile_table: decodeWeekProfileTable,
  day_profile_table: decodeDayProfileTable,
  push_object_list: decodePushObjectList,
  send_destination_and_method: decodeSendDestinationAndMethod,
  communication_window: decodeCommunicationWindow,
  repetition_delay: decodeRepetitionDelay,
  object_list: (d: DlmsData, path: Path) => decodeObjectList(d, path),
  associated_partners_id: decodeAssociatedPartnersId,
  application_context_name: decodeApplicationContextName,
  authentication_mechanism_name: decodeAuthenticationMechanismName,
  xdlms_context_info: decodeXdlmsContextInfo,
  image_to_activate_info: decodeImageToActivateInfo,
  value_definition: decodeValueDefinition,
  emergency_profile: decodeEmergencyProfile,
  limiter_actions: decodeLimiterActions,
  register_monitor_actions: decodeRegisterMonitorActions,
  thresholds: decodeThresholds,
  script: decodeScriptRef,
  execution_time: decodeExecutionTime,
  special_days_entries: decodeSpecialDays,
  scripts: decodeScripts,
  security_policy: (d: DlmsData, path: Path) => decodeSecurityPolicy(d, path),
  register_assignment: decodeRegisterAssignment,
  sap_assignment_list: decodeSapAssignmentList,
  unsigned_array: decodeIntegerArray,
} as const satisfies Record<ValueCodec, (d: DlmsData, path: Path) => unknown>;

type Decoded<K extends ValueCodec> = ReturnType<(typeof VALUE_DECODERS)[K]>;

export type DescribedValue =
  | { [K in ValueCodec]: { kind: K; value: Decoded<K> } }[ValueCodec]
  | { kind: 'enum'; value: NamedValue }
  | { kind: 'profile_buffer'; value: ProfileBuffer }
  /** No decoder for this attribute, or the value did not have the expected shape (`error`). */
  | { kind: 'raw'; value: DlmsData; error?: CosemError };

export interface DescribeOptions {
  /** Profile generic buffer (7/2) needs the capture objects (7/3) to type its cells. */
  captureObjects?: readonly CaptureObject[] | DlmsData;
  scalers?: ScalerSource;
}

export interface Description {
  classId: number;
  attributeIndex: number;
  attributeName: string | undefined;
  described: DescribedValue;
}

function decodeByDef(
  classId: number,
  attributeIndex: number,
  data: DlmsData,
  options: DescribeOptions,
): DescribedValue {
  const name = attributeName(classId, attributeIndex) ?? `attribute_${attributeIndex}`;
  if (classId === 7 && attributeIndex === 2 && options.captureObjects !== undefined) {
    return {
      kind: 'profile_buffer',
      value: decodeProfileBuffer(data, options.captureObjects, options.scalers, name),
    };
  }
  const def =
    attributeIndex === 1
      ? { codec: 'logical_name' as const, values: undefined }
      : attributeDef(classId, attributeIndex);
  if (def?.codec !== undefined) {
    const codec: ValueCodec = def.codec;
    const decode = VALUE_DECODERS[codec] as (d: DlmsData, path: Path) => unknown;
    return { kind: codec, value: decode(data, name) } as DescribedValue;
  }
  if (def?.values !== undefined) {
    const value = expectInteger(data, name);
    return { kind: 'enum', value: { value, name: def.values[value] } };
  }
  return { kind: 'raw', value: data };
}

/**
 * Types an attribute value by its class and index (for display, e.g. the CLI). Unknown
 * attributes come back raw; a value of the wrong shape comes back raw with the CosemError.
 */
export function describeValue(
  classId: number,
  attributeIndex: number,
  data: DlmsData,
  options: DescribeOptions = {},
): Description {
  let described: DescribedValue;
  try {
    described = decodeByDef(classId, attributeIndex, data, options);
  } catch (e) {
    if (!(e instanceof CosemError)) throw e;
    described = { kind: 'raw', value: data, error: e };
  }
  return { classId, attributeIndex, attributeName: attributeName(classId, attributeIndex), described };
}
