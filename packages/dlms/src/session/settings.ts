import type { Conformance, ConformanceName } from '../acse/index.ts';
import { conformanceFromNames } from '../acse/index.ts';
import type { InvocationCounterState, RandomSource, SecurityKeys } from '../security/index.ts';

export type AuthenticationKind = 'none' | 'low' | 'hls-gmac';

/** Security policy (version 0): what every APDU of the association carries. */
export type SecurityPolicy = 'none' | 'auth' | 'enc' | 'auth+enc';

/**
 * How ciphered xDLMS APDUs are wrapped: service-specific glo- tags under the global unicast key,
 * ded- tags under the dedicated key proposed in the InitiateRequest, or general-glo-ciphering
 * (which carries the sender's system title in every APDU).
 */
export type CipheringStyle = 'glo' | 'ded' | 'general-glo';

/** What the client proposes in the AARQ (STYLE.md §6: association concern only). */
export interface AssociationSettings {
  authentication: AuthenticationKind;
  /** LLS secret (calling-authentication-value). */
  password?: Uint8Array;
  /** CtoS length for HLS; 16 is what meters accept. */
  challengeLength?: number;
  proposedConformance?: Partial<Conformance>;
  /** client-max-receive-pdu-size. */
  maxReceivePduSize?: number;
  /** Only logical-name referencing is implemented. */
  referencing?: 'ln';
  dlmsVersion?: number;
}

/**
 * Keys, titles and counters of one client security context. `serverSystemTitle` is learned
 * from the AARE responding-AP-title (or preset); the session writes it here.
 */
export interface SecurityContext {
  policy: SecurityPolicy;
  style?: CipheringStyle;
  /** Our (client) system title, 8 bytes: calling-AP-title and IV prefix. */
  systemTitle: Uint8Array;
  serverSystemTitle?: Uint8Array;
  /** Global unicast encryption key and authentication key. */
  keys: SecurityKeys;
  /**
   * Global broadcast encryption key, used (with `keys.ak`) for APDUs whose security control
   * has the key-set bit (0x40) set; without it such APDUs are refused as DlmsError Security.
   */
  broadcastKey?: Uint8Array;
  /** Dedicated key sent in the InitiateRequest; generated when absent and the style is 'ded'. */
  dedicatedKey?: Uint8Array;
  /** Our send counter and the replay guard for the server's counters; persisted through its onChange hook. */
  invocationCounters: InvocationCounterState;
  random?: RandomSource;
}

export const DEFAULT_CHALLENGE_LENGTH = 16;
export const DEFAULT_MAX_PDU_SIZE = 0xffff;
export const DLMS_VERSION = 6;

/** Conformance a head end proposes: LN services, block transfer, selective access, lists. */
export const DEFAULT_CLIENT_CONFORMANCE: Conformance = conformanceFromNames([
  'general-protection',
  'general-block-transfer',
  'attribute0-supported-with-get',
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'data-notification',
  'get',
  'set',
  'selective-access',
  'event-notification',
  'action',
] satisfies ConformanceName[]);

/** Current association (class 15) and its reply_to_HLS_authentication method. */
export const CURRENT_ASSOCIATION_LN = Uint8Array.of(0, 0, 40, 0, 0, 255);
export const ASSOCIATION_LN_CLASS_ID = 15;
export const REPLY_TO_HLS_AUTHENTICATION = 1;

export function requiresCiphering(policy: SecurityPolicy | undefined): boolean {
  return policy !== undefined && policy !== 'none';
}
