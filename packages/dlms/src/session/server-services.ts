import type { ConformanceName } from '../acse/index.ts';
import {
  type ActionRequest,
  type ActionResponse,
  type ActionResponseWithOptionalData,
  ActionResult,
  type CosemAttributeDescriptor,
  type CosemMethodDescriptor,
  DataAccessResult,
  encodeActionResponseWithOptionalData,
  encodeXdlmsApdu,
  type GetDataResult,
  type GetRequest,
  type GetResponse,
  getResponseDatablocks,
  maxBlockData,
  type SelectiveAccessDescriptor,
  type SetRequest,
  type SetResponse,
  splitIntoBlocks,
} from '../apdu/index.ts';
import { type DlmsData, dataFromBytes, decodeData } from '../axdr/index.ts';
import { ByteReader, ByteWriter, bytesEqual, concatBytes } from '../bytes.ts';
import { DlmsError } from '../errors.ts';
import type { AccessContext, ObjectModel } from './object-model.ts';
import { ASSOCIATION_LN_CLASS_ID, CURRENT_ASSOCIATION_LN, REPLY_TO_HLS_AUTHENTICATION } from './settings.ts';

/** What the service dispatcher needs from the server session. */
export interface ServiceHost {
  readonly model: ObjectModel;
  context(): AccessContext;
  negotiated(name: ConformanceName): boolean;
  /** Largest plain response that fits the client's max receive PDU once protected. */
  responseLimit(): number;
  /** Until HLS pass 3 succeeds only reply_to_HLS_authentication is allowed. */
  hlsPending(): boolean;
  replyToHls(params: DlmsData | undefined): { result: number; returnData?: DlmsData };
}

type Reply = GetResponse | SetResponse | ActionResponse;

interface Inbound {
  parts: Uint8Array[];
  last: number;
}

/** GET/SET/ACTION against the object model, with access rights and service-specific blocks. */
export class ServerServices {
  private readonly host: ServiceHost;
  private outGet: { invokeId: number; blocks: GetResponse[]; sent: number } | undefined;
  private outAction: { invokeId: number; blocks: Uint8Array[]; sent: number } | undefined;
  private inSet:
    | (Inbound & { descriptor?: CosemAttributeDescriptor; access?: SelectiveAccessDescriptor; list?: number })
    | undefined;
  private inAction: (Inbound & { descriptor: CosemMethodDescriptor }) | undefined;
  /** The last reply encoded to check its size against the limit, with its bytes. */
  private encoded: { reply: Reply; bytes: Uint8Array } | undefined;

  constructor(host: ServiceHost) {
    this.host = host;
  }

  reset(): void {
    this.encoded = undefined;
    this.outGet = undefined;
    this.outAction = undefined;
    this.inSet = undefined;
    this.inAction = undefined;
  }

  /** handle() and the reply's encoding, without encoding a reply twice. */
  handleEncoded(apdu: GetRequest | SetRequest | ActionRequest): Uint8Array {
    const reply = this.handle(apdu);
    const memo = this.encoded;
    this.encoded = undefined;
    return memo !== undefined && memo.reply === reply ? memo.bytes : encodeXdlmsApdu(reply);
  }

  /** Encodes a reply, keeping the bytes in case it is the one returned. */
  private encode(reply: Reply): Uint8Array {
    const bytes = encodeXdlmsApdu(reply);
    this.encoded = { reply, bytes };
    return bytes;
  }

  handle(apdu: GetRequest | SetRequest | ActionRequest): Reply {
    switch (apdu.type) {
      case 'get-request':
        return this.get(apdu);
      case 'set-request':
        return this.set(apdu);
      case 'action-request':
        return this.action(apdu);
    }
  }

  private read(d: CosemAttributeDescriptor, access?: SelectiveAccessDescriptor): GetDataResult {
    const { model } = this.host;
    const rights = this.host.hlsPending()
      ? 'none'
      : model.attributeAccess(this.host.context().association, d.classId, d.instanceId, d.attributeId);
    if (rights !== 'read' && rights !== 'read-write') {
      return { choice: 'data-access-result', dataAccessResult: DataAccessResult['read-write-denied'] };
    }
    const v = model.get(this.host.context(), {
      classId: d.classId,
      obis: d.instanceId,
      attributeId: d.attributeId,
      ...(access === undefined ? {} : { access }),
    });
    return typeof v === 'number'
      ? { choice: 'data-access-result', dataAccessResult: v }
      : { choice: 'data', data: v };
  }

