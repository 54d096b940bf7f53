import { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { decodeCompactArray, encodeCompactArray } from './compact.ts';
import { decodeSimple, encodeSimple, MAX_DATA_DEPTH, readCount, TAG_OF } from './simple.ts';
import type { DlmsData } from './types.ts';

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

export function encodeData(w: ByteWriter, d: DlmsData): void {
  encodeAt(w, d, 0);
}

export function dataToBytes(d: DlmsData): Uint8Array {
  const w = new ByteWriter(64);
  encodeAt(w, d, 0);
  return w.finish();
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
