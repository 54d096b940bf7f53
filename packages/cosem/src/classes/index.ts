import { ASSOCIATION_LN, SAP_ASSIGNMENT, SECURITY_SETUP } from './association.ts';
import {
  GPRS_MODEM_SETUP,
  GSM_DIAGNOSTIC,
  IEC_HDLC_SETUP,
  PUSH_SETUP,
  TCP_UDP_SETUP,
} from './communication.ts';
import { DISCONNECT_CONTROL, IMAGE_TRANSFER, LIMITER, REGISTER_MONITOR, STATUS_MAPPING } from './control.ts';
import {
  DATA,
  DEMAND_REGISTER,
  EXTENDED_REGISTER,
  PROFILE_GENERIC,
  REGISTER,
  REGISTER_ACTIVATION,
} from './registers.ts';
import {
  ACTIVITY_CALENDAR,
  CLOCK,
  SCRIPT_TABLE,
  SINGLE_ACTION_SCHEDULE,
  SPECIAL_DAYS_TABLE,
} from './time.ts';
import type { AttributeDef, InterfaceClassDef, MethodDef } from './types.ts';

export * from './association.ts';
export * from './communication.ts';
export * from './control.ts';
export * from './ids.ts';
export * from './methods.ts';
export * from './registers.ts';
export * from './time.ts';
export * from './types.ts';

export const INTERFACE_CLASSES = [
  DATA,
  REGISTER,
  EXTENDED_REGISTER,
  DEMAND_REGISTER,
  REGISTER_ACTIVATION,
  PROFILE_GENERIC,
  CLOCK,
  SCRIPT_TABLE,
  SPECIAL_DAYS_TABLE,
  ASSOCIATION_LN,
  SAP_ASSIGNMENT,
  IMAGE_TRANSFER,
  ACTIVITY_CALENDAR,
  REGISTER_MONITOR,
  SINGLE_ACTION_SCHEDULE,
  IEC_HDLC_SETUP,
  PUSH_SETUP,
  TCP_UDP_SETUP,
  GPRS_MODEM_SETUP,
  GSM_DIAGNOSTIC,
  STATUS_MAPPING,
  SECURITY_SETUP,
  DISCONNECT_CONTROL,
  LIMITER,
] as const satisfies readonly InterfaceClassDef[];

type ModelledClass = (typeof INTERFACE_CLASSES)[number];
export type InterfaceClassId = ModelledClass['classId'];
export type InterfaceClassOf<Id extends InterfaceClassId> = Extract<ModelledClass, { classId: Id }>;
export type AttributeNameOf<Id extends InterfaceClassId> = InterfaceClassOf<Id>['attributes'][number]['name'];
export type MethodNameOf<Id extends InterfaceClassId> = InterfaceClassOf<Id>['methods'][number]['name'];

/** Class ids the reference tables name but this model does not describe attribute by attribute. */
export const CLASS_NAMES: Readonly<Record<number, string>> = {
  10: 'Schedule',
  12: 'Association SN',
  19: 'IEC local port setup',
  24: 'IEC twisted pair (1) setup',
  25: 'M-Bus slave port setup',
  26: 'Utility tables',
  27: 'Modem configuration',
  28: 'Auto answer',
  29: 'Auto connect',
  30: 'COSEM data protection',
  42: 'IPv4 setup',
  43: 'MAC address setup',
  44: 'PPP setup',
  46: 'SMTP setup',
  48: 'IPv6 setup',
  61: 'Register table',
  62: 'Compact data',
  65: 'Parameter monitor',
  68: 'Arbitrator',
  72: 'M-Bus client',
  73: 'Wireless Mode Q channel',
  74: 'M-Bus master port setup',
  76: 'DLMS/COSEM server M-Bus port setup',
  77: 'M-Bus diagnostic',
  100: 'NTP setup',
  111: 'Account',
  112: 'Credit',
  113: 'Charge',
  115: 'Token gateway',
  122: 'Function control',
  123: 'Array manager',
  124: 'Communication port protection',
  151: 'LTE monitoring',
  ...Object.fromEntries(INTERFACE_CLASSES.map((c) => [c.classId, c.name])),
};

const BY_ID: ReadonlyMap<number, InterfaceClassDef> = new Map(INTERFACE_CLASSES.map((c) => [c.classId, c]));

export function getInterfaceClass<Id extends InterfaceClassId>(classId: Id): InterfaceClassOf<Id>;
export function getInterfaceClass(classId: number): InterfaceClassDef | undefined;
export function getInterfaceClass(classId: number): InterfaceClassDef | undefined {
  return BY_ID.get(classId);
}

export function className(classId: number): string | undefined {
  return CLASS_NAMES[classId];
}

export function attributeDef(classId: number, index: number): AttributeDef | undefined {
  return BY_ID.get(classId)?.attributes.find((a) => a.index === index);
}

export function methodDef(classId: number, index: number): MethodDef | undefined {
  return BY_ID.get(classId)?.methods.find((m) => m.index === index);
}

/** Attribute 1 is logical_name for every class, modelled or not. */
export function attributeName(classId: number, index: number): string | undefined {
  if (index === 1) return 'logical_name';
  return attributeDef(classId, index)?.name;
}

export function methodName(classId: number, index: number): string | undefined {
  return methodDef(classId, index)?.name;
}

export function attributeIndex<Id extends InterfaceClassId>(classId: Id, name: AttributeNameOf<Id>): number {
  return getInterfaceClass(classId).attributes.find((a: AttributeDef) => a.name === name)!.index;
}

export function methodIndex<Id extends InterfaceClassId>(classId: Id, name: MethodNameOf<Id>): number {
  return getInterfaceClass(classId).methods.find((m: MethodDef) => m.name === name)!.index;
}

/**
 * The scaler_unit attribute that scales a value attribute, as the class tables state it
 * (`AttributeDef.scaledBy`): Register and Extended register value 2 → 3, Demand register
 * current_average_value 2 and last_average_value 3 → 4. Undefined for every other
 * attribute, scaler_unit itself and the status and capture_time attributes included.
 */
export function scalerUnitAttribute(classId: number, valueAttribute: number): number | undefined {
  return attributeDef(classId, valueAttribute)?.scaledBy;
}
