import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { checkInt, decodeSimple, encodeSimple, MAX_DATA_DEPTH, readCount, TAG_NAMES } from './simple.ts';
import { DataTag, type DataTypeName, type DlmsData, type TypeDescription } from './types.ts';

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

export function decodeCompactArray(r: ByteReader, depth: number): DlmsData {
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

export function encodeCompactArray(
  w: ByteWriter,
  d: DlmsData & { type: 'compact-array' },
  depth: number,
): void {
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
      encodeSimple(w, v);
  }
}
