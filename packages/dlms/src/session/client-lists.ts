import { encodeCosemAttributeDescriptorWithSelection } from '../apdu/index.ts';
import type { DlmsData } from '../axdr/index.ts';
import { encodeData } from '../axdr/index.ts';
import { ByteWriter } from '../bytes.ts';
import { accessResultError, type Operation } from './client-ops.ts';
import type { Exchange } from './exchange.ts';
import { asDlmsError, protocolError } from './protection.ts';
import {
  type ActionItem,
  type AttributeRef,
  attributeWithSelection,
  type ListResult,
  type SetItem,
} from './refs.ts';

/** Runs operations one after the other and concatenates their results. */
export function sequence<R>(ops: (() => Operation<R[]>)[]): Operation<R[]> {
  const results: R[] = [];
  let index = 0;
  let current: Operation<R[]> | undefined;
  const begin = (): Uint8Array => {
    current = ops[index]!();
    return current.start();
  };
  return {
    start: begin,
    step(apdu, sink) {
      const out = current!.step(apdu, sink);
      if ('next' in out) return out;
      results.push(...out.done);
      index++;
      if (index >= ops.length) return { done: results };
      return { next: begin() };
    },
  };
}

/** One operation, created at start, whose result is reported as a one-element list. */
export function only<R>(op: () => Operation<R>): Operation<R[]> {
  let inner: Operation<R> | undefined;
  return {
    start() {
      inner = op();
      return inner.start();
    },
    step(apdu, sink) {
      const out = inner!.step(apdu, sink);
      return 'next' in out ? out : { done: [out.done] };
    },
  };
}

export function single<R>(op: () => Operation<R>): () => Operation<R[]> {
  return () => {
    const inner = op();
    return {
      start: () => inner.start(),
      step(apdu, sink) {
        const out = inner.step(apdu, sink);
        return 'next' in out ? out : { done: [out.done] };
      },
    };
  };
}

/** Size of one entry of a with-list request (descriptor and optional access selection). */
function listEntrySize(ref: AttributeRef): number {
  const w = new ByteWriter(32);
  encodeCosemAttributeDescriptorWithSelection(w, attributeWithSelection(ref));
  return w.length;
}

function valueSize(d: DlmsData): number {
  const w = new ByteWriter(64);
  encodeData(w, d);
  return w.length;
}

/** Cuts `items` into runs whose with-list request stays within `limit` bytes (3-byte header, 3-byte counts). */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, limit: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let total = 3 + 3 + 3;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && total + n > limit) {
      chunks.push(current);
      current = [];
      total = 9;
    }
    current.push(item);
    total += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function getListSize(ref: AttributeRef): number {
  return listEntrySize(ref);
}

export function setListSize(item: SetItem): number {
  return listEntrySize(item.ref) + valueSize(item.value);
}

export function actionListSize(item: ActionItem): number {
  return 9 + (item.params === undefined ? 1 : valueSize(item.params));
}

function unwrapList<T>(results: ListResult<T>[], service: string): T {
  const r = results[0];
  if (r === undefined) throw protocolError(`${service}: no result`);
  if (!r.ok) throw accessResultError(service, r.result, r.resultName);
  return r.value;
}

/** Turns an exchange's one-element list result into a value or a DlmsError AccessResult. */
export function singleResult<T>(exchange: Exchange<ListResult<T>[]>, service: string): Exchange<T> {
  return {
    get send() {
      return exchange.send;
    },
    get events() {
      return exchange.events;
    },
    get finished() {
      return exchange.finished;
    },
    receive(apdu) {
      const step = exchange.receive(apdu);
      if (step.status !== 'done') return step;
      try {
        return { status: 'done', result: unwrapList(step.result, service), events: step.events };
      } catch (e) {
        return { status: 'failed', error: asDlmsError(e), events: step.events };
      }
    },
  };
}
