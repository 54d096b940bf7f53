import type { WorkQueue } from '@openhes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { codedRejection, eventually, sleep } from './util.ts';

export type WorkQueueFactory = (options: { ackWaitMs: number }) => Promise<WorkQueue<unknown>>;

/**
 * What every WorkQueue adapter must do. Real time with short waits (a broker adapter cannot
 * use fake timers); margins are wide so a loaded machine does not fail them.
 */
export function workQueueContract(name: string, factory: WorkQueueFactory): void {
  describe(`${name}: work queue contract`, () => {
    const open: WorkQueue<unknown>[] = [];
    const queue = async (ackWaitMs = 10_000) => {
      const q = await factory({ ackWaitMs });
      open.push(q);
      return q;
    };
    afterEach(async () => {
      for (const q of open.splice(0)) await q.close();
    });

    it('delivers in enqueue order, at most `max` at a time, each item to one fetch', async () => {
      const q = await queue();
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await q.enqueue({ n: i }));
      expect(new Set(ids).size).toBe(5);
      const first = await q.fetch(3);
      expect(first.map((d) => d.payload)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
      expect(first.map((d) => d.id)).toEqual(ids.slice(0, 3));
      expect(first.every((d) => d.attempt === 1)).toBe(true);
      const [a, b] = await Promise.all([q.fetch(1), q.fetch(1)]);
      expect([...a!, ...b!].map((d) => (d.payload as { n: number }).n).sort()).toEqual([3, 4]);
      expect(await q.fetch(10)).toEqual([]);
      expect(await q.stats()).toEqual({ ready: 0, delayed: 0, inFlight: 5 });
    });

    it('removes an acked item for good', async () => {
      const q = await queue(150);
      await q.enqueue('job');
      const [d] = await q.fetch(1);
      await d!.ack();
      expect(await q.stats()).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
      await sleep(300);
      expect(await q.fetch(1, { waitMs: 100 })).toEqual([]);
    });

    it('delivers again, with the next attempt number, what was not acked within the ack wait', async () => {
      const q = await queue(150);
      const id = await q.enqueue('job');
      const [d1] = await q.fetch(1);
      expect(await q.fetch(1, { waitMs: 50 })).toEqual([]);
      const again = await q.fetch(1, { waitMs: 2000 });
      expect(again.map((d) => [d.id, d.payload, d.attempt])).toEqual([[id, 'job', 2]]);
      expect(d1!.attempt).toBe(1);
      await again[0]!.ack();
      expect(await q.stats()).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
    });

    it('keeps an item in progress while its consumer says so', async () => {
      const q = await queue(250);
      await q.enqueue('long');
      const [d] = await q.fetch(1);
      for (let i = 0; i < 8; i++) {
        await sleep(80);
        await d!.inProgress();
      }
      // 640 ms after the fetch, well past one ack wait: nobody else got it.
      expect(await q.fetch(1)).toEqual([]);
      expect((await q.stats()).inFlight).toBe(1);
      await d!.ack();
      expect(await q.stats()).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
    });

    it("delivers a nak'ed item again after the given delay, at once without one", async () => {
      const q = await queue();
      await q.enqueue('retry-later');
      const [d] = await q.fetch(1);
      const nakAt = Date.now();
      await d!.nak(300);
      expect(await q.stats()).toEqual({ ready: 0, delayed: 1, inFlight: 0 });
      expect(await q.fetch(1, { waitMs: 100 })).toEqual([]);
      const [again] = await q.fetch(1, { waitMs: 3000 });
      expect(Date.now() - nakAt).toBeGreaterThanOrEqual(290);
      expect(again).toMatchObject({ payload: 'retry-later', attempt: 2 });
      await again!.nak();
      const [third] = await q.fetch(1, { waitMs: 1000 });
      expect(third).toMatchObject({ payload: 'retry-later', attempt: 3 });
    });

    it('holds an item enqueued with a delay until the delay has passed', async () => {
      const q = await queue();
      const at = Date.now();
      await q.enqueue('later', { delayMs: 300 });
      await q.enqueue('now');
      expect((await q.fetch(5)).map((d) => d.payload)).toEqual(['now']);
      expect(await q.stats()).toMatchObject({ ready: 0, delayed: 1 });
      const [d] = await q.fetch(1, { waitMs: 3000 });
      expect(d?.payload).toBe('later');
      expect(Date.now() - at).toBeGreaterThanOrEqual(290);
    });

    it('drops a second enqueue with the dedupe key of a pending item', async () => {
      const q = await queue();
      const a = await q.enqueue({ meter: 1 }, { dedupeKey: 'read:1' });
      const b = await q.enqueue({ meter: 1, again: true }, { dedupeKey: 'read:1' });
      await q.enqueue({ meter: 2 }, { dedupeKey: 'read:2' });
      expect(b).toBe(a);
      const got = await q.fetch(10);
      expect(got.map((d) => d.payload)).toEqual([{ meter: 1 }, { meter: 2 }]);
      // Still pending while in flight.
      expect(await q.enqueue({ meter: 1 }, { dedupeKey: 'read:1' })).toBe(a);
      expect(await q.fetch(10)).toEqual([]);
    });

    it('waits up to waitMs for work, returning as soon as some arrives', async () => {
      const q = await queue();
      const t0 = Date.now();
      expect(await q.fetch(1, { waitMs: 150 })).toEqual([]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      const waiting = q.fetch(2, { waitMs: 5000 });
      await sleep(50);
      const t1 = Date.now();
      await q.enqueue('arrives');
      const got = await waiting;
      expect(got.map((d) => d.payload)).toEqual(['arrives']);
      expect(Date.now() - t1).toBeLessThan(2000);
    });

    it('counts ready, delayed and in-flight items', async () => {
      const q = await queue(200);
      await q.enqueue(1);
      await q.enqueue(2);
      await q.enqueue(3, { delayMs: 60_000 });
      expect(await q.stats()).toEqual({ ready: 2, delayed: 1, inFlight: 0 });
      await q.fetch(1);
      expect(await q.stats()).toEqual({ ready: 1, delayed: 1, inFlight: 1 });
      // An item past its ack wait is ready again.
      await eventually(async () => expect(await q.stats()).toEqual({ ready: 2, delayed: 1, inFlight: 0 }));
    });

    it('refuses work once closed', async () => {
      const q = await queue();
      await q.close();
      expect((await codedRejection(q.enqueue('x'))).kind).toBe('unavailable');
      expect((await codedRejection(q.fetch(1))).kind).toBe('unavailable');
    });
  });
}
