import type { BitString, DlmsData } from '@openhes/dlms';
import { AssociationStatusNames, SecuritySuiteNames } from '../classes/association.ts';
import type { Obis } from '../obis.ts';
import {
  element,
  expectInteger,
  expectLogicalName,
  expectOctets,
  expectStructure,
  expectStructureMin,
  expectType,
  mapArray,
  type NamedValue,
  named,
  type Path,
  shapeError,
} from './shape.ts';

/** Association LN attribute access_mode, versions 0..2. */
export const AttributeAccessModeNames = {
  0: 'no_access',
  1: 'read_only',
  2: 'write_only',
  3: 'read_write',
  4: 'authenticated_read_only',
  5: 'authenticated_write_only',
  6: 'authenticated_read_write',
} as const;

/** Association LN method access_mode, versions 1..2 (version 0 sends a boolean). */
export const MethodAccessModeNames = { 0: 'no_access', 1: 'access', 2: 'authenticated_access' } as const;

/**
 * Association LN version 3 access modes are bit maps (b0 = least significant bit). For
 * method_access b0 means "access"; the request/response bits are shared.
 */
export const AccessModeBit = {
  read: 0x01,
  write: 0x02,
  authenticatedRequest: 0x04,
  encryptedRequest: 0x08,
  digitallySignedRequest: 0x10,
  authenticatedResponse: 0x20,
  encryptedResponse: 0x40,
  digitallySignedResponse: 0x80,
} as const;

export interface AttributeAccess {
  attributeId: number;
  accessMode: number;
  accessModeName: string | undefined;
  read: boolean;
  write: boolean;
  /** Selective access selectors allowed, or null when the meter sends null-data. */
  accessSelectors: number[] | null;
}

export interface MethodAccess {
  methodId: number;
  accessMode: number;
  accessModeName: string | undefined;
  allowed: boolean;
}

export interface ObjectListEntry {
  classId: number;
  version: number;
  logicalName: Obis;
  accessRights: { attributeAccess: AttributeAccess[]; methodAccess: MethodAccess[] };
}

export interface ObjectListOptions {
  /** Version of the Association LN object itself; 3 and above use bit-mapped access modes. */
  associationVersion?: number;
}

function bitNames(mode: number, bits: Readonly<Record<string, number>>, none: string): string {
  const names = Object.entries(bits)
    .filter(([, m]) => (mode & m) !== 0)
    .map(([n]) => n);
  return names.length === 0 ? none : names.join('|');
}

function decodeAttributeAccess(d: DlmsData, path: Path, bitmapped: boolean): AttributeAccess {
  const v = expectStructure(d, 3, path);
  const mode = expectInteger(element(v, 1, path), `${path}.access_mode`);
  const selectors = element(v, 2, path);
  const read = bitmapped ? (mode & AccessModeBit.read) !== 0 : [1, 3, 4, 6].includes(mode);
  const write = bitmapped ? (mode & AccessModeBit.write) !== 0 : [2, 3, 5, 6].includes(mode);
  return {
    attributeId: expectInteger(element(v, 0, path), `${path}.attribute_id`),
    accessMode: mode,
    accessModeName: bitmapped
      ? bitNames(mode, AccessModeBit, 'no_access')
      : named(mode, AttributeAccessModeNames).name,
    read,
    write,
    accessSelectors:
      selectors.type === 'null-data' ? null : mapArray(selectors, `${path}.access_selectors`, expectInteger),
  };
}

function decodeMethodAccess(d: DlmsData, path: Path, bitmapped: boolean): MethodAccess {
  const v = expectStructure(d, 2, path);
  const modeData = element(v, 1, path);
  const mode =
    modeData.type === 'boolean' ? (modeData.value ? 1 : 0) : expectInteger(modeData, `${path}.access_mode`);
  return {
    methodId: expectInteger(element(v, 0, path), `${path}.method_id`),
    accessMode: mode,
    accessModeName: bitmapped
      ? bitNames(mode, AccessModeBit, 'no_access')
      : named(mode, MethodAccessModeNames).name,
    allowed: bitmapped ? (mode & AccessModeBit.read) !== 0 : mode !== 0,
  };
}

