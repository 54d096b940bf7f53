import type { DlmsData } from '../axdr/index.ts';
import { decodeData, encodeData } from '../axdr/index.ts';
import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsErrorCode } from '../errors.ts';
import { type DataBlockSA, decodeDataBlockSA, encodeDataBlockSA } from './datablock.ts';
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
import { type ApduBase, SetRequestChoice, SetResponseChoice } from './tags.ts';
import { readSequenceOf, writeSequenceOf, writeU8, writeU32 } from './wire.ts';

export interface SetRequestNormal extends ApduBase {
  type: 'set-request';
  choice: 'normal';
  invokeIdAndPriority: number;
  cosemAttributeDescriptor: CosemAttributeDescriptor;
  accessSelection?: SelectiveAccessDescriptor;
  value: DlmsData;
}

export interface SetRequestWithFirstDatablock extends ApduBase {
  type: 'set-request';
  choice: 'with-first-datablock';
  invokeIdAndPriority: number;
  cosemAttributeDescriptor: CosemAttributeDescriptor;
  accessSelection?: SelectiveAccessDescriptor;
  datablock: DataBlockSA;
}

export interface SetRequestWithDatablock extends ApduBase {
  type: 'set-request';
  choice: 'with-datablock';
  invokeIdAndPriority: number;
  datablock: DataBlockSA;
}

export interface SetRequestWithList extends ApduBase {
  type: 'set-request';
  choice: 'with-list';
  invokeIdAndPriority: number;
  attributeDescriptorList: CosemAttributeDescriptorWithSelection[];
  valueList: DlmsData[];
}

export interface SetRequestWithListAndFirstDatablock extends ApduBase {
  type: 'set-request';
  choice: 'with-list-and-first-datablock';
  invokeIdAndPriority: number;
  attributeDescriptorList: CosemAttributeDescriptorWithSelection[];
  datablock: DataBlockSA;
}

export type SetRequest =
  | SetRequestNormal
  | SetRequestWithFirstDatablock
  | SetRequestWithDatablock
  | SetRequestWithList
  | SetRequestWithListAndFirstDatablock;

export interface SetResponseNormal extends ApduBase {
  type: 'set-response';
  choice: 'normal';
  invokeIdAndPriority: number;
  result: number;
}

