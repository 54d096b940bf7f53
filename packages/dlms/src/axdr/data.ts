import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { decodeCompactArray, encodeCompactArray } from './compact.ts';
import { checkInt, decodeSimple, encodeSimple, MAX_DATA_DEPTH, readCount, TAG_OF } from './simple.ts';
import { DataTag, type DlmsData } from './types.ts';

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

/** Profile-buffer types are decoded here directly; every other simple type in decodeSimple. */
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
    case 9: {
      const n = r.axdrLength();
      r.need(n, 'octet-string');
      const o = r.offset;
      r.offset = o + n;
      return { type: 'octet-string', value: r.bytes.slice(o, o + n) };
    }
    case 18:
      return { type: 'long-unsigned', value: r.u16() };
    case 6:
      return { type: 'double-long-unsigned', value: r.u32() };
    case 16:
      return { type: 'long', value: r.i16() };
    case 19: {
      if (depth >= MAX_DATA_DEPTH)
        r.fail(DlmsErrorCode.Malformed, `Data nested deeper than ${MAX_DATA_DEPTH}`, at);
      return decodeCompactArray(r, depth);
    }
    default:
      return decodeSimple(r, tag, at);
  }
}

export function encodeData(w: ByteWriter, d: DlmsData): void {
  encodeAt(w, d, 0);
}

export function dataToBytes(d: DlmsData): Uint8Array {
  const w = new ByteWriter(64);
  encodeAt(w, d, 0);
  return w.finish();
}

/** Tag and content in one dispatch for the types that fill profile buffers; the rest go generic. */
function encodeAt(w: ByteWriter, d: DlmsData, depth: number): void {
  switch (d.type) {
    case 'structure':
    case 'array':
      w.u8(d.type === 'array' ? DataTag.array : DataTag.structure);
      encodeContent(w, d, depth);
      return;
    case 'octet-string':
      w.u8(DataTag['octet-string']).axdrLength(d.value.length).bytes(d.value);
      return;
    case 'long-unsigned':
      w.u8(DataTag['long-unsigned']).u16(checkInt(d.value, 0, 0xffff, d.type));
      return;
    case 'double-long-unsigned':
      w.u8(DataTag['double-long-unsigned']).u32(checkInt(d.value, 0, 0xffffffff, d.type));
      return;
    case 'long':
      w.u8(DataTag.long).i16(checkInt(d.value, -32768, 32767, d.type));
      return;
    case 'double-long':
      w.u8(DataTag['double-long']).i32(checkInt(d.value, -0x80000000, 0x7fffffff, d.type));
      return;
    default:
      encodeTagged(w, d, depth);
  }
}

function encodeTagged(w: ByteWriter, d: DlmsData, depth: number): void {
  const tag = TAG_OF.get(d.type);
  if (tag === undefined) throw new DlmsError(DlmsErrorCode.Encode, `unknown Data type ${String(d.type)}`);
  w.u8(tag);
  encodeContent(w, d, depth);
}

/** Everything after the tag. */
function encodeContent(w: ByteWriter, d: DlmsData, depth: number): void {
  switch (d.type) {
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
    default:
      encodeSimple(w, d);
  }
}
