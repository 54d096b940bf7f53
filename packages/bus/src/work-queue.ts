import type { EnqueueOptions, WorkDelivery, WorkQueue, WorkQueueStats } from '@openhes/core';
import { closedError, invalidError } from './errors.ts';
import { Heap } from './heap.ts';

export interface MemoryWorkQueueOptions {
  /** A delivery not acked, nak'ed or marked in progress within this many ms is delivered again. */
  ackWaitMs?: number;
  /** Time source (tests); default Date.now. Timers use the global setTimeout. */
  now?: () => number;
}

interface Item<T> {
  id: string;
  payload: T;
  /** Enqueue order, the tie-break among items due at the same instant. */
  order: number;
  attempt: number;
  dueAt: number;
  dedupeKey: string | undefined;
  /** Identifies the current delivery; 0 while waiting. */
  token: number;
  /** Redelivery deadline of the current delivery. */
  deadline: number;
}

const earlier = <T>(a: Item<T>, b: Item<T>) =>
  a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.order < b.order);

/**
 * The in-process WorkQueue: items wait in a heap by due time; a delivery is in flight until
 * acked, nak'ed or past its deadline (then it is due again, at its deadline, with the next
 * attempt number). Lives and dies with the process: a durable queue across processes is the
 * NATS JetStream adapter's job.
 *
 * A delivery whose item has been handed out again (its deadline passed and a fetch took it)
 * loses its say: its ack, nak and inProgress do nothing, the new delivery decides.
 */
export function createMemoryWorkQueue<T>(options: MemoryWorkQueueOptions = {}): WorkQueue<T> {
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  if (!Number.isSafeInteger(ackWaitMs) || ackWaitMs <= 0) throw invalidError('ackWaitMs must be positive');
  const now = options.now ?? Date.now;
  const waiting = new Heap<Item<T>>(earlier);
  const inFlight = new Map<string, Item<T>>();
  const byDedupe = new Map<string, Item<T>>();
  const wakers = new Set<() => void>();
  let order = 0;
  let tokens = 0;
  let closed = false;

  const wake = () => {
    for (const w of [...wakers]) w();
  };

  /** Deliveries past their deadline go back to waiting, due at their deadline. */
  function reclaim(t: number): void {
    for (const item of inFlight.values()) {
      if (item.deadline > t) continue;
      inFlight.delete(item.id);
      item.token = 0;
      item.dueAt = item.deadline;
      waiting.push(item);
    }
  }

  function finish(item: Item<T>): void {
    inFlight.delete(item.id);
    item.token = 0;
    if (item.dedupeKey !== undefined && byDedupe.get(item.dedupeKey) === item)
      byDedupe.delete(item.dedupeKey);
  }

  function deliver(item: Item<T>, t: number): WorkDelivery<T> {
    const token = ++tokens;
    item.token = token;
    item.attempt++;
    item.deadline = t + ackWaitMs;
    inFlight.set(item.id, item);
    // Past its deadline a delivery still counts until the item is handed out again.
    const current = () => item.token === token && inFlight.get(item.id) === item;
    return {
      id: item.id,
      payload: item.payload,
      attempt: item.attempt,
      async ack() {
        if (current()) finish(item);
      },
      async nak(delayMs = 0) {
        if (!Number.isFinite(delayMs) || delayMs < 0) throw invalidError('nak delay must be >= 0');
        if (!current()) return;
        inFlight.delete(item.id);
        item.token = 0;
        item.dueAt = now() + delayMs;
        waiting.push(item);
        wake();
      },
      async inProgress() {
        if (current()) item.deadline = now() + ackWaitMs;
      },
    };
  }

  /** Ms until something may become deliverable (a delay ends or a deadline passes). */
  function nextChange(t: number): number {
    let next = Number.POSITIVE_INFINITY;
    const top = waiting.peek();
    if (top) next = top.dueAt;
    for (const item of inFlight.values()) if (item.deadline < next) next = item.deadline;
    return Math.max(0, next - t);
  }

  return {
    async enqueue(payload, opts: EnqueueOptions = {}) {
      if (closed) throw closedError('work queue');
      const delayMs = opts.delayMs ?? 0;
      if (!Number.isFinite(delayMs) || delayMs < 0) throw invalidError('delayMs must be >= 0');
      if (opts.dedupeKey !== undefined) {
        const pending = byDedupe.get(opts.dedupeKey);
        if (pending) return pending.id;
      }
      const item: Item<T> = {
        id: crypto.randomUUID(),
        payload,
        order: order++,
        attempt: 0,
        dueAt: now() + delayMs,
        dedupeKey: opts.dedupeKey,
        token: 0,
        deadline: 0,
      };
      if (item.dedupeKey !== undefined) byDedupe.set(item.dedupeKey, item);
      waiting.push(item);
      wake();
      return item.id;
    },

    async fetch(max, opts = {}) {
      if (closed) throw closedError('work queue');
      if (!Number.isSafeInteger(max) || max < 1) throw invalidError('max must be a positive integer');
      const until = now() + Math.max(0, opts.waitMs ?? 0);
      for (;;) {
        const t = now();
        reclaim(t);
        const out: WorkDelivery<T>[] = [];
        while (out.length < max) {
          const top = waiting.peek();
          if (!top || top.dueAt > t) break;
          waiting.pop();
          out.push(deliver(top, t));
        }
        if (out.length > 0 || t >= until || closed) return out;
        const sleep = Math.min(until - t, nextChange(t));
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            wakers.delete(done);
            resolve();
          };
          const timer = setTimeout(done, Math.max(1, sleep));
          wakers.add(done);
        });
      }
    },

    async stats(): Promise<WorkQueueStats> {
      const t = now();
      let ready = 0;
      let delayed = 0;
      let flying = 0;
      for (const item of waiting.values()) {
        if (item.dueAt <= t) ready++;
        else delayed++;
      }
      for (const item of inFlight.values()) {
        if (item.deadline <= t) ready++;
        else flying++;
      }
      return { ready, delayed, inFlight: flying };
    },

    async close() {
      closed = true;
      wake();
    },
  };
}
