import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import {
  decodeDate,
  decodeDateTime,
  decodeTime,
  encodeDate,
  encodeDateTime,
  encodeTime,
} from './datetime.ts';
import { DataTag, type DataTypeName, type DlmsData } from './types.ts';

/**
 * Deepest nesting of array/structure/compact-array (and of type descriptions) that the
 * decoders accept and the encoders produce; a COSEM profile buffer needs 3.
 */
export const MAX_DATA_DEPTH = 64;

export const TAG_NAMES: (DataTypeName | undefined)[] = new Array(256).fill(undefined);
export const TAG_OF = new Map<string, number>();
for (const name of Object.keys(DataTag) as DataTypeName[]) {
  TAG_NAMES[DataTag[name]] = name;
  TAG_OF.set(name, DataTag[name]);
}

/** Type name for a wire tag, or undefined for an unassigned tag (7, 8, 11, 14, 34..254). */
export function dataTypeName(tag: number): DataTypeName | undefined {
  return TAG_NAMES[tag];
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u;

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

export function readCount(r: ByteReader, what: string): number {
  const at = r.offset;
  const n = r.axdrLength();
  // Every element takes at least its tag byte: a larger count means the input ended early.
  if (n > r.remaining)
    r.fail(DlmsErrorCode.Truncated, `${what} count ${n} exceeds ${r.remaining} bytes left`, at);
  return n;
}

/** Content of a simple (non-container) type whose tag was already read at `at`. */
export function decodeSimple(r: ByteReader, tag: number, at: number): DlmsData {
  switch (tag) {
    case 0:
      return { type: 'null-data' };
    case 3: {
      const b = r.u8();
      return { type: 'boolean', value: b !== 0 };
    }
    case 4: {
      const length = r.axdrLength();
      const bytes = r.copy(Math.ceil(length / 8), 'bit-string');
      return { type: 'bit-string', value: { length, bytes } };
    }
    case 5:
      return { type: 'double-long', value: r.i32() };
    case 6:
      return { type: 'double-long-unsigned', value: r.u32() };
    case 9: {
      const n = r.axdrLength();
      r.need(n, 'octet-string');
      const o = r.offset;
      r.offset = o + n;
      return { type: 'octet-string', value: r.bytes.slice(o, o + n) };
    }
    case 10: {
      const n = r.axdrLength();
      return { type: 'visible-string', value: latin1(r.take(n, 'visible-string')) };
    }
    case 12: {
      const n = r.axdrLength();
      const start = r.offset;
      const bytes = r.take(n, 'utf8-string');
      let value: string;
      try {
        value = utf8Decoder.decode(bytes);
      } catch {
        return r.fail(DlmsErrorCode.Malformed, 'utf8-string is not valid UTF-8', start);
      }
      return { type: 'utf8-string', value };
    }
    case 13:
      return { type: 'bcd', value: r.i8() };
    case 15:
      return { type: 'integer', value: r.i8() };
    case 16:
      return { type: 'long', value: r.i16() };
    case 17:
      return { type: 'unsigned', value: r.u8() };
    case 18:
      return { type: 'long-unsigned', value: r.u16() };
    case 20:
      return { type: 'long64', value: r.i64() };
    case 21:
      return { type: 'long64-unsigned', value: r.u64() };
    case 22:
      return { type: 'enum', value: r.u8() };
    case 23:
      return { type: 'float32', value: r.f32() };
    case 24:
      return { type: 'float64', value: r.f64() };
    case 25:
      return { type: 'date-time', value: decodeDateTime(r) };
    case 26:
      return { type: 'date', value: decodeDate(r) };
    case 27:
      return { type: 'time', value: decodeTime(r) };
    case 28:
      return { type: 'delta-integer', value: r.i8() };
    case 29:
      return { type: 'delta-long', value: r.i16() };
    case 30:
      return { type: 'delta-double-long', value: r.i32() };
    case 31:
      return { type: 'delta-unsigned', value: r.u8() };
    case 32:
      return { type: 'delta-long-unsigned', value: r.u16() };
    case 33:
      return { type: 'delta-double-long-unsigned', value: r.u32() };
    case 255:
      return { type: 'dont-care' };
    default:
      return r.fail(DlmsErrorCode.Malformed, `unknown Data tag ${tag}`, at);
  }
}

export function checkInt(v: number, min: number, max: number, type: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new DlmsError(DlmsErrorCode.Encode, `${type} value ${v} out of range ${min}..${max}`);
  }
  return v;
}

