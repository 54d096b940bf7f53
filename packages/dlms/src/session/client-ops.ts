import {
  type ActionResponseWithOptionalData,
  ActionResult,
  actionResultName,
  DataAccessResult,
  dataAccessResultName,
  decodeActionResponseWithOptionalData,
  decodeGetDataResult,
  encodeXdlmsApdu,
  type GetDataResult,
  maxBlockData,
  splitIntoBlocks,
  type XdlmsApdu,
} from '../apdu/index.ts';
import { type DlmsData, dataToBytes, decodeData } from '../axdr/index.ts';
import { ByteReader, concatBytes } from '../bytes.ts';
import { DlmsError, DlmsErrorCode } from '../errors.ts';
import { type EventSink, SessionWarning } from './events.ts';
import { protocolError } from './protection.ts';
import {
  type ActionItem,
  type AttributeRef,
  attributeDescriptor,
  attributeWithSelection,
  type ListResult,
  methodDescriptor,
  type SetItem,
} from './refs.ts';

/** What the operations need from the client session. */
export interface OperationContext {
  /** Next invoke-id-and-priority byte (rolling invoke-id 0..15, confirmed, high priority). */
  invokeIdAndPriority(): number;
  /** Negotiated feature test. */
  negotiated(feature: 'block-get' | 'block-set' | 'block-action' | 'gbt' | 'multiple-references'): boolean;
  /** Largest plain request that still fits the server's max receive PDU once protected. */
  requestLimit(): number;
  /**
   * Confirmed requests sent in this association and not answered yet, the current one
   * included: 1 unless earlier requests were abandoned without their answer.
   */
  outstandingRequests(): number;
}

export type OpResult<R> = { next: Uint8Array } | { done: R };

/** One service invocation: its first plain APDU, then a step per decoded response. */
export interface Operation<R> {
  start(): Uint8Array;
  step(apdu: XdlmsApdu, sink: EventSink): OpResult<R>;
}

export function accessResultError(service: string, result: number, name: string): DlmsError {
  return new DlmsError(DlmsErrorCode.AccessResult, `${service}: ${name} (${result})`, {
    detail: { result, resultName: name },
  });
}

type InvokeIdCheck = (apdu: XdlmsApdu, sink: EventSink) => void;

/**
 * Each response of one operation must carry the request's invoke-id. Field tolerance: a
 * meter answering with another invoke-id while this request is the only one outstanding can
 * only be answering it, so the response is accepted with a warning (once per operation);
 * with several requests outstanding it may answer another one and is refused.
 */
function invokeIdCheck(ctx: OperationContext, invokeIdAndPriority: number): InvokeIdCheck {
  const want = invokeIdAndPriority & 0x0f;
  let warned = false;
  return (apdu, sink) => {
    if (!('invokeIdAndPriority' in apdu)) return;
    const got = apdu.invokeIdAndPriority & 0x0f;
    if (got === want) return;
    const outstanding = ctx.outstandingRequests();
    if (outstanding > 1) {
      throw protocolError(
        `response invoke-id ${got} does not match request invoke-id ${want} (${outstanding} requests outstanding)`,
        { invokeId: got, expected: want, outstanding },
      );
    }
    if (warned) return;
    warned = true;
    sink.warn(
      SessionWarning.InvokeIdMismatch,
      `${apdu.type} with invoke-id ${got} accepted for request invoke-id ${want}, the only request outstanding`,
    );
  };
}

function unexpected(apdu: XdlmsApdu, what: string): DlmsError {
  const choice = 'choice' in apdu ? ` ${apdu.choice}` : '';
  return protocolError(`unexpected ${apdu.type}${choice} while waiting for ${what}`);
}

/** Collects service-specific blocks (GET datablocks, ACTION pblocks), numbered from 1. */
class BlockCollector {
  private readonly parts: Uint8Array[] = [];
  private warned = false;

  add(blockNumber: number, raw: Uint8Array, negotiated: boolean, sink: EventSink, service: string): void {
    if (!negotiated && !this.warned) {
      this.warned = true;
      sink.warn(
        SessionWarning.BlockTransferNotNegotiated,
        `${service} answered in blocks although block transfer was not negotiated`,
      );
    }
    const expected = this.parts.length + 1;
    if (blockNumber !== expected) {
      throw protocolError(`${service} block ${blockNumber} where ${expected} was due`, {
        blockNumber,
        expected,
      });
    }
    this.parts.push(raw);
  }

