import type { DlmsData } from '../axdr/index.ts';
import { decodeData, encodeData } from '../axdr/index.ts';
import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsErrorCode } from '../errors.ts';
import {
  readBoolean,
  readOctetString,
  readOptional,
  writeBoolean,
  writeOctetString,
  writeOptional,
  writeU8,
  writeU32,
} from './wire.ts';

/** Get-Data-Result ::= CHOICE { data [0] Data, data-access-result [1] Data-Access-Result }. */
export type GetDataResult =
  | { choice: 'data'; data: DlmsData }
  | { choice: 'data-access-result'; dataAccessResult: number };

/**
 * DataBlock-G ::= SEQUENCE { last-block BOOLEAN, block-number Unsigned32,
 * result CHOICE { raw-data [0] OCTET STRING, data-access-result [1] Data-Access-Result } }.
 */
export interface DataBlockG {
  lastBlock: boolean;
  blockNumber: number;
  result:
    | { choice: 'raw-data'; rawData: Uint8Array }
    | { choice: 'data-access-result'; dataAccessResult: number };
}

/** DataBlock-SA ::= SEQUENCE { last-block BOOLEAN, block-number Unsigned32, raw-data OCTET STRING }. */
export interface DataBlockSA {
  lastBlock: boolean;
  blockNumber: number;
  rawData: Uint8Array;
}

/** Action-Response-With-Optional-Data ::= SEQUENCE { result Action-Result, return-parameters Get-Data-Result OPTIONAL }. */
export interface ActionResponseWithOptionalData {
  result: number;
  returnParameters?: GetDataResult;
}

export function decodeGetDataResult(r: ByteReader): GetDataResult {
  const at = r.offset;
  const tag = r.u8();
  if (tag === 0) return { choice: 'data', data: decodeData(r) };
  if (tag === 1) return { choice: 'data-access-result', dataAccessResult: r.u8() };
  return r.fail(DlmsErrorCode.Malformed, `Get-Data-Result choice ${tag}`, at);
}

export function encodeGetDataResult(w: ByteWriter, v: GetDataResult): void {
  if (v.choice === 'data') {
    w.u8(0);
    encodeData(w, v.data);
  } else {
    w.u8(1);
    writeU8(w, v.dataAccessResult, 'data-access-result');
  }
}

export function decodeDataBlockG(r: ByteReader): DataBlockG {
  const lastBlock = readBoolean(r);
  const blockNumber = r.u32();
  const at = r.offset;
  const tag = r.u8();
  if (tag === 0)
    return {
      lastBlock,
      blockNumber,
      result: { choice: 'raw-data', rawData: readOctetString(r, 'raw-data') },
    };
  if (tag === 1)
    return { lastBlock, blockNumber, result: { choice: 'data-access-result', dataAccessResult: r.u8() } };
  return r.fail(DlmsErrorCode.Malformed, `DataBlock-G result choice ${tag}`, at);
}

export function encodeDataBlockG(w: ByteWriter, v: DataBlockG): void {
  writeBoolean(w, v.lastBlock);
  writeU32(w, v.blockNumber, 'block-number');
  if (v.result.choice === 'raw-data') {
    w.u8(0);
    writeOctetString(w, v.result.rawData);
  } else {
    w.u8(1);
    writeU8(w, v.result.dataAccessResult, 'data-access-result');
  }
}

export function decodeDataBlockSA(r: ByteReader): DataBlockSA {
  const lastBlock = readBoolean(r);
  const blockNumber = r.u32();
  return { lastBlock, blockNumber, rawData: readOctetString(r, 'raw-data') };
}

export function encodeDataBlockSA(w: ByteWriter, v: DataBlockSA): void {
  writeBoolean(w, v.lastBlock);
  writeU32(w, v.blockNumber, 'block-number');
  writeOctetString(w, v.rawData);
}

export function decodeActionResponseWithOptionalData(r: ByteReader): ActionResponseWithOptionalData {
  const result = r.u8();
  const returnParameters = readOptional(r, 'return-parameters', decodeGetDataResult);
  return returnParameters === undefined ? { result } : { result, returnParameters };
}

export function encodeActionResponseWithOptionalData(w: ByteWriter, v: ActionResponseWithOptionalData): void {
  writeU8(w, v.result, 'action-result');
  writeOptional(w, v.returnParameters, encodeGetDataResult);
}