export function checkBig(v: bigint, min: bigint, max: bigint, type: string): bigint {
  if (typeof v !== 'bigint' || v < min || v > max) {
    throw new DlmsError(DlmsErrorCode.Encode, `${type} value ${String(v)} out of range ${min}..${max}`);
  }
  return v;
}

/** Everything after the tag of a non-container type. */
export function encodeSimple(w: ByteWriter, d: DlmsData): void {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return;
    case 'boolean':
      w.u8(d.value ? 1 : 0);
      return;
    case 'bit-string': {
      const { length, bytes } = d.value;
      checkInt(length, 0, 0xffffffff, 'bit-string length');
      if (bytes.length !== Math.ceil(length / 8)) {
        throw new DlmsError(
          DlmsErrorCode.Encode,
          `bit-string of ${length} bits needs ${Math.ceil(length / 8)} bytes`,
        );
      }
      w.axdrLength(length).bytes(bytes);
      return;
    }
    case 'double-long':
    case 'delta-double-long':
      w.i32(checkInt(d.value, -0x80000000, 0x7fffffff, d.type));
      return;
    case 'double-long-unsigned':
    case 'delta-double-long-unsigned':
      w.u32(checkInt(d.value, 0, 0xffffffff, d.type));
      return;
    case 'octet-string':
      w.axdrLength(d.value.length).bytes(d.value);
      return;
    case 'visible-string': {
      const s = d.value;
      const bytes = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > 0xff)
          throw new DlmsError(DlmsErrorCode.Encode, `visible-string char U+${c.toString(16)} above 0xFF`);
        bytes[i] = c;
      }
      w.axdrLength(bytes.length).bytes(bytes);
      return;
    }
    case 'utf8-string': {
      if (LONE_SURROGATE.test(d.value)) {
        throw new DlmsError(DlmsErrorCode.Encode, 'utf8-string contains a lone surrogate');
      }
      const bytes = utf8Encoder.encode(d.value);
      w.axdrLength(bytes.length).bytes(bytes);
      return;
    }
    case 'bcd':
    case 'integer':
    case 'delta-integer':
      w.i8(checkInt(d.value, -128, 127, d.type));
      return;
    case 'long':
    case 'delta-long':
      w.i16(checkInt(d.value, -32768, 32767, d.type));
      return;
    case 'unsigned':
    case 'enum':
    case 'delta-unsigned':
      w.u8(checkInt(d.value, 0, 255, d.type));
      return;
    case 'long-unsigned':
    case 'delta-long-unsigned':
      w.u16(checkInt(d.value, 0, 0xffff, d.type));
      return;
    case 'long64':
      w.i64(checkBig(d.value, -(1n << 63n), (1n << 63n) - 1n, d.type));
      return;
    case 'long64-unsigned':
      w.u64(checkBig(d.value, 0n, (1n << 64n) - 1n, d.type));
      return;
    case 'float32':
      w.f32(d.value);
      return;
    case 'float64':
      w.f64(d.value);
      return;
    case 'date-time':
      encodeDateTime(w, d.value);
      return;
    case 'date':
      encodeDate(w, d.value);
      return;
    case 'time':
      encodeTime(w, d.value);
      return;
    default:
      throw new DlmsError(
        DlmsErrorCode.Encode,
        `not a simple Data type: ${String((d as { type: unknown }).type)}`,
      );
  }
}
