import { DlmsError, DlmsErrorCode } from '../errors.ts';

/** DLMS UA arc {joint-iso-ccitt(2) country(16) country-name(756) identified-organization(5) DLMS-UA(8)}. */
export const DLMS_UA_OID = '2.16.756.5.8';

/**
 * Application context names, `2.16.756.5.8.1.<context_id>` (Green Book). A decoded OID
 * outside this list is kept as its dotted string.
 */
export const ApplicationContextName = {
  'logical-name-referencing-no-ciphering': 1,
  'short-name-referencing-no-ciphering': 2,
  'logical-name-referencing-with-ciphering': 3,
  'short-name-referencing-with-ciphering': 4,
} as const;
export type ApplicationContextName = (typeof ApplicationContextName)[keyof typeof ApplicationContextName];
export type ApplicationContextNameKey = keyof typeof ApplicationContextName;

/**
 * Authentication mechanism names, `2.16.756.5.8.2.<mechanism_id>` (Green Book
 * COSEM_lowest_level_security … COSEM_high_level_security_mechanism_name_using_ECDSA).
 */
export const MechanismName = {
  none: 0,
  lls: 1,
  hls: 2,
  'hls-md5': 3,
  'hls-sha1': 4,
  'hls-gmac': 5,
  'hls-sha256': 6,
  'hls-ecdsa': 7,
} as const;
export type MechanismName = (typeof MechanismName)[keyof typeof MechanismName];
export type MechanismNameKey = keyof typeof MechanismName;

const CONTEXT_ARC = `${DLMS_UA_OID}.1.`;
const MECHANISM_ARC = `${DLMS_UA_OID}.2.`;

function keyOf<T extends Record<string, number>>(table: T, value: number): keyof T | undefined {
  for (const k of Object.keys(table)) if (table[k] === value) return k;
  return undefined;
}

function fromOid<T extends number>(table: Record<string, T>, arc: string, oid: string): T | string {
  const last = oid.slice(arc.length);
  if (!oid.startsWith(arc) || !/^(0|[1-9][0-9]{0,2})$/.test(last)) return oid;
  const id = Number(last);
  return keyOf(table, id) === undefined ? oid : (id as T);
}

function toOid(table: Record<string, number>, arc: string, value: number | string, what: string): string {
  if (typeof value === 'string') return value;
  if (keyOf(table, value) === undefined) {
    throw new DlmsError(DlmsErrorCode.Encode, `${what} ${value} is not a known id; pass an OID string`);
  }
  return `${arc}${value}`;
}

export function applicationContextNameFromOid(oid: string): ApplicationContextName | string {
  return fromOid(ApplicationContextName, CONTEXT_ARC, oid);
}

export function applicationContextNameToOid(name: ApplicationContextName | string): string {
  return toOid(ApplicationContextName, CONTEXT_ARC, name, 'application-context-name');
}

/** The standard name, or the dotted OID when it is not a DLMS UA context. */
export function applicationContextNameText(name: ApplicationContextName | string): string {
  return typeof name === 'string' ? name : (keyOf(ApplicationContextName, name) ?? `context ${name}`);
}

export function mechanismNameFromOid(oid: string): MechanismName | string {
  return fromOid(MechanismName, MECHANISM_ARC, oid);
}

export function mechanismNameToOid(name: MechanismName | string): string {
  return toOid(MechanismName, MECHANISM_ARC, name, 'mechanism-name');
}

export function mechanismNameText(name: MechanismName | string): string {
  return typeof name === 'string' ? name : (keyOf(MechanismName, name) ?? `mechanism ${name}`);
}

/** AARE result [2] (Association-result). */
export const AssociationResult = {
  accepted: 0,
  'rejected-permanent': 1,
  'rejected-transient': 2,
} as const;
export type AssociationResult = (typeof AssociationResult)[keyof typeof AssociationResult];

/** Associate-source-diagnostic, acse-service-user [1]. */
export const AcseServiceUser = {
  null: 0,
  'no-reason-given': 1,
  'application-context-name-not-supported': 2,
  'calling-AP-title-not-recognized': 3,
  'calling-AP-invocation-identifier-not-recognized': 4,
  'calling-AE-qualifier-not-recognized': 5,
  'calling-AE-invocation-identifier-not-recognized': 6,
  'called-AP-title-not-recognized': 7,
  'called-AP-invocation-identifier-not-recognized': 8,
  'called-AE-qualifier-not-recognized': 9,
  'called-AE-invocation-identifier-not-recognized': 10,
  'authentication-mechanism-name-not-recognised': 11,
  'authentication-mechanism-name-required': 12,
  'authentication-failure': 13,
  'authentication-required': 14,
} as const;
export type AcseServiceUser = (typeof AcseServiceUser)[keyof typeof AcseServiceUser];

/** Associate-source-diagnostic, acse-service-provider [2]. */
export const AcseServiceProvider = {
  null: 0,
  'no-reason-given': 1,
  'no-common-acse-version': 2,
} as const;
export type AcseServiceProvider = (typeof AcseServiceProvider)[keyof typeof AcseServiceProvider];

/**
 * Associate-source-diagnostic CHOICE. `value` stays a plain number so that a meter's
 * non-standard diagnostic still decodes and can be reported.
 */
export type ResultSourceDiagnostic =
  | { source: 'acse-service-user'; value: number }
  | { source: 'acse-service-provider'; value: number };

export function resultSourceDiagnosticText(d: ResultSourceDiagnostic): string {
  const table = d.source === 'acse-service-user' ? AcseServiceUser : AcseServiceProvider;
  const name = keyOf(table, d.value);
  return `${d.source} ${name ?? 'unknown'} (${d.value})`;
}

export function associationResultText(result: AssociationResult): string {
  return keyOf(AssociationResult, result) ?? `unknown result ${result}`;
}

/** RLRQ reason [0] (Release-request-reason). */
export const ReleaseRequestReason = {
  normal: 0,
  urgent: 1,
  'user-defined': 30,
} as const;
export type ReleaseRequestReason = (typeof ReleaseRequestReason)[keyof typeof ReleaseRequestReason];

/** RLRE reason [0] (Release-response-reason). */
export const ReleaseResponseReason = {
  normal: 0,
  'not-finished': 1,
  'user-defined': 30,
} as const;
export type ReleaseResponseReason = (typeof ReleaseResponseReason)[keyof typeof ReleaseResponseReason];

export function isOneOf<T extends number>(table: Record<string, T>, value: number): value is T {
  return keyOf(table, value) !== undefined;
}
