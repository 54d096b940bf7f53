import { DlmsError, DlmsErrorCode } from '../errors.ts';

/** Security control byte (SC): the first byte of every ciphered content. */
export const SecurityControlMask = {
  suiteId: 0x0f,
  authentication: 0x10,
  encryption: 0x20,
  /** 0 = unicast (global unicast encryption key), 1 = broadcast (global broadcast key). */
  keySet: 0x40,
  compression: 0x80,
} as const;

export const KeySet = { unicast: 'unicast', broadcast: 'broadcast' } as const;
export type KeySet = (typeof KeySet)[keyof typeof KeySet];

export interface SecurityControl {
  suiteId: number;
  authentication: boolean;
  encryption: boolean;
  keySet: KeySet;
  compression: boolean;
}

export const SUPPORTED_SUITE_ID = 0;

function checkByte(sc: number): void {
  if (!Number.isInteger(sc) || sc < 0 || sc > 0xff) {
    throw new DlmsError(DlmsErrorCode.Malformed, `security control ${sc} is not a byte`);
  }
}

/** Splits an SC byte into its fields without judging them (for display). */
export function securityControlFields(sc: number): SecurityControl {
  checkByte(sc);
  return {
    suiteId: sc & SecurityControlMask.suiteId,
    authentication: (sc & SecurityControlMask.authentication) !== 0,
    encryption: (sc & SecurityControlMask.encryption) !== 0,
    keySet: (sc & SecurityControlMask.keySet) !== 0 ? KeySet.broadcast : KeySet.unicast,
    compression: (sc & SecurityControlMask.compression) !== 0,
  };
}

function assertSupported(f: SecurityControl, scByte: number): void {
  if (f.compression) {
    throw new DlmsError(
      DlmsErrorCode.Unsupported,
      `security control ${hexByte(scByte)} asks for compression (V.44), which is not supported`,
    );
  }
  if (f.suiteId !== SUPPORTED_SUITE_ID) {
    throw new DlmsError(
      DlmsErrorCode.Unsupported,
      `security control ${hexByte(scByte)} names security suite ${f.suiteId}; only suite 0 is supported`,
    );
  }
}

function hexByte(sc: number): string {
  return `0x${sc.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Decodes an SC byte for use: compression or a suite other than 0 is DlmsError Unsupported. */
export function decodeSecurityControl(sc: number): SecurityControl {
  const f = securityControlFields(sc);
  assertSupported(f, sc);
  return f;
}

export interface SecurityControlInput {
  suiteId?: number;
  authentication: boolean;
  encryption: boolean;
  keySet?: KeySet;
  compression?: boolean;
}

export function encodeSecurityControl(input: SecurityControlInput): number {
  const suiteId = input.suiteId ?? SUPPORTED_SUITE_ID;
  if (!Number.isInteger(suiteId) || suiteId < 0 || suiteId > 0x0f) {
    throw new DlmsError(DlmsErrorCode.Encode, `security suite id ${suiteId} does not fit in 4 bits`);
  }
  const f: SecurityControl = {
    suiteId,
    authentication: input.authentication,
    encryption: input.encryption,
    keySet: input.keySet ?? KeySet.unicast,
    compression: input.compression ?? false,
  };
  let sc = suiteId;
  if (f.authentication) sc |= SecurityControlMask.authentication;
  if (f.encryption) sc |= SecurityControlMask.encryption;
  if (f.keySet === KeySet.broadcast) sc |= SecurityControlMask.keySet;
  if (f.compression) sc |= SecurityControlMask.compression;
  assertSupported(f, sc);
  return sc;
}

/** Human-readable SC for the translator; never throws for a byte value. */
export function describeSecurityControl(sc: number): string {
  const f = securityControlFields(sc);
  const protection =
    f.authentication && f.encryption
      ? 'authenticated and encrypted'
      : f.authentication
        ? 'authenticated only'
        : f.encryption
          ? 'encrypted only'
          : 'neither authenticated nor encrypted';
  const parts = [`suite ${f.suiteId}`, protection, `${f.keySet} key`];
  if (f.compression) parts.push('compressed');
  return `SC ${hexByte(sc)}: ${parts.join(', ')}`;
}