  get count(): number {
    return this.parts.length;
  }

  whole(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

function warnTrailing(r: ByteReader, sink: EventSink, what: string): void {
  if (!r.atEnd()) {
    sink.warn(SessionWarning.TrailingBytes, `${r.remaining} bytes after the ${what} ignored`);
  }
}

function dataFromRaw(raw: Uint8Array, sink: EventSink, what: string): DlmsData {
  const r = new ByteReader(raw);
  const d = decodeData(r);
  warnTrailing(r, sink, what);
  return d;
}

function fromGetDataResult(r: GetDataResult): ListResult<DlmsData> {
  if (r.choice === 'data') return { ok: true, value: r.data };
  return { ok: false, result: r.dataAccessResult, resultName: dataAccessResultName(r.dataAccessResult) };
}

function failed(result: number, resultName: string): ListResult<never> {
  return { ok: false, result, resultName };
}

/** GET (normal), following GetResponseWithDatablock with GetRequestNext. */
export function getOperation(ctx: OperationContext, ref: AttributeRef): Operation<ListResult<DlmsData>> {
  const iip = ctx.invokeIdAndPriority();
  const checkInvokeId = invokeIdCheck(ctx, iip);
  const blocks = new BlockCollector();
  return {
    start: () =>
      encodeXdlmsApdu({
        type: 'get-request',
        choice: 'normal',
        invokeIdAndPriority: iip,
        cosemAttributeDescriptor: attributeDescriptor(ref),
        ...(ref.access === undefined ? {} : { accessSelection: ref.access }),
      }),
    step(apdu, sink) {
      checkInvokeId(apdu, sink);
      if (apdu.type !== 'get-response' || apdu.choice === 'with-list') throw unexpected(apdu, 'get-response');
      if (apdu.choice === 'normal') return { done: fromGetDataResult(apdu.result) };
      const block = apdu.result;
      if (block.result.choice === 'data-access-result') {
        const n = block.result.dataAccessResult;
        return { done: failed(n, dataAccessResultName(n)) };
      }
      blocks.add(block.blockNumber, block.result.rawData, ctx.negotiated('block-get'), sink, 'get');
      if (!block.lastBlock) {
        return {
          next: encodeXdlmsApdu({
            type: 'get-request',
            choice: 'next',
            invokeIdAndPriority: iip,
            blockNumber: block.blockNumber,
          }),
        };
      }
      return { done: { ok: true, value: dataFromRaw(blocks.whole(), sink, 'get-response data') } };
    },
  };
}

function decodeResultList(raw: Uint8Array, count: number, sink: EventSink): ListResult<DlmsData>[] {
  const r = new ByteReader(raw);
  const n = r.axdrLength();
  if (n !== count) throw protocolError(`get-response-with-list has ${n} results for ${count} attributes`);
  const out: ListResult<DlmsData>[] = [];
  for (let i = 0; i < n; i++) out.push(fromGetDataResult(decodeGetDataResult(r)));
  warnTrailing(r, sink, 'get-response-with-list results');
  return out;
}

/** One GetRequestWithList; a block-wise answer carries the encoded result list. */
export function getListOperation(
  ctx: OperationContext,
  refs: readonly AttributeRef[],
): Operation<ListResult<DlmsData>[]> {
  const iip = ctx.invokeIdAndPriority();
  const checkInvokeId = invokeIdCheck(ctx, iip);
  const blocks = new BlockCollector();
  return {
    start: () =>
      encodeXdlmsApdu({
        type: 'get-request',
        choice: 'with-list',
        invokeIdAndPriority: iip,
        attributeDescriptorList: refs.map(attributeWithSelection),
      }),
    step(apdu, sink) {
      checkInvokeId(apdu, sink);
      if (apdu.type !== 'get-response' || apdu.choice === 'normal') throw unexpected(apdu, 'get-response');
      if (apdu.choice === 'with-list') {
        if (apdu.result.length !== refs.length) {
          throw protocolError(
            `get-response-with-list has ${apdu.result.length} results for ${refs.length} attributes`,
          );
        }
        return { done: apdu.result.map(fromGetDataResult) };
      }
      const block = apdu.result;
      if (block.result.choice === 'data-access-result') {
        const n = block.result.dataAccessResult;
        return { done: refs.map(() => failed(n, dataAccessResultName(n))) };
      }
      blocks.add(block.blockNumber, block.result.rawData, ctx.negotiated('block-get'), sink, 'get');
      if (!block.lastBlock) {
        return {
          next: encodeXdlmsApdu({
            type: 'get-request',
            choice: 'next',
            invokeIdAndPriority: iip,
            blockNumber: block.blockNumber,
          }),
        };
      }
      return { done: decodeResultList(blocks.whole(), refs.length, sink) };
    },
  };
}

function setResultOf(result: number): ListResult<undefined> {
  return result === DataAccessResult.success
    ? { ok: true, value: undefined }
    : failed(result, dataAccessResultName(result));
}

/** SET (normal), or with-first-datablock/with-datablock when the request does not fit. */
export function setOperation(ctx: OperationContext, item: SetItem): Operation<ListResult<undefined>> {
  const iip = ctx.invokeIdAndPriority();
  const checkInvokeId = invokeIdCheck(ctx, iip);
  const { ref, value } = item;
  const selection = ref.access === undefined ? {} : { accessSelection: ref.access };
  const normal = encodeXdlmsApdu({
    type: 'set-request',
    choice: 'normal',
    invokeIdAndPriority: iip,
    cosemAttributeDescriptor: attributeDescriptor(ref),
    ...selection,
    value,
  });
  const limit = ctx.requestLimit();
  const blockwise = normal.length > limit && !ctx.negotiated('gbt') && ctx.negotiated('block-set');
  let blocks: Uint8Array[] = [];
  if (blockwise) {
    const descriptorSize = normal.length - dataToBytes(value).length - 3;
    blocks = splitIntoBlocks(
      dataToBytes(value),
      maxBlockData('set-request-with-datablock', limit - descriptorSize),
    );
  }
  let sent = 0;
  const nextBlock = (): Uint8Array => {
    const rawData = blocks[sent]!;
    sent++;
    const datablock = { lastBlock: sent === blocks.length, blockNumber: sent, rawData };
    if (sent === 1) {
      return encodeXdlmsApdu({
        type: 'set-request',
        choice: 'with-first-datablock',
        invokeIdAndPriority: iip,
        cosemAttributeDescriptor: attributeDescriptor(ref),
        ...selection,
        datablock,
      });
    }
    return encodeXdlmsApdu({
      type: 'set-request',
      choice: 'with-datablock',
      invokeIdAndPriority: iip,
      datablock,
    });
  };
  return {
    start: () => (blockwise ? nextBlock() : normal),
    step(apdu, sink) {
      checkInvokeId(apdu, sink);
      if (apdu.type !== 'set-response') throw unexpected(apdu, 'set-response');
      switch (apdu.choice) {
        case 'normal':
        case 'last-datablock':
          return { done: setResultOf(apdu.result) };
        case 'datablock':
          if (!blockwise || apdu.blockNumber !== sent || sent >= blocks.length) {
            throw protocolError(`set-response-datablock ${apdu.blockNumber} after block ${sent}`);
          }
          return { next: nextBlock() };
        default:
          throw unexpected(apdu, 'set-response');
      }
    },
  };
}

/** One SetRequestWithList. */
export function setListOperation(
  ctx: OperationContext,
  items: readonly SetItem[],
): Operation<ListResult<undefined>[]> {
  const iip = ctx.invokeIdAndPriority();
  const checkInvokeId = invokeIdCheck(ctx, iip);
  return {
    start: () =>
      encodeXdlmsApdu({
        type: 'set-request',
        choice: 'with-list',
        invokeIdAndPriority: iip,
        attributeDescriptorList: items.map((i) => attributeWithSelection(i.ref)),
        valueList: items.map((i) => i.value),
      }),
    step(apdu, sink) {
      checkInvokeId(apdu, sink);
      if (
        apdu.type !== 'set-response' ||
        (apdu.choice !== 'with-list' && apdu.choice !== 'last-datablock-with-list')
      ) {
        throw unexpected(apdu, 'set-response-with-list');
      }
      if (apdu.result.length !== items.length) {
        throw protocolError(
          `set-response-with-list has ${apdu.result.length} results for ${items.length} values`,
        );
      }
      return { done: apdu.result.map(setResultOf) };
    },
  };
}

function actionResultOf(r: ActionResponseWithOptionalData): ListResult<DlmsData | undefined> {
  if (r.result !== ActionResult.success) return failed(r.result, actionResultName(r.result));
  const p = r.returnParameters;
  if (p === undefined) return { ok: true, value: undefined };
  if (p.choice === 'data') return { ok: true, value: p.data };
  return failed(p.dataAccessResult, dataAccessResultName(p.dataAccessResult));
}

/** ACTION (normal), with-first-pblock/with-pblock for long parameters, next-pblock for long answers. */
export function actionOperation(
  ctx: OperationContext,
  item: ActionItem,
): Operation<ListResult<DlmsData | undefined>> {
  const iip = ctx.invokeIdAndPriority();
  const checkInvokeId = invokeIdCheck(ctx, iip);
  const descriptor = methodDescriptor(item.ref);
  const normal = encodeXdlmsApdu({
    type: 'action-request',
    choice: 'normal',
    invokeIdAndPriority: iip,
    cosemMethodDescriptor: descriptor,
    ...(item.params === undefined ? {} : { methodInvocationParameters: item.params }),
  });
  const limit = ctx.requestLimit();
  const blockwise =
    item.params !== undefined &&
    normal.length > limit &&
    !ctx.negotiated('gbt') &&
    ctx.negotiated('block-action');
  let blocks: Uint8Array[] = [];
  if (blockwise && item.params !== undefined) {
    blocks = splitIntoBlocks(dataToBytes(item.params), maxBlockData('action-request-with-pblock', limit - 9));
  }
  let sent = 0;
  const nextBlock = (): Uint8Array => {
    const rawData = blocks[sent]!;
    sent++;
    const pblock = { lastBlock: sent === blocks.length, blockNumber: sent, rawData };
    if (sent === 1) {
      return encodeXdlmsApdu({
        type: 'action-request',
        choice: 'with-first-pblock',
        invokeIdAndPriority: iip,
        cosemMethodDescriptor: descriptor,
        pblock,
      });
    }
    return encodeXdlmsApdu({
      type: 'action-request',
      choice: 'with-pblock',
      invokeIdAndPriority: iip,
      pblock,
    });
  };
  const incoming = new BlockCollector();
  return {
    start: () => (blockwise ? nextBlock() : normal),
    step(apdu, sink) {
      checkInvokeId(apdu, sink);
      if (apdu.type !== 'action-response') throw unexpected(apdu, 'action-response');
      switch (apdu.choice) {
        case 'normal':
          return { done: actionResultOf(apdu.singleResponse) };
        case 'next-pblock':
          if (!blockwise || apdu.blockNumber !== sent || sent >= blocks.length) {
            throw protocolError(`action-response-next-pblock ${apdu.blockNumber} after block ${sent}`);
          }
          return { next: nextBlock() };
        case 'with-pblock': {
          const b = apdu.pblock;
          incoming.add(b.blockNumber, b.rawData, ctx.negotiated('block-action'), sink, 'action');
          if (!b.lastBlock) {
            return {
              next: encodeXdlmsApdu({
                type: 'action-request',
                choice: 'next-pblock',
                invokeIdAndPriority: iip,
                blockNumber: b.blockNumber,
              }),
            };
          }
          const r = new ByteReader(incoming.whole());
          const single = decodeActionResponseWithOptionalData(r);
          warnTrailing(r, sink, 'action-response data');
          return { done: actionResultOf(single) };
        }
        default:
          throw unexpected(apdu, 'action-response');
      }
    },
  };
}

/** One ActionRequestWithList; absent parameters travel as null-data. */
export function actionListOperation(
  ctx: OperationContext,
  items: readonly ActionItem[],
): Operation<ListResult<DlmsData | undefined>[]> {
  const iip = ctx.invokeIdAndPriority();
  const checkInvokeId = invokeIdCheck(ctx, iip);
  return {
    start: () =>
      encodeXdlmsApdu({
        type: 'action-request',
        choice: 'with-list',
        invokeIdAndPriority: iip,
        cosemMethodDescriptorList: items.map((i) => methodDescriptor(i.ref)),
        methodInvocationParameters: items.map((i) => i.params ?? { type: 'null-data' }),
      }),
    step(apdu, sink) {
      checkInvokeId(apdu, sink);
      if (apdu.type !== 'action-response' || apdu.choice !== 'with-list') {
        throw unexpected(apdu, 'action-response-with-list');
      }
      if (apdu.listOfResponses.length !== items.length) {
        throw protocolError(
          `action-response-with-list has ${apdu.listOfResponses.length} results for ${items.length} methods`,
        );
      }
      return { done: apdu.listOfResponses.map(actionResultOf) };
    },
  };
}
