import type { LeaderLock, MeterLease } from '@openhes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { codedRejection, sleep } from './util.ts';

export interface LeaseFixture {
  meters: MeterLease;
  leader: LeaderLock;
  close(): Promise<void>;
}

/** Opens a lease adapter; every fixture of one test shares the same lease space (database). */
export type LeaseFactory = () => Promise<LeaseFixture>;

/**
 * What every MeterLease/LeaderLock adapter must do: two holders never both hold a key; a
 * lease ends by release or by not being renewed within its ttl. Real time, short ttls.
 */
export function leaseContract(name: string, factory: LeaseFactory): void {
  describe(`${name}: meter lease and leader lock contract`, () => {
    const open: LeaseFixture[] = [];
    const fixture = async () => {
      const f = await factory();
      open.push(f);
      return f;
    };
    afterEach(async () => {
      for (const f of open.splice(0)) await f.close();
    });

    it('gives a meter to one holder at a time until it is released', async () => {
      const { meters } = await fixture();
      const a = await meters.tryAcquire(7, 'collector-a', 10_000);
      expect(a).toMatchObject({ key: 'meter:7', holder: 'collector-a' });
      expect(await meters.tryAcquire(7, 'collector-b', 10_000)).toBeNull();
      // The same holder does not get a second session to the meter either.
      expect(await meters.tryAcquire(7, 'collector-a', 10_000)).toBeNull();
      const other = await meters.tryAcquire(8, 'collector-b', 10_000);
      expect(other?.key).toBe('meter:8');
      await a!.release();
      expect(await a!.renew()).toBe(false);
      const b = await meters.tryAcquire(7, 'collector-b', 10_000);
      expect(b?.holder).toBe('collector-b');
      await a!.release(); // a stale release frees nothing
      expect(await meters.tryAcquire(7, 'collector-c', 10_000)).toBeNull();
      expect(await b!.renew()).toBe(true);
    });

    it('loses a lease not renewed within its ttl, and the late renew says so', async () => {
      const { meters } = await fixture();
      const a = await meters.tryAcquire(1, 'a', 200);
      expect(a).not.toBeNull();
      await sleep(450);
      const b = await meters.tryAcquire(1, 'b', 10_000);
      expect(b?.holder).toBe('b');
      expect(await a!.renew()).toBe(false);
      await a!.release();
      expect(await b!.renew()).toBe(true);
      // Lost even when nobody took the key meanwhile.
      const c = await meters.tryAcquire(2, 'c', 200);
      await sleep(450);
      expect(await c!.renew()).toBe(false);
    });

    it('keeps a lease renewed within its ttl', async () => {
      const { meters } = await fixture();
      const a = await meters.tryAcquire(3, 'a', 400);
      for (let i = 0; i < 6; i++) {
        await sleep(100);
        expect(await a!.renew()).toBe(true);
        expect(await meters.tryAcquire(3, 'b', 400)).toBeNull();
      }
      await a!.release();
      expect(await meters.tryAcquire(3, 'b', 400)).not.toBeNull();
    });

    it('lets exactly one of many racing holders win', async () => {
      const f1 = await fixture();
      const f2 = await fixture();
      const tries = Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? f1 : f2).meters.tryAcquire(42, `holder-${i}`, 10_000),
      );
      const won = (await Promise.all(tries)).filter((l) => l !== null);
      expect(won).toHaveLength(1);
      const leaders = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? f2 : f1).leader.tryAcquire('scheduler', `p-${i}`, 10_000),
        ),
      );
      expect(leaders.filter((l) => l !== null)).toHaveLength(1);
    });

    it('keeps leader names apart from meters and from each other', async () => {
      const { meters, leader } = await fixture();
      const s = await leader.tryAcquire('scheduler', 'p1', 10_000);
      expect(s).toMatchObject({ key: 'leader:scheduler', holder: 'p1' });
      expect(await leader.tryAcquire('scheduler', 'p2', 10_000)).toBeNull();
      expect(await leader.tryAcquire('campaigns', 'p2', 10_000)).not.toBeNull();
      expect(await meters.tryAcquire(1, 'p2', 10_000)).not.toBeNull();
      await s!.release();
      const p2 = await leader.tryAcquire('scheduler', 'p2', 300);
      expect(p2).not.toBeNull();
      await sleep(550);
      expect(await leader.tryAcquire('scheduler', 'p3', 10_000)).not.toBeNull();
    });

    it('refuses bad arguments with an invalid error', async () => {
      const { meters, leader } = await fixture();
      expect((await codedRejection(meters.tryAcquire(1, 'a', 0))).kind).toBe('invalid');
      expect((await codedRejection(meters.tryAcquire(0, 'a', 1000))).kind).toBe('invalid');
      expect((await codedRejection(meters.tryAcquire(1, '', 1000))).kind).toBe('invalid');
      expect((await codedRejection(leader.tryAcquire('', 'a', 1000))).kind).toBe('invalid');
    });
  });
}
