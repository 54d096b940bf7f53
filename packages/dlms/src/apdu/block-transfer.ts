import { DlmsError, DlmsErrorCode } from '../errors.ts';
import type { GetResponseWithDatablock } from './get.ts';
import { axdrLengthSize } from './wire.ts';

/**
 * Bytes before the raw data in each block-carrying APDU, without the raw-data length:
 * tag, choice, invoke-id-and-priority, last-block, block-number (Unsigned32) and, for
 * DataBlock-G, the result choice; general-block-transfer has tag, block-control and two Unsigned16.
 */
const FIXED_HEADER = {
  'get-response-with-datablock': 9,
  'set-request-with-datablock': 8,
  'action-request-with-pblock': 8,
  'action-response-with-pblock': 8,
  'general-block-transfer': 6,
} as const;
export type BlockApduKind = keyof typeof FIXED_HEADER;

/** Exact bytes an APDU of `kind` adds around `rawLength` bytes of raw data (unciphered). */
export function blockOverhead(kind: BlockApduKind, rawLength: number): number {
  return FIXED_HEADER[kind] + axdrLengthSize(rawLength);
}

/** The most raw-data bytes one APDU of `kind` can carry within `maxPduSize` bytes. */
export function maxBlockData(kind: BlockApduKind, maxPduSize: number): number {
  let n = maxPduSize - FIXED_HEADER[kind] - 1;
  while (n > 0 && n + blockOverhead(kind, n) > maxPduSize) n--;
  if (!Number.isInteger(n) || n < 1) {
    throw new DlmsError(DlmsErrorCode.Encode, `PDU size ${maxPduSize} leaves no room for ${kind} data`);
  }
  return n;
}

/** Cuts raw data into views of at most `maxBlock` bytes; empty input gives one empty block. */
export function splitIntoBlocks(raw: Uint8Array, maxBlock: number): Uint8Array[] {
  if (!Number.isInteger(maxBlock) || maxBlock < 1) {
    throw new DlmsError(DlmsErrorCode.Encode, `block size ${maxBlock} must be a positive integer`);
  }
  if (raw.length === 0) return [raw.subarray(0, 0)];
  const out: Uint8Array[] = [];
  for (let o = 0; o < raw.length; o += maxBlock)
    out.push(raw.subarray(o, Math.min(raw.length, o + maxBlock)));
  return out;
}

/**
 * The get-response-with-datablock APDUs that carry `raw` (an encoded Data) within
 * `maxPduSize` each. Block numbers start at 1; the last one has last-block set.
 */
export function getResponseDatablocks(
  invokeIdAndPriority: number,
  raw: Uint8Array,
  maxPduSize: number,
): GetResponseWithDatablock[] {
  const blocks = splitIntoBlocks(raw, maxBlockData('get-response-with-datablock', maxPduSize));
  return blocks.map((rawData, i) => ({
    type: 'get-response',
    choice: 'with-datablock',
    invokeIdAndPriority,
    result: {
      lastBlock: i === blocks.length - 1,
      blockNumber: i + 1,
      result: { choice: 'raw-data', rawData },
    },
  }));
}
