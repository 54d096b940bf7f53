import type { BusMessage, EventBus, LeaderLock, Lease, OutboxStore } from '@openhes/core';
import { checkText, invalidError } from './errors.ts';

export interface OutboxRelayOptions {
  /** The relay's name: its cursor in the outbox. Relays of different names each see everything. */
  name: string;
  /** Pause between polls when the outbox has nothing new. Default 500 ms. */
  intervalMs?: number;
  /** Entries read and published at a time. Default 500. */
  batchSize?: number;
  /**
   * When set, only the holder of this leader lock relays (several processes may run the
   * relay; one publishes). The lock is named `outbox-relay:<name>` and renewed every round,
   * so give it a ttl of several intervals.
   */
  leader?: { lock: LeaderLock; holder: string; ttlMs: number };
  /** Told of each failed round; the round is retried after the interval. */
  onError?: (error: unknown) => void;
}

export interface OutboxRelay {
  /** Runs one round now (read after the cursor, publish, commit); returns the entries relayed. */
  runOnce(): Promise<number>;
  /** Ends the pause: the next round starts at once. */
  wake(): void;
  /** Stops after the current round (releasing the leader lock). */
  stop(): Promise<void>;
}

/**
 * Publishes the outbox on the bus. Each round reads the entries after the relay's cursor,
 * publishes them in seq order and then commits the cursor to the last one: a crash between
 * publish and commit publishes those entries again (at least once; consumers deduplicate by
 * message id), and nothing is committed that was not published.
 */
export function startOutboxRelay(
  outbox: OutboxStore,
  bus: EventBus,
  options: OutboxRelayOptions,
): OutboxRelay {
  const name = checkText('name', options.name, 128);
  const intervalMs = options.intervalMs ?? 500;
  const batchSize = options.batchSize ?? 500;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw invalidError('intervalMs must be >= 1');
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw invalidError('batchSize must be >= 1');
  let running = true;
  let lease: Lease | null = null;
  let round: Promise<number> = Promise.resolve(0);
  let wakeUp: (() => void) | null = null;

  async function leads(): Promise<boolean> {
    const l = options.leader;
    if (!l) return true;
    if (lease && (await lease.renew())) return true;
    lease = await l.lock.tryAcquire(`outbox-relay:${name}`, l.holder, l.ttlMs);
    return lease !== null;
  }

  async function once(): Promise<number> {
    if (!(await leads())) return 0;
    const after = await outbox.cursor(name);
    const entries = await outbox.read(after, batchSize);
    if (entries.length === 0) return 0;
    const messages: BusMessage[] = entries.map((e) => ({
      id: e.id,
      type: e.type,
      key: e.key,
      at: e.at,
      payload: e.payload,
    }));
    await bus.publish(messages);
    await outbox.commit(name, entries[entries.length - 1]!.seq);
    return entries.length;
  }

  /** Rounds never overlap: a manual runOnce waits for the loop's round and the other way round. */
  function runOnce(): Promise<number> {
    const next = round.catch(() => 0).then(once);
    round = next;
    return next;
  }

  const loop = (async () => {
    while (running) {
      let n = 0;
      try {
        n = await runOnce();
      } catch (e) {
        options.onError?.(e);
      }
      if (!running || n >= batchSize) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wakeUp = null;
          resolve();
        }, intervalMs);
        wakeUp = () => {
          clearTimeout(timer);
          wakeUp = null;
          resolve();
        };
      });
    }
  })();

  return {
    runOnce,
    wake() {
      wakeUp?.();
    },
    async stop() {
      running = false;
      wakeUp?.();
      await loop;
      await round.catch(() => 0);
      if (lease) await lease.release().catch(() => undefined);
      lease = null;
    },
  };
}
