import type { BitString } from '../axdr/types.ts';
import { ByteReader, concatBytes } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import {
  type BerElement,
  type BerTag,
  BerTagClass,
  BerUniversalTag,
  berContent,
  berContentReader,
  berRaw,
  berTag,
  contextTag,
  decodeBerBitString,
  decodeBerInteger,
  decodeBerOid,
  describeBerTag,
  encodeBerBitString,
  encodeBerInteger,
  encodeBerOid,
  encodeBerTlv,
  expectBerElement,
  expectBerEnd,
  readBerElement,
  universalTag,
} from './ber.ts';

/**
 * Authentication-value CHOICE: charstring [0] IMPLICIT GraphicString (passwords and HLS
 * challenges, kept as raw bytes) or bitstring [1] IMPLICIT BIT STRING. DLMS does not use the
 * external [2] and other [3] alternatives; when a peer sends them (or a constructed form) the
 * whole inner TLV is kept as `other`, so the association can still be judged by its user.
 */
export type AuthenticationValue =
  | { type: 'charstring'; value: Uint8Array }
  | { type: 'bitstring'; value: BitString }
  | { type: 'other'; raw: Uint8Array };

/** ACSE-requirements BIT STRING { authentication(0) }; DLMS sends `07 80` (one bit, set). */
export interface AcseRequirements {
  authentication: boolean;
}

/** Tags of the ACSE APDUs themselves: [APPLICATION 0..3] constructed. */
export const AcseApduTag = {
  aarq: 0x60,
  aare: 0x61,
  rlrq: 0x62,
  rlre: 0x63,
} as const;
export type AcseApduTag = (typeof AcseApduTag)[keyof typeof AcseApduTag];

export function applicationTag(number: number): BerTag {
  return berTag(BerTagClass.application, number, true);
}

/**
 * What an ACSE decoder keeps but does not interpret: `unknownFields` are whole TLVs of tags
 * the decoder does not know (other editions, vendor extensions), in order of arrival;
 * `trailing` are bytes after the last field that are no TLV, or after the APDU itself.
 * Encoders write both back: unknown fields after the known ones, trailing bytes last.
 */
export interface AcseExtras {
  unknownFields?: Uint8Array[];
  trailing?: Uint8Array;
}

/** Tag number of user-information, the last field of every ACSE APDU. */
const USER_INFORMATION = 30;

/**
 * Walks the fields of an ACSE SEQUENCE. `onField` returns false for a tag it does not know;
 * such fields are kept raw. Fields may come in any order (as Gurux and other stacks accept)
 * but a known field must not repeat. Bytes that do not form a TLV after user-information,
 * and bytes after the APDU, are kept as trailing; anywhere else they are an error.
 */
export function readAcseApdu(
  bytes: Uint8Array,
  apduNumber: number,
  what: string,
  onField: (c: ByteReader, el: BerElement) => boolean,
): AcseExtras {
  const r = new ByteReader(bytes);
  const outer = expectBerElement(r, applicationTag(apduNumber), what);
  const extras: AcseExtras = {};
  const c = berContentReader(r, outer);
  const seen = new Set<number>();
  const unknown: Uint8Array[] = [];
  while (!c.atEnd()) {
    const at = c.offset;
    let el: BerElement;
    try {
      el = readBerElement(c);
    } catch (e) {
      if (!(e instanceof DlmsError) || !seen.has(USER_INFORMATION)) throw e;
      extras.trailing = bytes.slice(at, outer.end);
      break;
    }
    const known = el.tag.tagClass === BerTagClass['context-specific'];
    if (known && seen.has(el.tag.number)) {
      c.fail(DlmsErrorCode.Malformed, `${what}: field [${el.tag.number}] repeated`, el.start);
    }
    if (known && onField(c, el)) seen.add(el.tag.number);
    else unknown.push(berRaw(c, el));
  }
  if (unknown.length > 0) extras.unknownFields = unknown;
  if (!r.atEnd()) {
    const after = bytes.slice(r.offset);
    extras.trailing = extras.trailing === undefined ? after : concatBytes(extras.trailing, after);
  }
  return extras;
}

/** A field this decoder does not know, as an error (for callers that want strictness). */
export function unknownField(c: ByteReader, el: BerElement, what: string): never {
  return c.fail(DlmsErrorCode.Malformed, `${what}: unknown field ${describeBerTag(el.tag)}`, el.start);
}

export function expectConstructed(c: ByteReader, el: BerElement, constructed: boolean, what: string): void {
  if (el.tag.constructed !== constructed) {
    c.fail(
      DlmsErrorCode.Malformed,
      `${what} must be ${constructed ? 'constructed' : 'primitive'} (${describeBerTag(el.tag)})`,
      el.start,
    );
  }
}

/** The single universal TLV inside an EXPLICIT context tag. */
function innerElement(
  c: ByteReader,
  el: BerElement,
  universal: number,
  what: string,
): [ByteReader, BerElement] {
  expectConstructed(c, el, true, what);
  const inner = berContentReader(c, el);
  const v = expectBerElement(inner, universalTag(universal), what);
  expectBerEnd(inner, what);
  return [inner, v];
}

export function readExplicitOctetString(c: ByteReader, el: BerElement, what: string): Uint8Array {
  const [inner, v] = innerElement(c, el, BerUniversalTag['octet-string'], what);
  return berContent(inner, v);
}

