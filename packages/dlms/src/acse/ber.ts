import type { BitString } from '../axdr/types.ts';
import { ByteReader, concatBytes } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/**
 * The subset of BER (X.690) that the DLMS ACSE APDUs use: definite lengths only,
 * low- and high-number tags, INTEGER, BIT STRING, OCTET STRING / GraphicString and
 * OBJECT IDENTIFIER. Decoders work on `ByteReader`s that share the input buffer, so every
 * error carries the absolute offset into the APDU.
 */
export const BerTagClass = {
  universal: 0,
  application: 1,
  'context-specific': 2,
  private: 3,
} as const;
export type BerTagClass = (typeof BerTagClass)[keyof typeof BerTagClass];

/** Universal tag numbers used by ACSE in DLMS. */
export const BerUniversalTag = {
  boolean: 1,
  integer: 2,
  'bit-string': 3,
  'octet-string': 4,
  null: 5,
  'object-identifier': 6,
  'graphic-string': 25,
} as const;
export type BerUniversalTag = (typeof BerUniversalTag)[keyof typeof BerUniversalTag];

export interface BerTag {
  tagClass: BerTagClass;
  constructed: boolean;
  number: number;
}

/** One TLV as positions in the reader's buffer: identifier at `start`, content in [contentStart, end). */
export interface BerElement {
  tag: BerTag;
  start: number;
  contentStart: number;
  end: number;
}

export function berTag(tagClass: BerTagClass, number: number, constructed: boolean): BerTag {
  return { tagClass, constructed, number };
}

export function contextTag(number: number, constructed: boolean): BerTag {
  return berTag(BerTagClass['context-specific'], number, constructed);
}

export function universalTag(number: number): BerTag {
  return berTag(BerTagClass.universal, number, false);
}

export function berTagEquals(a: BerTag, b: BerTag): boolean {
  return a.tagClass === b.tagClass && a.constructed === b.constructed && a.number === b.number;
}

/** Largest tag number accepted in high-number form (4 continuation bytes). */
const MAX_TAG_NUMBER = 0x0fffffff;

