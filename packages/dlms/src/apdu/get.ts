import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsErrorCode } from '../errors.ts';
import {
  type DataBlockG,
  decodeDataBlockG,
  decodeGetDataResult,
  encodeDataBlockG,
  encodeGetDataResult,
  type GetDataResult,
} from './datablock.ts';
import {
  type CosemAttributeDescriptor,
  type CosemAttributeDescriptorWithSelection,
  decodeAccessSelection,
  decodeCosemAttributeDescriptor,
  decodeCosemAttributeDescriptorWithSelection,
  encodeAccessSelection,
  encodeCosemAttributeDescriptor,
  encodeCosemAttributeDescriptorWithSelection,
  type SelectiveAccessDescriptor,
} from './descriptors.ts';
import { type ApduBase, GetRequestChoice, GetResponseChoice } from './tags.ts';
import { readSequenceOf, writeSequenceOf, writeU8, writeU32 } from './wire.ts';

export interface GetRequestNormal extends ApduBase {
  type: 'get-request';
  choice: 'normal';
  invokeIdAndPriority: number;
  cosemAttributeDescriptor: CosemAttributeDescriptor;
  accessSelection?: SelectiveAccessDescriptor;
}

export interface GetRequestNext extends ApduBase {
  type: 'get-request';
  choice: 'next';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export interface GetRequestWithList extends ApduBase {
  type: 'get-request';
  choice: 'with-list';
  invokeIdAndPriority: number;
  attributeDescriptorList: CosemAttributeDescriptorWithSelection[];
}

export type GetRequest = GetRequestNormal | GetRequestNext | GetRequestWithList;

export interface GetResponseNormal extends ApduBase {
  type: 'get-response';
  choice: 'normal';
  invokeIdAndPriority: number;
  result: GetDataResult;
}

export interface GetResponseWithDatablock extends ApduBase {
  type: 'get-response';
  choice: 'with-datablock';
  invokeIdAndPriority: number;
  result: DataBlockG;
}

export interface GetResponseWithList extends ApduBase {
  type: 'get-response';
  choice: 'with-list';
  invokeIdAndPriority: number;
  result: GetDataResult[];
}

export type GetResponse = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList;

/** Reads the body after the 0xC0 tag. */
export function decodeGetRequest(r: ByteReader): GetRequest {
  const at = r.offset;
  const choice = r.u8();
  const invokeIdAndPriority = r.u8();
  switch (choice) {
    case GetRequestChoice.normal: {
      const cosemAttributeDescriptor = decodeCosemAttributeDescriptor(r);
      const accessSelection = decodeAccessSelection(r);
      const apdu: GetRequestNormal = {
        type: 'get-request',
        choice: 'normal',
        invokeIdAndPriority,
        cosemAttributeDescriptor,
      };
      if (accessSelection !== undefined) apdu.accessSelection = accessSelection;
      return apdu;
    }
    case GetRequestChoice.next:
      return { type: 'get-request', choice: 'next', invokeIdAndPriority, blockNumber: r.u32() };
    case GetRequestChoice['with-list']:
      return {
        type: 'get-request',
        choice: 'with-list',
        invokeIdAndPriority,
        attributeDescriptorList: readSequenceOf(
          r,
          'attribute-descriptor-list',
          decodeCosemAttributeDescriptorWithSelection,
        ),
      };
    default:
      return r.fail(DlmsErrorCode.Malformed, `get-request choice ${choice}`, at);
  }
}

export function encodeGetRequest(w: ByteWriter, v: GetRequest): void {
  w.u8(GetRequestChoice[v.choice]);
  writeU8(w, v.invokeIdAndPriority, 'invoke-id-and-priority');
  switch (v.choice) {
    case 'normal':
      encodeCosemAttributeDescriptor(w, v.cosemAttributeDescriptor);
      encodeAccessSelection(w, v.accessSelection);
      return;
    case 'next':
      writeU32(w, v.blockNumber, 'block-number');
      return;
    case 'with-list':
      writeSequenceOf(w, v.attributeDescriptorList, encodeCosemAttributeDescriptorWithSelection);
      return;
  }
}

/** Reads the body after the 0xC4 tag. */
export function decodeGetResponse(r: ByteReader): GetResponse {
  const at = r.offset;
  const choice = r.u8();
  const invokeIdAndPriority = r.u8();
  switch (choice) {
    case GetResponseChoice.normal:
      return { type: 'get-response', choice: 'normal', invokeIdAndPriority, result: decodeGetDataResult(r) };
    case GetResponseChoice['with-datablock']:
      return {
        type: 'get-response',
        choice: 'with-datablock',
        invokeIdAndPriority,
        result: decodeDataBlockG(r),
      };
    case GetResponseChoice['with-list']:
      return {
        type: 'get-response',
        choice: 'with-list',
        invokeIdAndPriority,
        result: readSequenceOf(r, 'get-response result list', decodeGetDataResult),
      };
    default:
      return r.fail(DlmsErrorCode.Malformed, `get-response choice ${choice}`, at);
  }
}

export function encodeGetResponse(w: ByteWriter, v: GetResponse): void {
  w.u8(GetResponseChoice[v.choice]);
  writeU8(w, v.invokeIdAndPriority, 'invoke-id-and-priority');
  switch (v.choice) {
    case 'normal':
      encodeGetDataResult(w, v.result);
      return;
    case 'with-datablock':
      encodeDataBlockG(w, v.result);
      return;
    case 'with-list':
      writeSequenceOf(w, v.result, encodeGetDataResult);
      return;
  }
}