  private write(d: CosemAttributeDescriptor, value: DlmsData, access?: SelectiveAccessDescriptor): number {
    const { model } = this.host;
    const rights = this.host.hlsPending()
      ? 'none'
      : model.attributeAccess(this.host.context().association, d.classId, d.instanceId, d.attributeId);
    if (rights !== 'write' && rights !== 'read-write') return DataAccessResult['read-write-denied'];
    return model.set(
      this.host.context(),
      {
        classId: d.classId,
        obis: d.instanceId,
        attributeId: d.attributeId,
        ...(access === undefined ? {} : { access }),
      },
      value,
    );
  }

  private call(d: CosemMethodDescriptor, params: DlmsData | undefined): ActionResponseWithOptionalData {
    let out: { result: number; returnData?: DlmsData };
    if (
      d.classId === ASSOCIATION_LN_CLASS_ID &&
      d.methodId === REPLY_TO_HLS_AUTHENTICATION &&
      bytesEqual(d.instanceId, CURRENT_ASSOCIATION_LN) &&
      this.host.hlsPending()
    ) {
      out = this.host.replyToHls(params);
    } else if (
      this.host.hlsPending() ||
      this.host.model.methodAccess(this.host.context().association, d.classId, d.instanceId, d.methodId) !==
        'access'
    ) {
      out = { result: ActionResult['read-write-denied'] };
    } else {
      out = this.host.model.action(
        this.host.context(),
        { classId: d.classId, obis: d.instanceId, methodId: d.methodId },
        params,
      );
    }
    return out.returnData === undefined
      ? { result: out.result }
      : { result: out.result, returnParameters: { choice: 'data', data: out.returnData } };
  }

  private serviceBlocks(name: ConformanceName): boolean {
    return this.host.negotiated(name) && !this.host.negotiated('general-block-transfer');
  }

  private get(apdu: GetRequest): GetResponse {
    const iip = apdu.invokeIdAndPriority;
    if (apdu.choice === 'next') return this.getNext(iip, apdu.blockNumber);
    this.outGet = undefined;
    const limit = this.host.responseLimit();
    const blocks = this.serviceBlocks('block-transfer-with-get-or-read');
    if (apdu.choice === 'normal') {
      const result = this.read(apdu.cosemAttributeDescriptor, apdu.accessSelection);
      const resp: GetResponse = { type: 'get-response', choice: 'normal', invokeIdAndPriority: iip, result };
      const bytes = this.encode(resp);
      if (bytes.length <= limit || !blocks || result.choice !== 'data') return resp;
      return this.startGetBlocks(iip, bytes.subarray(4), limit);
    }
    const result = apdu.attributeDescriptorList.map((a) =>
      this.read(a.cosemAttributeDescriptor, a.accessSelection),
    );
    const resp: GetResponse = { type: 'get-response', choice: 'with-list', invokeIdAndPriority: iip, result };
    const bytes = this.encode(resp);
    if (bytes.length <= limit || !blocks) return resp;
    return this.startGetBlocks(iip, bytes.subarray(3), limit);
  }

  private startGetBlocks(iip: number, raw: Uint8Array, limit: number): GetResponse {
    const blocks = getResponseDatablocks(iip, raw, limit);
    this.outGet = { invokeId: iip & 0x0f, blocks, sent: 1 };
    return blocks[0]!;
  }

  private getNext(iip: number, blockNumber: number): GetResponse {
    const out = this.outGet;
    const abort = (result: number): GetResponse => {
      this.outGet = undefined;
      return {
        type: 'get-response',
        choice: 'with-datablock',
        invokeIdAndPriority: iip,
        result: {
          lastBlock: true,
          blockNumber,
          result: { choice: 'data-access-result', dataAccessResult: result },
        },
      };
    };
    if (out === undefined || out.invokeId !== (iip & 0x0f))
      return abort(DataAccessResult['no-long-get-in-progress']);
    if (blockNumber !== out.sent || out.sent >= out.blocks.length) {
      return abort(DataAccessResult['data-block-number-invalid']);
    }
    const next = out.blocks[out.sent]!;
    out.sent++;
    if (out.sent >= out.blocks.length) this.outGet = undefined;
    return next;
  }