export function decodeObjectListEntry(
  d: DlmsData,
  path: Path = 'object_list_element',
  options: ObjectListOptions = {},
): ObjectListEntry {
  const bitmapped = (options.associationVersion ?? 0) >= 3;
  const v = expectStructure(d, 4, path);
  const rightsPath = `${path}.access_rights`;
  const rights = expectStructure(element(v, 3, path), 2, rightsPath);
  return {
    classId: expectInteger(element(v, 0, path), `${path}.class_id`),
    version: expectInteger(element(v, 1, path), `${path}.version`),
    logicalName: expectLogicalName(element(v, 2, path), `${path}.logical_name`),
    accessRights: {
      attributeAccess: mapArray(element(rights, 0, rightsPath), `${rightsPath}.attribute_access`, (e, p) =>
        decodeAttributeAccess(e, p, bitmapped),
      ),
      methodAccess: mapArray(element(rights, 1, rightsPath), `${rightsPath}.method_access`, (e, p) =>
        decodeMethodAccess(e, p, bitmapped),
      ),
    },
  };
}

export function decodeObjectList(
  d: DlmsData,
  path: Path = 'object_list',
  options: ObjectListOptions = {},
): ObjectListEntry[] {
  return mapArray(d, path, (e, p) => decodeObjectListEntry(e, p, options));
}

export interface AssociatedPartnersId {
  clientSap: number;
  serverSap: number;
}

export function decodeAssociatedPartnersId(
  d: DlmsData,
  path: Path = 'associated_partners_id',
): AssociatedPartnersId {
  const v = expectStructure(d, 2, path);
  return {
    clientSap: expectInteger(element(v, 0, path), `${path}.client_SAP`),
    serverSap: expectInteger(element(v, 1, path), `${path}.server_SAP`),
  };
}

export const AuthenticationMechanismNames = {
  0: 'lowest',
  1: 'low',
  2: 'high',
  3: 'high_md5',
  4: 'high_sha1',
  5: 'high_gmac',
  6: 'high_sha256',
  7: 'high_ecdsa',
} as const;

export const ApplicationContextNames = {
  1: 'logical_name_referencing_no_ciphering',
  2: 'short_name_referencing_no_ciphering',
  3: 'logical_name_referencing_with_ciphering',
  4: 'short_name_referencing_with_ciphering',
} as const;

/** {joint-iso-ccitt(2) country(16) country-name(756) identified-organization(5) DLMS-UA(8)}. */
const DLMS_UA_ARCS = [2, 16, 756, 5, 8] as const;

export interface DlmsObjectIdentifier {
  /** Dotted OID, e.g. "2.16.756.5.8.2.5". */
  oid: string;
  /** Last arc when the OID is under DLMS UA's expected arc (1 = context, 2 = mechanism). */
  id: number | undefined;
  name: string | undefined;
}

/** BER object identifier contents: first byte 40·X + Y, then base-128 arcs. */
function oidArcs(bytes: Uint8Array, path: Path): number[] {
  if (bytes.length === 0) shapeError(path, 'empty object identifier');
  const first = bytes[0]!;
  const arcs = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  let acc = 0;
  let pending = false;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i]!;
    acc = acc * 128 + (b & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) shapeError(path, 'object identifier arc too large');
    pending = (b & 0x80) !== 0;
    if (!pending) {
      arcs.push(acc);
      acc = 0;
    }
  }
  if (pending) shapeError(path, 'object identifier ends inside an arc');
  return arcs;
}

function dlmsOid(
  d: DlmsData,
  path: Path,
  branch: number,
  names: Readonly<Record<number, string>>,
): DlmsObjectIdentifier {
  const arcs =
    d.type === 'structure'
      ? expectStructureMin(d, 7, path).map((e, i) => expectInteger(e, `${path}[${i}]`))
      : oidArcs(expectOctets(d, path), path);
  const underDlms =
    arcs.length === DLMS_UA_ARCS.length + 2 &&
    DLMS_UA_ARCS.every((a, i) => arcs[i] === a) &&
    arcs[DLMS_UA_ARCS.length] === branch;
  const id = underDlms ? arcs[arcs.length - 1] : undefined;
  return { oid: arcs.join('.'), id, name: id === undefined ? undefined : names[id] };
}

export function decodeAuthenticationMechanismName(
  d: DlmsData,
  path: Path = 'authentication_mechanism_name',
): DlmsObjectIdentifier {
  return dlmsOid(d, path, 2, AuthenticationMechanismNames);
}

