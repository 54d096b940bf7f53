import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import {
  decodeDate,
  decodeDateTime,
  decodeTime,
  encodeDate,
  encodeDateTime,
  encodeTime,
} from './datetime.ts';
import { DataTag, type DataTypeName, type DlmsData, type TypeDescription } from './types.ts';

/**
 * Deepest nesting of array/structure/compact-array (and of type descriptions) that the
 * decoders accept and the encoders produce; a COSEM profile buffer needs 3.
 */
export const MAX_DATA_DEPTH = 64;

const TAG_NAMES: (DataTypeName | undefined)[] = new Array(256).fill(undefined);
const TAG_OF = new Map<string, number>();
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

export function decodeData(r: ByteReader): DlmsData {
  return decodeAt(r, 0);
}

/** Decodes one complete `Data` and requires the input to end exactly there. */
export function dataFromBytes(bytes: Uint8Array): DlmsData {
  const r = new ByteReader(bytes);
  const d = decodeAt(r, 0);
  if (!r.atEnd()) r.fail(DlmsErrorCode.Malformed, `${r.remaining} trailing bytes after Data`);
  return d;
}

function readCount(r: ByteReader, what: string): number {
  const at = r.offset;
  const n = r.axdrLength();
  // Every element takes at least its tag byte, so a larger count cannot be honest.
  if (n > r.remaining)
    r.fail(DlmsErrorCode.Malformed, `${what} count ${n} exceeds ${r.remaining} bytes left`, at);
  return n;
}

function decodeAt(r: ByteReader, depth: number): DlmsData {
  const at = r.offset;
  const tag = r.u8();
  switch (tag) {
    case 1:
    case 2: {
      if (depth >= MAX_DATA_DEPTH)
        r.fail(DlmsErrorCode.Malformed, `Data nested deeper than ${MAX_DATA_DEPTH}`, at);
      const n = readCount(r, tag === 1 ? 'array' : 'structure');
      const value: DlmsData[] = [];
      for (let i = 0; i < n; i++) value.push(decodeAt(r, depth + 1));
      return tag === 1 ? { type: 'array', value } : { type: 'structure', value };
    }
    case 19: {
      if (depth >= MAX_DATA_DEPTH)
        r.fail(DlmsErrorCode.Malformed, `Data nested deeper than ${MAX_DATA_DEPTH}`, at);
      return decodeCompactArray(r, depth);
    }
    default:
      return decodeSimple(r, tag, at);
  }
}