  private set(apdu: SetRequest): SetResponse {
    const iip = apdu.invokeIdAndPriority;
    const normal = (result: number): SetResponse => ({
      type: 'set-response',
      choice: 'normal',
      invokeIdAndPriority: iip,
      result,
    });
    switch (apdu.choice) {
      case 'normal':
        this.inSet = undefined;
        return normal(this.write(apdu.cosemAttributeDescriptor, apdu.value, apdu.accessSelection));
      case 'with-list':
        this.inSet = undefined;
        return {
          type: 'set-response',
          choice: 'with-list',
          invokeIdAndPriority: iip,
          result: apdu.attributeDescriptorList.map((a, i) =>
            this.write(
              a.cosemAttributeDescriptor,
              apdu.valueList[i] ?? { type: 'null-data' },
              a.accessSelection,
            ),
          ),
        };
      case 'with-first-datablock':
      case 'with-list-and-first-datablock': {
        if (apdu.datablock.blockNumber !== 1) return normal(DataAccessResult['data-block-number-invalid']);
        this.inSet =
          apdu.choice === 'with-first-datablock'
            ? {
                parts: [],
                last: 0,
                descriptor: apdu.cosemAttributeDescriptor,
                ...(apdu.accessSelection === undefined ? {} : { access: apdu.accessSelection }),
              }
            : { parts: [], last: 0, list: apdu.attributeDescriptorList.length };
        if (apdu.choice === 'with-list-and-first-datablock') {
          this.setList = apdu.attributeDescriptorList.map((a) => a.cosemAttributeDescriptor);
        }
        return this.setBlock(
          iip,
          apdu.datablock.blockNumber,
          apdu.datablock.rawData,
          apdu.datablock.lastBlock,
        );
      }
      case 'with-datablock': {
        const b = apdu.datablock;
        if (this.inSet === undefined) return normal(DataAccessResult['no-long-set-in-progress']);
        if (b.blockNumber !== this.inSet.last + 1) {
          this.inSet = undefined;
          return normal(DataAccessResult['data-block-number-invalid']);
        }
        return this.setBlock(iip, b.blockNumber, b.rawData, b.lastBlock);
      }
    }
  }

  private setList: CosemAttributeDescriptor[] = [];

  private setBlock(iip: number, blockNumber: number, raw: Uint8Array, last: boolean): SetResponse {
    const state = this.inSet!;
    state.parts.push(raw);
    state.last = blockNumber;
    if (!last) return { type: 'set-response', choice: 'datablock', invokeIdAndPriority: iip, blockNumber };
    this.inSet = undefined;
    const whole = concatBytes(...state.parts);
    if (state.descriptor !== undefined) {
      let result: number;
      try {
        result = this.write(state.descriptor, dataFromBytes(whole), state.access);
      } catch (e) {
        if (!(e instanceof DlmsError)) throw e;
        result = DataAccessResult['type-unmatched'];
      }
      return {
        type: 'set-response',
        choice: 'last-datablock',
        invokeIdAndPriority: iip,
        result,
        blockNumber,
      };
    }
    const list = this.setList;
    let values: DlmsData[] | undefined;
    try {
      const r = new ByteReader(whole);
      const n = r.axdrLength();
      values = [];
      for (let i = 0; i < n; i++) values.push(decodeData(r));
      if (n !== list.length) values = undefined;
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
    }
    const result = list.map((d, i) =>
      values === undefined ? DataAccessResult['type-unmatched'] : this.write(d, values[i]!),
    );
    return {
      type: 'set-response',
      choice: 'last-datablock-with-list',
      invokeIdAndPriority: iip,
      result,
      blockNumber,
    };
  }

