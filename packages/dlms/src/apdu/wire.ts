import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';

/** A-XDR primitives shared by the APDU codecs; every writer validates its range. */

export function checkInt(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new DlmsError(DlmsErrorCode.Encode, `${what} ${v} out of range ${min}..${max}`);
  }
  return v;
}

export function writeU8(w: ByteWriter, v: number, what: string): void {
  w.u8(checkInt(v, 0, 0xff, what));
}

export function writeI8(w: ByteWriter, v: number, what: string): void {
  w.i8(checkInt(v, -128, 127, what));
}

export function writeU16(w: ByteWriter, v: number, what: string): void {
  w.u16(checkInt(v, 0, 0xffff, what));
}

export function writeU32(w: ByteWriter, v: number, what: string): void {
  w.u32(checkInt(v, 0, 0xffffffff, what));
}

/** A-XDR BOOLEAN: one byte, 0x00 false; decoders take any non-zero byte as true. */
export function readBoolean(r: ByteReader): boolean {
  return r.u8() !== 0;
}

export function writeBoolean(w: ByteWriter, v: boolean): void {
  w.u8(v ? 1 : 0);
}

/** OCTET STRING without size constraint: A-XDR length, then the bytes (copied out). */
export function readOctetString(r: ByteReader, what: string): Uint8Array {
  const n = r.axdrLength();
  return r.copy(n, what);
}

export function writeOctetString(w: ByteWriter, v: Uint8Array): void {
  w.axdrLength(v.length).bytes(v);
}

/** OPTIONAL: a presence byte 0x00 (absent) or 0x01 (present, value follows). */
export function readOptional<T>(r: ByteReader, what: string, read: (r: ByteReader) => T): T | undefined {
  const at = r.offset;
  const flag = r.u8();
  if (flag === 0) return undefined;
  if (flag !== 1) r.fail(DlmsErrorCode.Malformed, `${what} presence flag 0x${flag.toString(16)}`, at);
  return read(r);
}

export function writeOptional<T>(
  w: ByteWriter,
  v: T | undefined,
  write: (w: ByteWriter, v: T) => void,
): void {
  if (v === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1);
  write(w, v);
}

/**
 * SEQUENCE OF: A-XDR count, then the elements. Every element takes at least one byte, so a
 * count above the bytes left is rejected before any element is read.
 */
export function readSequenceOf<T>(r: ByteReader, what: string, read: (r: ByteReader) => T): T[] {
  const at = r.offset;
  const n = r.axdrLength();
  if (n > r.remaining)
    r.fail(DlmsErrorCode.Truncated, `${what} count ${n} exceeds ${r.remaining} bytes left`, at);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(read(r));
  return out;
}

export function writeSequenceOf<T>(
  w: ByteWriter,
  items: readonly T[],
  write: (w: ByteWriter, v: T) => void,
): void {
  w.axdrLength(items.length);
  for (const item of items) write(w, item);
}

/** Bytes taken by an A-XDR length in minimal form. */
export function axdrLengthSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  if (n < 0x1000000) return 4;
  return 5;
}
