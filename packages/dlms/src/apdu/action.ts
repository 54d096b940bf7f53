import type { DlmsData } from '../axdr/index.ts';
import { decodeData, encodeData } from '../axdr/index.ts';
import type { ByteReader, ByteWriter } from '../bytes.ts';
import { DlmsErrorCode } from '../errors.ts';
import {
  type ActionResponseWithOptionalData,
  type DataBlockSA,
  decodeActionResponseWithOptionalData,
  decodeDataBlockSA,
  encodeActionResponseWithOptionalData,
  encodeDataBlockSA,
} from './datablock.ts';
import {
  type CosemMethodDescriptor,
  decodeCosemMethodDescriptor,
  encodeCosemMethodDescriptor,
} from './descriptors.ts';
import { ActionRequestChoice, ActionResponseChoice, type ApduBase } from './tags.ts';
import { readOptional, readSequenceOf, writeOptional, writeSequenceOf, writeU8, writeU32 } from './wire.ts';

export interface ActionRequestNormal extends ApduBase {
  type: 'action-request';
  choice: 'normal';
  invokeIdAndPriority: number;
  cosemMethodDescriptor: CosemMethodDescriptor;
  methodInvocationParameters?: DlmsData;
}

export interface ActionRequestNextPblock extends ApduBase {
  type: 'action-request';
  choice: 'next-pblock';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export interface ActionRequestWithList extends ApduBase {
  type: 'action-request';
  choice: 'with-list';
  invokeIdAndPriority: number;
  cosemMethodDescriptorList: CosemMethodDescriptor[];
  methodInvocationParameters: DlmsData[];
}

export interface ActionRequestWithFirstPblock extends ApduBase {
  type: 'action-request';
  choice: 'with-first-pblock';
  invokeIdAndPriority: number;
  cosemMethodDescriptor: CosemMethodDescriptor;
  pblock: DataBlockSA;
}

export interface ActionRequestWithListAndFirstPblock extends ApduBase {
  type: 'action-request';
  choice: 'with-list-and-first-pblock';
  invokeIdAndPriority: number;
  cosemMethodDescriptorList: CosemMethodDescriptor[];
  pblock: DataBlockSA;
}

export interface ActionRequestWithPblock extends ApduBase {
  type: 'action-request';
  choice: 'with-pblock';
  invokeIdAndPriority: number;
  pblock: DataBlockSA;
}

export type ActionRequest =
  | ActionRequestNormal
  | ActionRequestNextPblock
  | ActionRequestWithList
  | ActionRequestWithFirstPblock
  | ActionRequestWithListAndFirstPblock
  | ActionRequestWithPblock;

export interface ActionResponseNormal extends ApduBase {
  type: 'action-response';
  choice: 'normal';
  invokeIdAndPriority: number;
  singleResponse: ActionResponseWithOptionalData;
}

export interface ActionResponseWithPblock extends ApduBase {
  type: 'action-response';
  choice: 'with-pblock';
  invokeIdAndPriority: number;
  pblock: DataBlockSA;
}

export interface ActionResponseWithList extends ApduBase {
  type: 'action-response';
  choice: 'with-list';
  invokeIdAndPriority: number;
  listOfResponses: ActionResponseWithOptionalData[];
}

export interface ActionResponseNextPblock extends ApduBase {
  type: 'action-response';
  choice: 'next-pblock';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export type ActionResponse =
  | ActionResponseNormal
  | ActionResponseWithPblock
  | ActionResponseWithList
  | ActionResponseNextPblock;

/** Reads the body after the 0xC3 tag. */
export function decodeActionRequest(r: ByteReader): ActionRequest {
  const at = r.offset;
  const choice = r.u8();
  const invokeIdAndPriority = r.u8();
  switch (choice) {
    case ActionRequestChoice.normal: {
      const cosemMethodDescriptor = decodeCosemMethodDescriptor(r);
      const params = readOptional(r, 'method-invocation-parameters', decodeData);
      const apdu: ActionRequestNormal = {
        type: 'action-request',
        choice: 'normal',
        invokeIdAndPriority,
        cosemMethodDescriptor,
      };
      if (params !== undefined) apdu.methodInvocationParameters = params;
      return apdu;
    }
    case ActionRequestChoice['next-pblock']:
      return { type: 'action-request', choice: 'next-pblock', invokeIdAndPriority, blockNumber: r.u32() };
    case ActionRequestChoice['with-list']: {
      const cosemMethodDescriptorList = readSequenceOf(
        r,
        'cosem-method-descriptor-list',
        decodeCosemMethodDescriptor,
      );
      const methodInvocationParameters = readSequenceOf(r, 'method-invocation-parameters', decodeData);
      return {
        type: 'action-request',
        choice: 'with-list',
        invokeIdAndPriority,
        cosemMethodDescriptorList,
        methodInvocationParameters,
      };
    }
    case ActionRequestChoice['with-first-pblock']: {
      const cosemMethodDescriptor = decodeCosemMethodDescriptor(r);
      return {
        type: 'action-request',
        choice: 'with-first-pblock',
        invokeIdAndPriority,
        cosemMethodDescriptor,
        pblock: decodeDataBlockSA(r),
      };
    }
    case ActionRequestChoice['with-list-and-first-pblock']: {
      const cosemMethodDescriptorList = readSequenceOf(
        r,
        'cosem-method-descriptor-list',
        decodeCosemMethodDescriptor,
      );
      return {
        type: 'action-request',
        choice: 'with-list-and-first-pblock',
        invokeIdAndPriority,
        cosemMethodDescriptorList,
        pblock: decodeDataBlockSA(r),
      };
    }
    case ActionRequestChoice['with-pblock']:
      return {
        type: 'action-request',
        choice: 'with-pblock',
        invokeIdAndPriority,
        pblock: decodeDataBlockSA(r),
      };
    default:
      return r.fail(DlmsErrorCode.Malformed, `action-request choice ${choice}`, at);
  }
}

export function encodeActionRequest(w: ByteWriter, v: ActionRequest): void {
  w.u8(ActionRequestChoice[v.choice]);
  writeU8(w, v.invokeIdAndPriority, 'invoke-id-and-priority');
  switch (v.choice) {
    case 'normal':
      encodeCosemMethodDescriptor(w, v.cosemMethodDescriptor);
      writeOptional(w, v.methodInvocationParameters, encodeData);
      return;
    case 'next-pblock':
      writeU32(w, v.blockNumber, 'block-number');
      return;
    case 'with-list':
      writeSequenceOf(w, v.cosemMethodDescriptorList, encodeCosemMethodDescriptor);
      writeSequenceOf(w, v.methodInvocationParameters, encodeData);
      return;
    case 'with-first-pblock':
      encodeCosemMethodDescriptor(w, v.cosemMethodDescriptor);
      encodeDataBlockSA(w, v.pblock);
      return;
    case 'with-list-and-first-pblock':
      writeSequenceOf(w, v.cosemMethodDescriptorList, encodeCosemMethodDescriptor);
      encodeDataBlockSA(w, v.pblock);
      return;
    case 'with-pblock':
      encodeDataBlockSA(w, v.pblock);
      return;
  }
}

/** Reads the body after the 0xC7 tag. */
export function decodeActionResponse(r: ByteReader): ActionResponse {
  const at = r.offset;
  const choice = r.u8();
  const invokeIdAndPriority = r.u8();
  switch (choice) {
    case ActionResponseChoice.normal:
      return {
        type: 'action-response',
        choice: 'normal',
        invokeIdAndPriority,
        singleResponse: decodeActionResponseWithOptionalData(r),
      };
    case ActionResponseChoice['with-pblock']:
      return {
        type: 'action-response',
        choice: 'with-pblock',
        invokeIdAndPriority,
        pblock: decodeDataBlockSA(r),
      };
    case ActionResponseChoice['with-list']:
      return {
        type: 'action-response',
        choice: 'with-list',
        invokeIdAndPriority,
        listOfResponses: readSequenceOf(r, 'list-of-responses', decodeActionResponseWithOptionalData),
      };
    case ActionResponseChoice['next-pblock']:
      return { type: 'action-response', choice: 'next-pblock', invokeIdAndPriority, blockNumber: r.u32() };
    default:
      return r.fail(DlmsErrorCode.Malformed, `action-response choice ${choice}`, at);
  }
}

export function encodeActionResponse(w: ByteWriter, v: ActionResponse): void {
  w.u8(ActionResponseChoice[v.choice]);
  writeU8(w, v.invokeIdAndPriority, 'invoke-id-and-priority');
  switch (v.choice) {
    case 'normal':
      encodeActionResponseWithOptionalData(w, v.singleResponse);
      return;
    case 'with-pblock':
      encodeDataBlockSA(w, v.pblock);
      return;
    case 'with-list':
      writeSequenceOf(w, v.listOfResponses, encodeActionResponseWithOptionalData);
      return;
    case 'next-pblock':
      writeU32(w, v.blockNumber, 'block-number');
      return;
  }
}
