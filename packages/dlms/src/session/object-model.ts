import type { Conformance } from '../acse/index.ts';
import type { SelectiveAccessDescriptor } from '../apdu/index.ts';
import type { DlmsData } from '../axdr/index.ts';
import type { SecurityKeys } from '../security/index.ts';
import type { AuthenticationKind, CipheringStyle, SecurityPolicy } from './settings.ts';

/** Who is asking: the association the request arrived in. */
export interface AccessContext {
  /** `ServerAssociation.key` of the current association. */
  association: string;
  clientSap: number;
  /** The client's system title when the association is secured. */
  clientSystemTitle?: Uint8Array;
}

export interface AttributeAddress {
  classId: number;
  /** OBIS code, 6 bytes. */
  obis: Uint8Array;
  attributeId: number;
  access?: SelectiveAccessDescriptor;
}

export interface MethodAddress {
  classId: number;
  obis: Uint8Array;
  methodId: number;
}

export type AttributeAccess = 'none' | 'read' | 'write' | 'read-write';
export type MethodAccess = 'none' | 'access';

/**
 * The meter's COSEM objects as the server session sees them. Results are the numeric
 * Data-Access-Result / Action-Result values of apdu/results.ts. Implementations must be
 * synchronous and must not throw for a missing object (return object-undefined).
 */
export interface ObjectModel {
  get(ctx: AccessContext, address: AttributeAddress): DlmsData | number;
  set(ctx: AccessContext, address: AttributeAddress, value: DlmsData): number;
  action(
    ctx: AccessContext,
    address: MethodAddress,
    params: DlmsData | undefined,
  ): { result: number; returnData?: DlmsData };
  attributeAccess(
    association: string,
    classId: number,
    obis: Uint8Array,
    attributeId: number,
  ): AttributeAccess;
  methodAccess(association: string, classId: number, obis: Uint8Array, methodId: number): MethodAccess;
}

/** One association the meter offers to one client SAP. */
export interface ServerAssociation {
  /** Stable name handed to the object model for access rights (e.g. 'public', 'reader'). */
  key: string;
  clientSap: number;
  authentication: AuthenticationKind;
  password?: Uint8Array;
  /** Global unicast EK and AK: required for ciphering and for HLS-GMAC. */
  keys?: SecurityKeys;
  policy: SecurityPolicy;
  /** Style of the ciphered responses when the request style cannot be mirrored (notifications). */
  style?: CipheringStyle;
  conformance: Partial<Conformance>;
  /** server-max-receive-pdu-size. */
  maxReceivePduSize: number;
  challengeLength?: number;
}