  private action(apdu: ActionRequest): ActionResponse {
    const iip = apdu.invokeIdAndPriority;
    const single = (r: ActionResponseWithOptionalData): ActionResponse => {
      const resp: ActionResponse = {
        type: 'action-response',
        choice: 'normal',
        invokeIdAndPriority: iip,
        singleResponse: r,
      };
      const limit = this.host.responseLimit();
      if (this.encode(resp).length <= limit || !this.serviceBlocks('block-transfer-with-action')) return resp;
      const w = new ByteWriter(256);
      encodeActionResponseWithOptionalData(w, r);
      const blocks = splitIntoBlocks(w.finish(), maxBlockData('action-response-with-pblock', limit));
      this.outAction = { invokeId: iip & 0x0f, blocks, sent: 0 };
      return this.nextActionBlock(iip);
    };
    const failure = (result: number): ActionResponse => ({
      type: 'action-response',
      choice: 'normal',
      invokeIdAndPriority: iip,
      singleResponse: { result },
    });
    switch (apdu.choice) {
      case 'normal':
        this.inAction = undefined;
        return single(this.call(apdu.cosemMethodDescriptor, apdu.methodInvocationParameters));
      case 'with-list':
        return {
          type: 'action-response',
          choice: 'with-list',
          invokeIdAndPriority: iip,
          listOfResponses: apdu.cosemMethodDescriptorList.map((d, i) => {
            const p = apdu.methodInvocationParameters[i];
            return this.call(d, p === undefined || p.type === 'null-data' ? undefined : p);
          }),
        };
      case 'next-pblock': {
        const out = this.outAction;
        if (out === undefined || out.invokeId !== (iip & 0x0f) || apdu.blockNumber !== out.sent) {
          this.outAction = undefined;
          return failure(ActionResult['no-long-action-in-progress']);
        }
        return this.nextActionBlock(iip);
      }
      case 'with-first-pblock':
        if (apdu.pblock.blockNumber !== 1) return failure(ActionResult['long-action-aborted']);
        this.inAction = { parts: [], last: 0, descriptor: apdu.cosemMethodDescriptor };
        return this.actionBlock(
          iip,
          apdu.pblock.blockNumber,
          apdu.pblock.rawData,
          apdu.pblock.lastBlock,
          single,
        );
      case 'with-pblock': {
        const state = this.inAction;
        if (state === undefined) return failure(ActionResult['no-long-action-in-progress']);
        if (apdu.pblock.blockNumber !== state.last + 1) {
          this.inAction = undefined;
          return failure(ActionResult['long-action-aborted']);
        }
        return this.actionBlock(
          iip,
          apdu.pblock.blockNumber,
          apdu.pblock.rawData,
          apdu.pblock.lastBlock,
          single,
        );
      }
      case 'with-list-and-first-pblock':
        return {
          type: 'action-response',
          choice: 'with-list',
          invokeIdAndPriority: iip,
          listOfResponses: apdu.cosemMethodDescriptorList.map(() => ({
            result: ActionResult['other-reason'],
          })),
        };
    }
  }

  private actionBlock(
    iip: number,
    blockNumber: number,
    raw: Uint8Array,
    last: boolean,
    single: (r: ActionResponseWithOptionalData) => ActionResponse,
  ): ActionResponse {
    const state = this.inAction!;
    state.parts.push(raw);
    state.last = blockNumber;
    if (!last)
      return { type: 'action-response', choice: 'next-pblock', invokeIdAndPriority: iip, blockNumber };
    this.inAction = undefined;
    let params: DlmsData;
    try {
      params = dataFromBytes(concatBytes(...state.parts));
    } catch (e) {
      if (!(e instanceof DlmsError)) throw e;
      return single({ result: ActionResult['type-unmatched'] });
    }
    return single(this.call(state.descriptor, params));
  }

  private nextActionBlock(iip: number): ActionResponse {
    const out = this.outAction!;
    const rawData = out.blocks[out.sent]!;
    out.sent++;
    const lastBlock = out.sent >= out.blocks.length;
    if (lastBlock) this.outAction = undefined;
    return {
      type: 'action-response',
      choice: 'with-pblock',
      invokeIdAndPriority: iip,
      pblock: { lastBlock, blockNumber: out.sent, rawData },
    };
  }
}