export function readBerTag(r: ByteReader): BerTag {
  const at = r.offset;
  const first = r.u8();
  const tagClass = (first >> 6) as BerTagClass;
  const constructed = (first & 0x20) !== 0;
  let number = first & 0x1f;
  if (number === 0x1f) {
    number = 0;
    for (let i = 0; ; i++) {
      const b = r.u8();
      if (i === 0 && b === 0x80) r.fail(DlmsErrorCode.Malformed, 'BER tag number with leading zero', at);
      if (i === 4) r.fail(DlmsErrorCode.Unsupported, 'BER tag number too large', at);
      number = number * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (number < 0x1f) r.fail(DlmsErrorCode.Malformed, `BER tag ${number} in high-number form`, at);
    if (number > MAX_TAG_NUMBER) r.fail(DlmsErrorCode.Unsupported, 'BER tag number too large', at);
  }
  return { tagClass, constructed, number };
}

/** Definite length, short or long form (any number of length bytes up to 4, leading zeros allowed). */
export function readBerLength(r: ByteReader): number {
  const at = r.offset;
  const first = r.u8();
  if (first < 0x80) return first;
  if (first === 0x80) r.fail(DlmsErrorCode.Unsupported, 'BER indefinite length', at);
  if (first === 0xff) r.fail(DlmsErrorCode.Malformed, 'BER length byte 0xFF is reserved', at);
  const n = first & 0x7f;
  if (n > 4) r.fail(DlmsErrorCode.Unsupported, `BER length of ${n} bytes`, at);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + r.u8();
  return v;
}

/** Reads one TLV and moves the reader past its content. */
export function readBerElement(r: ByteReader): BerElement {
  const start = r.offset;
  const tag = readBerTag(r);
  const length = readBerLength(r);
  r.need(length, 'BER content');
  const contentStart = r.offset;
  r.offset += length;
  return { tag, start, contentStart, end: contentStart + length };
}

/** Reads one TLV and checks its tag. */
export function expectBerElement(r: ByteReader, tag: BerTag, what: string): BerElement {
  const el = readBerElement(r);
  if (!berTagEquals(el.tag, tag)) {
    r.fail(DlmsErrorCode.Malformed, `${what}: unexpected tag ${describeBerTag(el.tag)}`, el.start);
  }
  return el;
}

/** A reader over the element's content only, sharing the buffer (offsets stay absolute). */
export function berContentReader(r: ByteReader, el: BerElement): ByteReader {
  return new ByteReader(r.bytes, el.contentStart, el.end);
}

/** A copy of the element's content. */
export function berContent(r: ByteReader, el: BerElement): Uint8Array {
  return r.bytes.slice(el.contentStart, el.end);
}

/** The whole TLV, copied. */
export function berRaw(r: ByteReader, el: BerElement): Uint8Array {
  return r.bytes.slice(el.start, el.end);
}

export function expectBerEnd(r: ByteReader, what: string): void {
  if (!r.atEnd()) r.fail(DlmsErrorCode.Malformed, `${r.remaining} unexpected bytes after ${what}`);
}

export function describeBerTag(tag: BerTag): string {
  const cls = ['UNIVERSAL', 'APPLICATION', 'CONTEXT', 'PRIVATE'][tag.tagClass] ?? '?';
  return `[${cls} ${tag.number}]${tag.constructed ? ' constructed' : ''}`;
}

/**
 * INTEGER content: two's complement, big-endian, minimal (the first 9 bits are never all
 * equal). Values beyond 48 bits are not used by DLMS ACSE.
 */
export function decodeBerInteger(r: ByteReader, el: BerElement): number {
  const n = el.end - el.contentStart;
  if (n === 0) r.fail(DlmsErrorCode.Malformed, 'BER INTEGER with no content', el.start);
  if (n > 6) r.fail(DlmsErrorCode.Unsupported, `BER INTEGER of ${n} bytes`, el.start);
  const b0 = r.bytes[el.contentStart]!;
  if (n > 1) {
    const b1 = r.bytes[el.contentStart + 1]!;
    if ((b0 === 0 && b1 < 0x80) || (b0 === 0xff && b1 >= 0x80)) {
      r.fail(DlmsErrorCode.Malformed, 'BER INTEGER not in minimal form', el.start);
    }
  }
  let v = b0 >= 0x80 ? b0 - 256 : b0;
  for (let i = 1; i < n; i++) v = v * 256 + r.bytes[el.contentStart + i]!;
  return v;
}

export function encodeBerInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < -(2 ** 47) || value >= 2 ** 47) {
    throw new DlmsError(DlmsErrorCode.Encode, `INTEGER ${value} out of range`);
  }
  const out: number[] = [];
  let v = value;
  for (;;) {
    const low = ((v % 256) + 256) % 256;
    out.unshift(low);
    v = (v - low) / 256;
    if ((v === 0 && low < 0x80) || (v === -1 && low >= 0x80)) break;
  }
  return Uint8Array.from(out);
}

/** BIT STRING content: unused-bit count (0..7), then the bits, bit 0 = MSB of the first byte. */
export function decodeBerBitString(r: ByteReader, el: BerElement): BitString {
  const n = el.end - el.contentStart;
  if (n === 0) r.fail(DlmsErrorCode.Malformed, 'BER BIT STRING with no content', el.start);
  const unused = r.bytes[el.contentStart]!;
  if (unused > 7 || (n === 1 && unused !== 0)) {
    r.fail(DlmsErrorCode.Malformed, `BER BIT STRING with ${unused} unused bits`, el.contentStart);
  }
  return { length: (n - 1) * 8 - unused, bytes: r.bytes.slice(el.contentStart + 1, el.end) };
}

export function encodeBerBitString(bits: BitString): Uint8Array {
  const unused = bits.bytes.length * 8 - bits.length;
  if (
    !Number.isInteger(bits.length) ||
    unused < 0 ||
    unused > 7 ||
    (bits.bytes.length === 0 && unused !== 0)
  ) {
    throw new DlmsError(
      DlmsErrorCode.Encode,
      `BIT STRING of ${bits.length} bits in ${bits.bytes.length} bytes`,
    );
  }
  return concatBytes(Uint8Array.of(unused), bits.bytes);
}