export function decodeApplicationContextName(
  d: DlmsData,
  path: Path = 'application_context_name',
): DlmsObjectIdentifier {
  return dlmsOid(d, path, 1, ApplicationContextNames);
}

export interface XdlmsContextInfo {
  conformance: BitString;
  maxReceivePduSize: number;
  maxSendPduSize: number;
  dlmsVersionNumber: number;
  qualityOfService: number;
  cypheringInfo: Uint8Array;
}

export function decodeXdlmsContextInfo(d: DlmsData, path: Path = 'xDLMS_context_info'): XdlmsContextInfo {
  const v = expectStructure(d, 6, path);
  return {
    conformance: expectType(element(v, 0, path), 'bit-string', `${path}.conformance`).value,
    maxReceivePduSize: expectInteger(element(v, 1, path), `${path}.max_receive_pdu_size`),
    maxSendPduSize: expectInteger(element(v, 2, path), `${path}.max_send_pdu_size`),
    dlmsVersionNumber: expectInteger(element(v, 3, path), `${path}.dlms_version_number`),
    qualityOfService: expectInteger(element(v, 4, path), `${path}.quality_of_service`),
    cypheringInfo: expectOctets(element(v, 5, path), `${path}.cyphering_info`),
  };
}

export function decodeAssociationStatus(d: DlmsData, path: Path = 'association_status'): NamedValue {
  return named(expectInteger(d, path), AssociationStatusNames);
}

/** Security setup version 0 security_policy enumeration. */
export const SecurityPolicyV0Names = {
  0: 'nothing',
  1: 'all_messages_authenticated',
  2: 'all_messages_encrypted',
  3: 'all_messages_authenticated_and_encrypted',
} as const;

/** Security setup version 1 security_policy bits (b0, b1 unused). */
export const SecurityPolicyBit = {
  authenticatedRequest: 0x04,
  encryptedRequest: 0x08,
  digitallySignedRequest: 0x10,
  authenticatedResponse: 0x20,
  encryptedResponse: 0x40,
  digitallySignedResponse: 0x80,
} as const;

export interface SecurityPolicy {
  raw: number;
  version: 0 | 1;
  name: string | undefined;
}

/**
 * Without `version`, 0..3 is read as the version 0 enumeration and larger values as the
 * version 1 bit map (bits 0 and 1 are unused there, so the ranges do not overlap in practice).
 */
export function decodeSecurityPolicy(
  d: DlmsData,
  path: Path = 'security_policy',
  version?: number,
): SecurityPolicy {
  const raw = expectInteger(d, path);
  const v: 0 | 1 = version === undefined ? (raw > 3 ? 1 : 0) : version >= 1 ? 1 : 0;
  return {
    raw,
    version: v,
    name: v === 0 ? named(raw, SecurityPolicyV0Names).name : bitNames(raw, SecurityPolicyBit, 'nothing'),
  };
}

export interface SecuritySetup {
  securityPolicy: SecurityPolicy;
  securitySuite: NamedValue;
  clientSystemTitle: Uint8Array;
  serverSystemTitle: Uint8Array;
}

/** Security setup attributes 2..5 read together. */
export function decodeSecuritySetup(
  values: readonly DlmsData[],
  path: Path = 'security_setup',
  version?: number,
): SecuritySetup {
  const at = (i: number) => element(values, i, path);
  return {
    securityPolicy: decodeSecurityPolicy(at(0), `${path}.security_policy`, version),
    securitySuite: named(expectInteger(at(1), `${path}.security_suite`), SecuritySuiteNames),
    clientSystemTitle: expectOctets(at(2), `${path}.client_system_title`),
    serverSystemTitle: expectOctets(at(3), `${path}.server_system_title`),
  };
}

export interface SapAssignment {
  sap: number;
  logicalDeviceName: Uint8Array;
}

export function decodeSapAssignmentList(d: DlmsData, path: Path = 'SAP_assignment_list'): SapAssignment[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 2, p);
    return {
      sap: expectInteger(element(v, 0, p), `${p}.SAP`),
      logicalDeviceName: expectOctets(element(v, 1, p), `${p}.logical_device_name`),
    };
  });
}
