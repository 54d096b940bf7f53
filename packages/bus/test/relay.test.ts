import type { BusMessage, EventBus, NewOutboxMessage, OutboxEntry, OutboxStore } from '@openhes/core';
import { describe, expect, it } from 'vitest';
import { createMemoryEventBus, createMemoryLeases, startOutboxRelay } from '../src/index.ts';
import { eventually } from './contract/index.ts';

/** An OutboxStore kept in memory, with the port's rules (seq order, cursors never go back). */
function memoryOutbox(): OutboxStore & { entries: OutboxEntry[] } {
  const entries: OutboxEntry[] = [];
  const cursors = new Map<string, number>();
  let seq = 0;
  return {
    entries,
    async append(messages: readonly NewOutboxMessage[]) {
      const out = messages.map((m) => ({
        id: m.id ?? `id-${seq + 1}`,
        type: m.type,
        key: m.key,
        at: m.at ?? Date.UTC(2025, 0, 1),
        payload: m.payload,
        seq: ++seq,
      }));
      entries.push(...out);
      return out;
    },
    async read(after, limit) {
      return entries.filter((e) => e.seq > after).slice(0, limit);
    },
    async cursor(relay) {
      return cursors.get(relay) ?? 0;
    },
    async commit(relay, s) {
      cursors.set(relay, Math.max(cursors.get(relay) ?? 0, s));
    },
    async prune() {
      return 0;
    },
  };
}

const msgs = (n: number, from = 0): NewOutboxMessage[] =>
  Array.from({ length: n }, (_, i) => ({
    type: 'readings.stored',
    key: `meter:${(from + i) % 3}`,
    payload: { i: from + i },
  }));

describe('outbox relay', () => {
  it('publishes the outbox in seq order and commits its cursor after each round', async () => {
    const outbox = memoryOutbox();
    const bus = createMemoryEventBus();
    const got: BusMessage[] = [];
    await bus.subscribe('>', (m) => {
      got.push(m);
    });
    await outbox.append(msgs(7));
    const relay = startOutboxRelay(outbox, bus, { name: 'main', intervalMs: 20, batchSize: 3 });
    try {
      await eventually(() => expect(got).toHaveLength(7));
      expect(got.map((m) => (m.payload as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(got[0]).toEqual({
        id: 'id-1',
        type: 'readings.stored',
        key: 'meter:0',
        at: Date.UTC(2025, 0, 1),
        payload: { i: 0 },
      });
      expect(await outbox.cursor('main')).toBe(7);
      await outbox.append(msgs(2, 7));
      relay.wake();
      await eventually(() => expect(got).toHaveLength(9));
      expect(await outbox.cursor('main')).toBe(9);
    } finally {
      await relay.stop();
    }
    // Another relay name reads everything from its own cursor.
    const other = startOutboxRelay(outbox, createMemoryEventBus(), { name: 'cim', intervalMs: 20 });
    try {
      await eventually(async () => expect(await outbox.cursor('cim')).toBe(9));
    } finally {
      await other.stop();
    }
  });

  it('publishes again what a failed round did not commit (at least once)', async () => {
    const outbox = memoryOutbox();
    const inner = createMemoryEventBus();
    const got: string[] = [];
    await inner.subscribe('>', (m) => {
      got.push(m.id);
    });
    let failNext = true;
    const flaky: EventBus = {
      subscribe: (p, h) => inner.subscribe(p, h),
      async publish(messages) {
        await inner.publish(messages);
        if (failNext) {
          failNext = false;
          throw new Error('connection lost after publishing');
        }
      },
    };
    const errors: unknown[] = [];
    await outbox.append(msgs(2));
    const relay = startOutboxRelay(outbox, flaky, {
      name: 'r',
      intervalMs: 20,
      onError: (e) => errors.push(e),
    });
    try {
      await eventually(async () => expect(await outbox.cursor('r')).toBe(2));
      expect(errors).toHaveLength(1);
      expect(got).toEqual(['id-1', 'id-2', 'id-1', 'id-2']);
    } finally {
      await relay.stop();
    }
  });

  it('relays only while it holds the leader lock when given one', async () => {
    const outbox = memoryOutbox();
    const { leader } = createMemoryLeases();
    const busA = createMemoryEventBus();
    const busB = createMemoryEventBus();
    const a: string[] = [];
    const b: string[] = [];
    await busA.subscribe('>', (m) => {
      a.push(m.id);
    });
    await busB.subscribe('>', (m) => {
      b.push(m.id);
    });
    await outbox.append(msgs(3));
    const ra = startOutboxRelay(outbox, busA, {
      name: 'r',
      intervalMs: 20,
      leader: { lock: leader, holder: 'A', ttlMs: 5000 },
    });
    await eventually(() => expect(a).toHaveLength(3));
    const rb = startOutboxRelay(outbox, busB, {
      name: 'r',
      intervalMs: 20,
      leader: { lock: leader, holder: 'B', ttlMs: 5000 },
    });
    await outbox.append(msgs(2, 3));
    await eventually(() => expect(a).toHaveLength(5));
    expect(b).toEqual([]);
    await ra.stop();
    await outbox.append(msgs(1, 5));
    await eventually(() => expect(b).toEqual(['id-6']));
    await rb.stop();
  });

  it('runOnce relays on demand and never overlaps the loop', async () => {
    const outbox = memoryOutbox();
    const bus = createMemoryEventBus();
    const got: string[] = [];
    await bus.subscribe('>', (m) => {
      got.push(m.id);
    });
    const relay = startOutboxRelay(outbox, bus, { name: 'r', intervalMs: 60_000 });
    try {
      await relay.runOnce(); // the loop's first round is over: it now sleeps for a minute
      await outbox.append(msgs(4));
      const counts = await Promise.all([relay.runOnce(), relay.runOnce()]);
      expect(counts.sort()).toEqual([0, 4]);
      expect(got).toEqual(['id-1', 'id-2', 'id-3', 'id-4']);
    } finally {
      await relay.stop();
    }
  });
});
