import { DlmsError, DlmsErrorCode } from './errors.ts';

const HEX = '0123456789ABCDEF';

export function toHex(bytes: Uint8Array, separator = ''): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (i > 0 && separator) out += separator;
    out += HEX[b >> 4]! + HEX[b & 15]!;
  }
  return out;
}

/** Parses hex with optional whitespace, colons or dashes between bytes. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:-]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new DlmsError(DlmsErrorCode.Malformed, `invalid hex string (${clean.length} digits)`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Cursor over a byte array. Every read checks bounds and throws DlmsError(Truncated)
 * with the offset and a hex slice around it; decoders never index past the end.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  offset: number;
  readonly end: number;
  private dataView: DataView | undefined;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
    this.dataView = undefined;
  }

  /** Created on first use: most readers only ever read bytes and 16/32-bit integers. */
  get view(): DataView {
    if (this.dataView === undefined) {
      const b = this.bytes;
      this.dataView = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.dataView;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  atEnd(): boolean {
    return this.offset >= this.end;
  }

  /** Hex of up to 16 bytes around `at`, for error messages. */
  context(at = this.offset): string {
    const from = Math.max(0, at - 8);
    const to = Math.min(this.bytes.length, at + 8);
    return `${toHex(this.bytes.subarray(from, at))}[${toHex(this.bytes.subarray(at, to))}]`;
  }

  fail(code: DlmsErrorCode, what: string, at = this.offset): never {
    throw new DlmsError(code, `${what} at offset ${at}: ${this.context(at)}`, { offset: at });
  }

  need(n: number, what?: string): void {
    if (n < 0 || this.offset + n > this.end) {
      this.fail(DlmsErrorCode.Truncated, `${what ?? 'value'} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  peekU8(): number {
    this.need(1);
    return this.bytes[this.offset]!;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  i8(): number {
    this.need(1);
    return (this.bytes[this.offset++]! << 24) >> 24;
  }

  u16(): number {
    this.need(2);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  i16(): number {
    this.need(2);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 2;
    return (((b[o]! << 8) | b[o + 1]!) << 16) >> 16;
  }

  u32(): number {
    return this.i32() >>> 0;
  }

  i32(): number {
    this.need(4);
    const b = this.bytes;
    const o = this.offset;
    this.offset = o + 4;
    return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
  }

  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.offset);
    this.offset += 8;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.offset);
    this.offset += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.offset);
    this.offset += 8;
    return v;
  }

  /** A view (not a copy) of the next n bytes. */
  take(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A copy of the next n bytes, safe to keep after the input buffer is reused. */
  copy(n: number, what = 'bytes'): Uint8Array {
    return this.take(n, what).slice();
  }

  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  /**
   * A-XDR length: 0..127 in one byte, else 0x80|n followed by n big-endian bytes.
   * Any n from 1 to 4 is accepted (some meters send non-minimal forms).
   */
  axdrLength(): number {
    const at = this.offset;
    const first = this.u8();
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0 || n > 4) this.fail(DlmsErrorCode.Malformed, `length of length ${n} not supported`, at);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.u8();
    return v;
  }
}

/** Growable output buffer; encoders append and call `finish()` once. */
export class ByteWriter {
  private buf: Uint8Array;
  private dataView: DataView | undefined;
  length = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(initialCapacity);
    this.dataView = undefined;
  }

  /** Created on first use (64-bit and float writes) and dropped when the buffer grows. */
  private get view(): DataView {
    if (this.dataView === undefined) this.dataView = new DataView(this.buf.buffer);
    return this.dataView;
  }

  private ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, 16);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dataView = undefined;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  i8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    const b = this.buf;
    const o = this.length;
    b[o] = v >>> 8;
    b[o + 1] = v;
    this.length = o + 2;
    return this;
  }

  i16(v: number): this {
    return this.u16(v);
  }

  u32(v: number): this {
    this.ensure(4);
    const b = this.buf;
    const o = this.length;
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
    this.length = o + 4;
    return this;
  }

  i32(v: number): this {
    return this.u32(v);
  }

  u64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.length, v);
    this.length += 8;
    return this;
  }

  i64(v: bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.length, v);
    this.length += 8;
    return this;
  }

  f32(v: number): this {
    this.ensure(4);
    this.view.setFloat32(this.length, v);
    this.length += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.view.setFloat64(this.length, v);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  /** A-XDR length in minimal form. */
  axdrLength(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new DlmsError(DlmsErrorCode.Encode, `length ${n} out of range`);
    }
    if (n < 0x80) return this.u8(n);
    if (n < 0x100) return this.u8(0x81).u8(n);
    if (n < 0x10000) return this.u8(0x82).u16(n);
    if (n < 0x1000000)
      return this.u8(0x83)
        .u8(n >>> 16)
        .u16(n & 0xffff);
    return this.u8(0x84).u32(n);
  }

  /** Overwrites one byte already written (for back-patched lengths); call before `finish()`. */
  setU8(at: number, v: number): void {
    this.buf[at] = v & 0xff;
  }

  /**
   * An exactly full buffer is handed over without a copy: any later write grows into a new
   * buffer, so the returned bytes stay as they are.
   */
  finish(): Uint8Array {
    if (this.length === this.buf.length) return this.buf;
    return this.buf.slice(0, this.length);
  }
}
