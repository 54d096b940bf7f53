import type { ByteReader } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { type BerElement, encodeBerInteger } from './ber.ts';
import {
  type AcseExtras,
  encodeAcseApdu,
  explicitOctetString,
  implicitTlv,
  readAcseApdu,
  readExplicitOctetString,
  readImplicitInteger,
  withExtras,
} from './fields.ts';
import { isOneOf, ReleaseRequestReason, ReleaseResponseReason } from './names.ts';

/**
 * RLRQ-apdu ::= [APPLICATION 2] IMPLICIT SEQUENCE (0x62) and RLRE-apdu ::= [APPLICATION 3]
 * (0x63): reason [0] IMPLICIT INTEGER OPTIONAL (`80 01 v`), user-information [30] OPTIONAL
 * (`BE len 04 len <xDLMS APDU>`, e.g. a glo-initiate-request/-response in a ciphered context).
 */
export interface Rlrq extends AcseExtras {
  reason?: ReleaseRequestReason;
  userInformation?: Uint8Array;
}

export interface Rlre extends AcseExtras {
  reason?: ReleaseResponseReason;
  userInformation?: Uint8Array;
}

const RLRQ = 2;
const RLRE = 3;

function encodeRelease(
  apdu: number,
  table: Record<string, number>,
  what: string,
  v: { reason?: number; userInformation?: Uint8Array } & AcseExtras,
): Uint8Array {
  const f: Uint8Array[] = [];
  if (v.reason !== undefined) {
    if (!isOneOf(table, v.reason))
      throw new DlmsError(DlmsErrorCode.Encode, `${what} reason ${v.reason} unknown`);
    f.push(implicitTlv(0, encodeBerInteger(v.reason)));
  }
  if (v.userInformation) f.push(explicitOctetString(30, v.userInformation));
  return encodeAcseApdu(apdu, f, v);
}

function decodeRelease<R extends number>(
  bytes: Uint8Array,
  apdu: number,
  table: Record<string, R>,
  what: string,
): { reason?: R; userInformation?: Uint8Array } & AcseExtras {
  const out: { reason?: R; userInformation?: Uint8Array } = {};
  const extras = readAcseApdu(bytes, apdu, what, (c: ByteReader, el: BerElement) => {
    if (el.tag.number === 0) {
      const reason = readImplicitInteger(c, el, `${what} reason`);
      if (!isOneOf(table, reason))
        c.fail(DlmsErrorCode.Malformed, `${what} reason ${reason} unknown`, el.start);
      out.reason = reason;
    } else if (el.tag.number === 30) {
      out.userInformation = readExplicitOctetString(c, el, `${what} user-information`);
    } else {
      return false;
    }
    return true;
  });
  return withExtras(out, extras);
}

export function encodeRlrq(v: Rlrq): Uint8Array {
  return encodeRelease(RLRQ, ReleaseRequestReason, 'RLRQ', v);
}

export function decodeRlrq(bytes: Uint8Array): Rlrq {
  return decodeRelease(bytes, RLRQ, ReleaseRequestReason, 'RLRQ');
}

export function encodeRlre(v: Rlre): Uint8Array {
  return encodeRelease(RLRE, ReleaseResponseReason, 'RLRE', v);
}

export function decodeRlre(bytes: Uint8Array): Rlre {
  return decodeRelease(bytes, RLRE, ReleaseResponseReason, 'RLRE');
}