/** Content of a simple (non-container) type whose tag was already read at `at`. */
function decodeSimple(r: ByteReader, tag: number, at: number): DlmsData {
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

// ---------------------------------------------------------------------------
// compact-array

/** TypeDescription: simple types are the tag alone; array = tag, Unsigned16 count, element; structure = tag, length-encoded count, elements. */
export function decodeTypeDescription(r: ByteReader): TypeDescription {
  return readDescription(r, 0);
}

function readDescription(r: ByteReader, depth: number): TypeDescription {
  const at = r.offset;
  const tag = r.u8();
  if (tag === 1 || tag === 2) {
    if (depth >= MAX_DATA_DEPTH) {
      r.fail(DlmsErrorCode.Malformed, `type description nested deeper than ${MAX_DATA_DEPTH}`, at);
    }
    if (tag === 1) {
      const count = r.u16();
      return { type: 'array', count, element: readDescription(r, depth + 1) };
    }
    const n = readCount(r, 'structure description');
    const elements: TypeDescription[] = [];
    for (let i = 0; i < n; i++) elements.push(readDescription(r, depth + 1));
    return { type: 'structure', elements };
  }
  const name = TAG_NAMES[tag];
  if (name === undefined || name === 'compact-array') {
    r.fail(DlmsErrorCode.Malformed, `tag ${tag} not allowed in a type description`, at);
  }
  return { type: name } as TypeDescription;
}

const FIXED_SIZE: Partial<Record<DataTypeName, number>> = {
  'null-data': 0,
  'dont-care': 0,
  boolean: 1,
  bcd: 1,
  integer: 1,
  unsigned: 1,
  enum: 1,
  'delta-integer': 1,
  'delta-unsigned': 1,
  long: 2,
  'long-unsigned': 2,
  'delta-long': 2,
  'delta-long-unsigned': 2,
  'double-long': 4,
  'double-long-unsigned': 4,
  float32: 4,
  'delta-double-long': 4,
  'delta-double-long-unsigned': 4,
  long64: 8,
  'long64-unsigned': 8,
  float64: 8,
  'date-time': 12,
  date: 5,
  time: 4,
};

/**
 * Minimum untagged size of a value of this description. Throws `code` when an array
 * would hold zero-size elements: such contents cannot be delimited, and a decoder would
 * loop without consuming input.
 */
function minSize(d: TypeDescription, code: DlmsErrorCode): number {
  switch (d.type) {
    case 'array': {
      const e = minSize(d.element, code);
      if (e === 0 && d.count > 0)
        throw new DlmsError(code, 'compact-array description has zero-size array elements');
      return e * d.count;
    }
    case 'structure': {
      let n = 0;
      for (const e of d.elements) n += minSize(e, code);
      return n;
    }
    default:
      // Variable-size types carry at least a one-byte length.
      return FIXED_SIZE[d.type] ?? 1;
  }
}

function decodeCompactArray(r: ByteReader, depth: number): DlmsData {
  const descAt = r.offset;
  const description = readDescription(r, depth + 1);
  let elementSize: number;
  try {
    elementSize = minSize(description, DlmsErrorCode.Malformed);
  } catch (e) {
    return r.fail(DlmsErrorCode.Malformed, (e as Error).message, descAt);
  }
  const n = r.axdrLength();
  const contentsAt = r.offset;
  r.need(n, 'compact-array contents');
  const end = contentsAt + n;
  if (n > 0 && elementSize === 0) {
    r.fail(DlmsErrorCode.Malformed, 'compact-array contents for a zero-size element type', contentsAt);
  }
  const sub = new ByteReader(r.bytes, contentsAt, end);
  const value: DlmsData[] = [];
  while (sub.offset < end) value.push(decodeUntagged(sub, description));
  r.offset = end;
  return { type: 'compact-array', description, value };
}

function decodeUntagged(r: ByteReader, d: TypeDescription): DlmsData {
  switch (d.type) {
    case 'array': {
      const value: DlmsData[] = [];
      for (let i = 0; i < d.count; i++) value.push(decodeUntagged(r, d.element));
      return { type: 'array', value };
    }
    case 'structure': {
      const elements = d.elements;
      const value: DlmsData[] = [];
      for (let i = 0; i < elements.length; i++) value.push(decodeUntagged(r, elements[i]!));
      return { type: 'structure', value };
    }
    default:
      return decodeSimple(r, DataTag[d.type], r.offset);
  }
}

export function encodeTypeDescription(w: ByteWriter, d: TypeDescription): void {
  writeDescription(w, d, 0);
}

function writeDescription(w: ByteWriter, d: TypeDescription, depth: number): void {
  switch (d.type) {
    case 'array':
    case 'structure':
      if (depth >= MAX_DATA_DEPTH) {
        throw new DlmsError(DlmsErrorCode.Encode, `type description nested deeper than ${MAX_DATA_DEPTH}`);
      }
      if (d.type === 'array') {
        checkInt(d.count, 0, 0xffff, 'compact-array description array count');
        w.u8(1).u16(d.count);
        writeDescription(w, d.element, depth + 1);
      } else {
        w.u8(2).axdrLength(d.elements.length);
        for (const e of d.elements) writeDescription(w, e, depth + 1);
      }
      return;
    default: {
      const tag = (DataTag as Record<string, number>)[d.type];
      if (tag === undefined || tag === 19) {
        throw new DlmsError(DlmsErrorCode.Encode, `type ${String(d.type)} not allowed in a type description`);
      }
      w.u8(tag);
    }
  }
}

function encodeCompactArray(w: ByteWriter, d: DlmsData & { type: 'compact-array' }, depth: number): void {
  const description = d.description;
  writeDescription(w, description, depth + 1);
  const elementSize = minSize(description, DlmsErrorCode.Encode);
  if (d.value.length > 0 && elementSize === 0) {
    throw new DlmsError(DlmsErrorCode.Encode, 'compact-array of a zero-size element type cannot be encoded');
  }
  const contents = new ByteWriter(Math.max(16, d.value.length * elementSize));
  for (const v of d.value) encodeUntagged(contents, v, description);
  w.axdrLength(contents.length).bytes(contents.finish());
}

function encodeUntagged(w: ByteWriter, v: DlmsData, d: TypeDescription): void {
  if (v.type !== d.type) {
    throw new DlmsError(
      DlmsErrorCode.Encode,
      `compact-array element is ${v.type}, description says ${d.type}`,
    );
  }
  switch (d.type) {
    case 'array': {
      const items = (v as DlmsData & { type: 'array' }).value;
      if (items.length !== d.count) {
        throw new DlmsError(
          DlmsErrorCode.Encode,
          `compact-array element array has ${items.length} items, description says ${d.count}`,
        );
      }
      for (const item of items) encodeUntagged(w, item, d.element);
      return;
    }
    case 'structure': {
      const items = (v as DlmsData & { type: 'structure' }).value;
      if (items.length !== d.elements.length) {
        throw new DlmsError(
          DlmsErrorCode.Encode,
          `compact-array element structure has ${items.length} items, description says ${d.elements.length}`,
        );
      }
      for (let i = 0; i < items.length; i++) encodeUntagged(w, items[i]!, d.elements[i]!);
      return;
    }
    default:
      encodeContent(w, v, 0);
  }
}

// ---------------------------------------------------------------------------
// encoding

export function encodeData(w: ByteWriter, d: DlmsData): void {
  encodeAt(w, d, 0);
}

export function dataToBytes(d: DlmsData): Uint8Array {
  const w = new ByteWriter(64);
  encodeAt(w, d, 0);
  return w.finish();
}

function checkInt(v: number, min: number, max: number, type: string): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new DlmsError(DlmsErrorCode.Encode, `${type} value ${v} out of range ${min}..${max}`);
  }
  return v;
}