/** OBJECT IDENTIFIER content → dotted string ("2.16.756.5.8.1.1"). */
export function decodeBerOid(r: ByteReader, el: BerElement): string {
  if (el.end === el.contentStart)
    r.fail(DlmsErrorCode.Malformed, 'BER OBJECT IDENTIFIER with no content', el.start);
  const arcs: number[] = [];
  let v = 0;
  let subStart = el.contentStart;
  for (let i = el.contentStart; i < el.end; i++) {
    const b = r.bytes[i]!;
    if (i === subStart && b === 0x80)
      r.fail(DlmsErrorCode.Malformed, 'OID sub-identifier with leading zero', i);
    if (v > (Number.MAX_SAFE_INTEGER - 127) / 128)
      r.fail(DlmsErrorCode.Unsupported, 'OID arc too large', subStart);
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = v < 40 ? 0 : v < 80 ? 1 : 2;
        arcs.push(first, v - first * 40);
      } else {
        arcs.push(v);
      }
      v = 0;
      subStart = i + 1;
    }
  }
  if (subStart !== el.end) r.fail(DlmsErrorCode.Malformed, 'OID ends inside a sub-identifier', subStart);
  return arcs.join('.');
}

const OID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/;

export function isValidOid(oid: string): boolean {
  if (!OID_PATTERN.test(oid)) return false;
  const arcs = oid.split('.').map(Number);
  const [a, b] = arcs;
  if (a === undefined || b === undefined || a > 2 || (a < 2 && b >= 40)) return false;
  return arcs.every((x) => Number.isSafeInteger(x)) && Number.isSafeInteger(a * 40 + b);
}

/** Content bytes of OIDs already encoded; ACSE uses a handful of constant names. */
const oidCache = new Map<string, Uint8Array>();
const OID_CACHE_LIMIT = 64;

export function encodeBerOid(oid: string): Uint8Array {
  const cached = oidCache.get(oid);
  if (cached !== undefined) return cached.slice();
  const bytes = encodeOidContent(oid);
  if (oidCache.size < OID_CACHE_LIMIT) oidCache.set(oid, bytes.slice());
  return bytes;
}

function encodeOidContent(oid: string): Uint8Array {
  if (!isValidOid(oid)) throw new DlmsError(DlmsErrorCode.Encode, `invalid OBJECT IDENTIFIER "${oid}"`);
  const arcs = oid.split('.').map(Number);
  const subs = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const sub of subs) {
    const digits: number[] = [];
    let v = sub;
    do {
      digits.unshift(v % 128);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < digits.length; i++) out.push(digits[i]! | (i < digits.length - 1 ? 0x80 : 0));
  }
  return Uint8Array.from(out);
}

export function encodeBerTag(tag: BerTag): Uint8Array {
  const lead = (tag.tagClass << 6) | (tag.constructed ? 0x20 : 0);
  if (!Number.isInteger(tag.number) || tag.number < 0 || tag.number > MAX_TAG_NUMBER) {
    throw new DlmsError(DlmsErrorCode.Encode, `BER tag number ${tag.number} out of range`);
  }
  if (tag.number < 0x1f) return Uint8Array.of(lead | tag.number);
  const digits: number[] = [];
  let v = tag.number;
  do {
    digits.unshift(v % 128);
    v = Math.floor(v / 128);
  } while (v > 0);
  return Uint8Array.from([lead | 0x1f, ...digits.map((d, i) => d | (i < digits.length - 1 ? 0x80 : 0))]);
}

/** Definite length in minimal form. */
export function encodeBerLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new DlmsError(DlmsErrorCode.Encode, `BER length ${n} out of range`);
  }
  if (n < 0x80) return Uint8Array.of(n);
  const digits: number[] = [];
  let v = n;
  while (v > 0) {
    digits.unshift(v & 0xff);
    v = Math.floor(v / 256);
  }
  return Uint8Array.from([0x80 | digits.length, ...digits]);
}

export function encodeBerTlv(tag: BerTag, content: Uint8Array): Uint8Array {
  return concatBytes(encodeBerTag(tag), encodeBerLength(content.length), content);
}