export interface SetResponseDatablock extends ApduBase {
  type: 'set-response';
  choice: 'datablock';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export interface SetResponseLastDatablock extends ApduBase {
  type: 'set-response';
  choice: 'last-datablock';
  invokeIdAndPriority: number;
  result: number;
  blockNumber: number;
}

export interface SetResponseLastDatablockWithList extends ApduBase {
  type: 'set-response';
  choice: 'last-datablock-with-list';
  invokeIdAndPriority: number;
  result: number[];
  blockNumber: number;
}

export interface SetResponseWithList extends ApduBase {
  type: 'set-response';
  choice: 'with-list';
  invokeIdAndPriority: number;
  result: number[];
}

export type SetResponse =
  | SetResponseNormal
  | SetResponseDatablock
  | SetResponseLastDatablock
  | SetResponseLastDatablockWithList
  | SetResponseWithList;

const readResult = (r: ByteReader): number => r.u8();
const writeResult = (w: ByteWriter, v: number): void => writeU8(w, v, 'data-access-result');

/** Reads the body after the 0xC1 tag. */
export function decodeSetRequest(r: ByteReader): SetRequest {
  const at = r.offset;
  const choice = r.u8();
  const invokeIdAndPriority = r.u8();
  switch (choice) {
    case SetRequestChoice.normal:
    case SetRequestChoice['with-first-datablock']: {
      const cosemAttributeDescriptor = decodeCosemAttributeDescriptor(r);
      const accessSelection = decodeAccessSelection(r);
      const selection = accessSelection === undefined ? {} : { accessSelection };
      if (choice === SetRequestChoice.normal) {
        const value = decodeData(r);
        return {
          type: 'set-request',
          choice: 'normal',
          invokeIdAndPriority,
          cosemAttributeDescriptor,
          ...selection,
          value,
        };
      }
      const datablock = decodeDataBlockSA(r);
      return {
        type: 'set-request',
        choice: 'with-first-datablock',
        invokeIdAndPriority,
        cosemAttributeDescriptor,
        ...selection,
        datablock,
      };
    }
    case SetRequestChoice['with-datablock']:
      return {
        type: 'set-request',
        choice: 'with-datablock',
        invokeIdAndPriority,
        datablock: decodeDataBlockSA(r),
      };
    case SetRequestChoice['with-list']: {
      const attributeDescriptorList = readSequenceOf(
        r,
        'attribute-descriptor-list',
        decodeCosemAttributeDescriptorWithSelection,
      );
      const valueList = readSequenceOf(r, 'value-list', decodeData);
      return {
        type: 'set-request',
        choice: 'with-list',
        invokeIdAndPriority,
        attributeDescriptorList,
        valueList,
      };
    }
    case SetRequestChoice['with-list-and-first-datablock']: {
      const attributeDescriptorList = readSequenceOf(
        r,
        'attribute-descriptor-list',
        decodeCosemAttributeDescriptorWithSelection,
      );
      const datablock = decodeDataBlockSA(r);
      return {
        type: 'set-request',
        choice: 'with-list-and-first-datablock',
        invokeIdAndPriority,
        attributeDescriptorList,
        datablock,
      };
    }
    default:
      return r.fail(DlmsErrorCode.Malformed, `set-request choice ${choice}`, at);
  }
}

export function encodeSetRequest(w: ByteWriter, v: SetRequest): void {
  w.u8(SetRequestChoice[v.choice]);
  writeU8(w, v.invokeIdAndPriority, 'invoke-id-and-priority');
  switch (v.choice) {
    case 'normal':
      encodeCosemAttributeDescriptor(w, v.cosemAttributeDescriptor);
      encodeAccessSelection(w, v.accessSelection);
      encodeData(w, v.value);
      return;
    case 'with-first-datablock':
      encodeCosemAttributeDescriptor(w, v.cosemAttributeDescriptor);
      encodeAccessSelection(w, v.accessSelection);
      encodeDataBlockSA(w, v.datablock);
      return;
    case 'with-datablock':
      encodeDataBlockSA(w, v.datablock);
      return;
    case 'with-list':
      writeSequenceOf(w, v.attributeDescriptorList, encodeCosemAttributeDescriptorWithSelection);
      writeSequenceOf(w, v.valueList, encodeData);
      return;
    case 'with-list-and-first-datablock':
      writeSequenceOf(w, v.attributeDescriptorList, encodeCosemAttributeDescriptorWithSelection);
      encodeDataBlockSA(w, v.datablock);
      return;
  }
}

/** Reads the body after the 0xC5 tag. */
export function decodeSetResponse(r: ByteReader): SetResponse {
  const at = r.offset;
  const choice = r.u8();
  const invokeIdAndPriority = r.u8();
  switch (choice) {
    case SetResponseChoice.normal:
      return { type: 'set-response', choice: 'normal', invokeIdAndPriority, result: r.u8() };
    case SetResponseChoice.datablock:
      return { type: 'set-response', choice: 'datablock', invokeIdAndPriority, blockNumber: r.u32() };
    case SetResponseChoice['last-datablock']: {
      const result = r.u8();
      return {
        type: 'set-response',
        choice: 'last-datablock',
        invokeIdAndPriority,
        result,
        blockNumber: r.u32(),
      };
    }
    case SetResponseChoice['last-datablock-with-list']: {
      const result = readSequenceOf(r, 'set-response result list', readResult);
      return {
        type: 'set-response',
        choice: 'last-datablock-with-list',
        invokeIdAndPriority,
        result,
        blockNumber: r.u32(),
      };
    }
    case SetResponseChoice['with-list']:
      return {
        type: 'set-response',
        choice: 'with-list',
        invokeIdAndPriority,
        result: readSequenceOf(r, 'set-response result list', readResult),
      };
    default:
      return r.fail(DlmsErrorCode.Malformed, `set-response choice ${choice}`, at);
  }
}

export function encodeSetResponse(w: ByteWriter, v: SetResponse): void {
  w.u8(SetResponseChoice[v.choice]);
  writeU8(w, v.invokeIdAndPriority, 'invoke-id-and-priority');
  switch (v.choice) {
    case 'normal':
      writeResult(w, v.result);
      return;
    case 'datablock':
      writeU32(w, v.blockNumber, 'block-number');
      return;
    case 'last-datablock':
      writeResult(w, v.result);
      writeU32(w, v.blockNumber, 'block-number');
      return;
    case 'last-datablock-with-list':
      writeSequenceOf(w, v.result, writeResult);
      writeU32(w, v.blockNumber, 'block-number');
      return;
    case 'with-list':
      writeSequenceOf(w, v.result, writeResult);
      return;
  }
}