function checkBig(v: bigint, min: bigint, max: bigint, type: string): bigint {
  if (typeof v !== 'bigint' || v < min || v > max) {
    throw new DlmsError(DlmsErrorCode.Encode, `${type} value ${String(v)} out of range ${min}..${max}`);
  }
  return v;
}

function encodeAt(w: ByteWriter, d: DlmsData, depth: number): void {
  const tag = TAG_OF.get(d.type);
  if (tag === undefined) throw new DlmsError(DlmsErrorCode.Encode, `unknown Data type ${String(d.type)}`);
  w.u8(tag);
  encodeContent(w, d, depth);
}

/** Everything after the tag. */
function encodeContent(w: ByteWriter, d: DlmsData, depth: number): void {
  switch (d.type) {
    case 'null-data':
    case 'dont-care':
      return;
    case 'array':
    case 'structure': {
      if (depth >= MAX_DATA_DEPTH)
        throw new DlmsError(DlmsErrorCode.Encode, `Data nested deeper than ${MAX_DATA_DEPTH}`);
      const items = d.value;
      w.axdrLength(items.length);
      for (let i = 0; i < items.length; i++) encodeAt(w, items[i]!, depth + 1);
      return;
    }
    case 'compact-array':
      if (depth >= MAX_DATA_DEPTH)
        throw new DlmsError(DlmsErrorCode.Encode, `Data nested deeper than ${MAX_DATA_DEPTH}`);
      encodeCompactArray(w, d, depth);
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
      throw new DlmsError(DlmsErrorCode.Encode, `unknown Data type ${String((d as { type: unknown }).type)}`);
  }
}
