import type { DataTypeName } from '@openhes/dlms';

/**
 * Type of an attribute or method parameter as the Blue Book states it. `date-time`, `date`
 * and `time` are octet-strings of 12, 5 and 4 bytes carrying COSEM date/time fields; `any`
 * is a CHOICE of simple types (e.g. Data.value, Register.value).
 */
export type ValueType =
  | Exclude<DataTypeName, 'dont-care' | 'date-time' | 'date' | 'time'>
  | 'any'
  | 'date-time'
  | 'date'
  | 'time';

/**
 * Decoders for structured values, named after the Blue Book type or attribute they decode.
 * `describeValue` holds one decoder per name; the class tables refer to them by name.
 */
export const VALUE_CODECS = [
  'logical_name',
  'date_time',
  'date',
  'time',
  'scal_unit_type',
  'capture_objects',
  'capture_object_definition',
  'clock_status',
  'season_profile',
  'week_profile_table',
  'day_profile_table',
  'push_object_list',
  'send_destination_and_method',
  'communication_window',
  'repetition_delay',
  'object_list',
  'associated_partners_id',
  'application_context_name',
  'authentication_mechanism_name',
  'xdlms_context_info',
  'image_to_activate_info',
  'value_definition',
  'emergency_profile',
  'limiter_actions',
  'register_monitor_actions',
  'thresholds',
  'script',
  'execution_time',
  'special_days_entries',
  'scripts',
  'security_policy',
  'register_assignment',
  'sap_assignment_list',
  'unsigned_array',
] as const;
export type ValueCodec = (typeof VALUE_CODECS)[number];

/** Typical access from a client: r = read, w = write, rw = read and write, x = none. */
export type AccessHint = 'r' | 'w' | 'rw' | 'x';

export interface AttributeDef {
  readonly index: number;
  readonly name: string;
  readonly type: ValueType;
  /** Decoder for the structured value (see VALUE_CODECS). */
  readonly codec?: ValueCodec;
  /** Names of an enum's values. */
  readonly values?: Readonly<Record<number, string>>;
  readonly access: AccessHint;
  /** Static attributes are configuration; dynamic ones change as the meter runs. */
  readonly dynamic: boolean;
  /** First class version that has this attribute (default 0). */
  readonly since?: number;
  /**
   * Index of the scaler_unit attribute that scales this attribute's value (Register value 2
   * → 3, Demand register current/last average value 2 and 3 → 4). Absent: not scaled.
   */
  readonly scaledBy?: number;
  readonly note?: string;
}

export interface MethodDef {
  readonly index: number;
  readonly name: string;
  readonly parameter: ValueType | 'null-data';
  readonly codec?: ValueCodec;
  readonly since?: number;
  /** Last version that has this method (methods dropped in later versions). */
  readonly until?: number;
  readonly note?: string;
}

export interface InterfaceClassDef {
  readonly classId: number;
  /** Newest version modelled here; a meter states its own version in its object list. */
  readonly version: number;
  readonly name: string;
  readonly attributes: readonly AttributeDef[];
  readonly methods: readonly MethodDef[];
}

export const LOGICAL_NAME_ATTRIBUTE = {
  index: 1,
  name: 'logical_name',
  type: 'octet-string',
  codec: 'logical_name',
  access: 'r',
  dynamic: false,
} as const satisfies AttributeDef;

/** Methods whose parameter is `integer(0)` on the wire (reset, capture, activate …). */
export const RESET_METHOD = { index: 1, name: 'reset', parameter: 'integer' } as const satisfies MethodDef;