export function readExplicitOid(c: ByteReader, el: BerElement, what: string): string {
  const [inner, v] = innerElement(c, el, BerUniversalTag['object-identifier'], what);
  return decodeBerOid(inner, v);
}

export function readExplicitInteger(c: ByteReader, el: BerElement, what: string): number {
  const [inner, v] = innerElement(c, el, BerUniversalTag.integer, what);
  return decodeBerInteger(inner, v);
}

/**
 * Content of an EXPLICIT tag kept as raw bytes (AE-qualifier, invocation identifiers). The
 * primitive form some stacks send is accepted too: the content is kept either way.
 */
export function readExplicitRaw(c: ByteReader, el: BerElement, _what?: string): Uint8Array {
  return berContent(c, el);
}

/**
 * implementation-information [29] IMPLICIT GraphicString is primitive (0x9D); Gurux-derived
 * stacks send it constructed (0xBD). Either way the content is kept as it came.
 */
export function readImplementationInformation(c: ByteReader, el: BerElement, _what?: string): Uint8Array {
  return berContent(c, el);
}

export function readImplicitOid(c: ByteReader, el: BerElement, what: string): string {
  expectConstructed(c, el, false, what);
  return decodeBerOid(c, el);
}

export function readImplicitInteger(c: ByteReader, el: BerElement, what: string): number {
  expectConstructed(c, el, false, what);
  return decodeBerInteger(c, el);
}

export function readImplicitBitString(c: ByteReader, el: BerElement, what: string): BitString {
  expectConstructed(c, el, false, what);
  return decodeBerBitString(c, el);
}

export function readImplicitBytes(c: ByteReader, el: BerElement, what: string): Uint8Array {
  expectConstructed(c, el, false, what);
  return berContent(c, el);
}

export function readAcseRequirements(c: ByteReader, el: BerElement, what: string): AcseRequirements {
  const bits = readImplicitBitString(c, el, what);
  return { authentication: bits.length > 0 && ((bits.bytes[0] ?? 0) & 0x80) !== 0 };
}

export function readAuthenticationValue(c: ByteReader, el: BerElement, what: string): AuthenticationValue {
  expectConstructed(c, el, true, what);
  const inner = berContentReader(c, el);
  const v = readBerElement(inner);
  expectBerEnd(inner, what);
  if (v.tag.tagClass === BerTagClass['context-specific'] && !v.tag.constructed) {
    if (v.tag.number === 0) return { type: 'charstring', value: berContent(inner, v) };
    if (v.tag.number === 1) return { type: 'bitstring', value: decodeBerBitString(inner, v) };
  }
  return { type: 'other', raw: berRaw(inner, v) };
}

export function explicitTlv(number: number, inner: Uint8Array): Uint8Array {
  return encodeBerTlv(contextTag(number, true), inner);
}

export function implicitTlv(number: number, content: Uint8Array): Uint8Array {
  return encodeBerTlv(contextTag(number, false), content);
}

export function explicitOctetString(number: number, value: Uint8Array): Uint8Array {
  return explicitTlv(number, encodeBerTlv(universalTag(BerUniversalTag['octet-string']), value));
}

export function explicitOid(number: number, oid: string): Uint8Array {
  return explicitTlv(
    number,
    encodeBerTlv(universalTag(BerUniversalTag['object-identifier']), encodeBerOid(oid)),
  );
}

export function explicitInteger(number: number, value: number): Uint8Array {
  return explicitTlv(number, encodeBerTlv(universalTag(BerUniversalTag.integer), encodeBerInteger(value)));
}

export function encodeAcseRequirements(number: number, req: AcseRequirements): Uint8Array {
  return implicitTlv(
    number,
    encodeBerBitString({ length: 1, bytes: Uint8Array.of(req.authentication ? 0x80 : 0) }),
  );
}

export function encodeAuthenticationValue(number: number, v: AuthenticationValue): Uint8Array {
  const inner =
    v.type === 'charstring'
      ? encodeBerTlv(contextTag(0, false), v.value)
      : v.type === 'bitstring'
        ? encodeBerTlv(contextTag(1, false), encodeBerBitString(v.value))
        : v.raw;
  return explicitTlv(number, inner);
}

/** Wraps the APDU's fields in its [APPLICATION n] constructed tag. */
export function encodeAcseApdu(
  apduNumber: number,
  fields: Uint8Array[],
  extras: AcseExtras = {},
): Uint8Array {
  const apdu = encodeBerTlv(
    applicationTag(apduNumber),
    concatBytes(...fields, ...(extras.unknownFields ?? [])),
  );
  return extras.trailing === undefined ? apdu : concatBytes(apdu, extras.trailing);
}

/** Copies the extras a decoder found into its result. */
export function withExtras<T extends object>(value: T, extras: AcseExtras): T & AcseExtras {
  return {
    ...value,
    ...(extras.unknownFields === undefined ? {} : { unknownFields: extras.unknownFields }),
    ...(extras.trailing === undefined ? {} : { trailing: extras.trailing }),
  };
}

/** A mandatory field was absent; reported at the APDU's first byte. */
export function missingField(bytes: Uint8Array, what: string): never {
  return new ByteReader(bytes).fail(DlmsErrorCode.Malformed, `${what} missing`, 0);
}
