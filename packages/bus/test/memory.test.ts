import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryEventBus, createMemoryLeases, createMemoryWorkQueue } from '../src/index.ts';
import { eventBusContract, leaseContract, workQueueContract } from './contract/index.ts';

workQueueContract('in-process', async ({ ackWaitMs }) => createMemoryWorkQueue({ ackWaitMs }));

// One lease space per test: fixtures of a test share it, as processes share a database.
let space = createMemoryLeases();
beforeEach(() => {
  space = createMemoryLeases();
});
leaseContract('in-process', async () => ({ ...space, close: async () => undefined }));

eventBusContract('in-process', async () => ({ bus: createMemoryEventBus(), close: async () => undefined }));

describe('in-process adapters under fake time', () => {
  it('work queue: redelivers exactly at the ack wait, and a stale delivery loses its say', async () => {
    vi.useFakeTimers();
    try {
      const q = createMemoryWorkQueue<string>({ ackWaitMs: 1000 });
      await q.enqueue('x', { dedupeKey: 'x' });
      const [d1] = await q.fetch(1);
      vi.advanceTimersByTime(999);
      expect(await q.fetch(1)).toEqual([]);
      vi.advanceTimersByTime(1);
      const [d2] = await q.fetch(1);
      expect(d2).toMatchObject({ payload: 'x', attempt: 2 });
      await d1!.ack(); // stale: the item was handed out again
      expect(await q.stats()).toEqual({ ready: 0, delayed: 0, inFlight: 1 });
      await d2!.ack();
      expect(await q.stats()).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
      // Once done, the dedupe key is free again.
      await q.enqueue('x', { dedupeKey: 'x' });
      expect(await q.stats()).toEqual({ ready: 1, delayed: 0, inFlight: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('work queue: a waiting fetch wakes when a delay ends', async () => {
    vi.useFakeTimers();
    try {
      const q = createMemoryWorkQueue<string>({ ackWaitMs: 1000 });
      await q.enqueue('later', { delayMs: 5000 });
      const waiting = q.fetch(1, { waitMs: 60_000 });
      await vi.advanceTimersByTimeAsync(4999);
      expect(await q.stats()).toEqual({ ready: 0, delayed: 1, inFlight: 0 });
      await vi.advanceTimersByTimeAsync(1);
      expect((await waiting).map((d) => d.payload)).toEqual(['later']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('work queue: a close ends a waiting fetch with nothing', async () => {
    const q = createMemoryWorkQueue<string>();
    const waiting = q.fetch(1, { waitMs: 60_000 });
    await q.close();
    expect(await waiting).toEqual([]);
  });

  it('leases: expire at the ttl to the millisecond', async () => {
    let now = 1_000;
    const { meters } = createMemoryLeases({ now: () => now });
    const a = await meters.tryAcquire(1, 'a', 100);
    now += 99;
    expect(await meters.tryAcquire(1, 'b', 100)).toBeNull();
    expect(await a!.renew()).toBe(true); // until 1199
    now += 100;
    expect(await meters.tryAcquire(1, 'b', 100)).not.toBeNull();
    expect(await a!.renew()).toBe(false);
  });

  it('event bus: retries a failing handler, then reports and skips the message', async () => {
    const errors: string[] = [];
    const bus = createMemoryEventBus({
      maxAttempts: 3,
      retryDelayMs: 1,
      onError: (_e, m) => errors.push(m.id),
    });
    let calls = 0;
    const handled: string[] = [];
    await bus.subscribe('>', (m) => {
      calls++;
      if (m.id === 'bad' || (m.id === 'flaky' && calls < 5)) throw new Error('no');
      handled.push(m.id);
    });
    const at = Date.UTC(2025, 0, 1);
    await bus.publish([
      { id: 'bad', type: 't', key: 'k', at, payload: null },
      { id: 'flaky', type: 't', key: 'k', at, payload: null },
      { id: 'ok', type: 't', key: 'k', at, payload: null },
    ]);
    await bus.drain();
    expect(errors).toEqual(['bad']);
    expect(handled).toEqual(['flaky', 'ok']);
    expect(calls).toBe(3 + 2 + 1);
  });
});
