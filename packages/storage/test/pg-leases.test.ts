import { leaseContract, sleep } from '@openhes/bus/contract';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPgLeases, type PgLeases } from '../src/index.ts';
import { PG_URL, pgHarness } from './pg-harness.ts';

const h = pgHarness();
beforeAll(async () => {
  await (await h.open()).close();
});
afterAll(async () => {
  await h.cleanup();
});

leaseContract('postgres', () => openPgLeases({ url: PG_URL, schema: h.schema }));

describe('postgres leases: two processes', () => {
  const open: PgLeases[] = [];
  const processLeases = async () => {
    const l = await openPgLeases({ url: PG_URL, schema: h.schema });
    open.push(l);
    return l;
  };
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
  });

  it('never lets two processes hold one meter, and a closed one frees its meters at once', async () => {
    const a = await processLeases();
    const b = await processLeases();
    // Both race for the same 20 meters: every meter goes to exactly one of them.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => i + 100).flatMap((m) => [
        a.meters.tryAcquire(m, 'collector-a', 60_000),
        b.meters.tryAcquire(m, 'collector-b', 60_000),
      ]),
    );
    for (let i = 0; i < 20; i++) {
      expect([results[2 * i], results[2 * i + 1]].filter((l) => l !== null)).toHaveLength(1);
    }
    const heldByA = results.filter((l, i) => i % 2 === 0 && l !== null).map((l) => l!.key);
    expect(heldByA.length).toBeGreaterThan(0);
    const leader = await a.leader.tryAcquire('scheduler', 'process-a', 60_000);
    expect(await b.leader.tryAcquire('scheduler', 'process-b', 60_000)).toBeNull();
    expect(leader).not.toBeNull();
    await a.close();
    // Long ttls, yet everything A held is free now.
    for (const key of heldByA) {
      expect(await b.meters.tryAcquire(Number(key.split(':')[1]), 'collector-b', 60_000)).not.toBeNull();
    }
    expect(await b.leader.tryAcquire('scheduler', 'process-b', 60_000)).not.toBeNull();
    expect(await leader!.renew()).toBe(false);
  });

  it('frees the meters of a process that died without closing after their ttl', async () => {
    const a = await processLeases();
    const b = await processLeases();
    const lease = await a.meters.tryAcquire(500, 'collector-a', 600);
    expect(lease).not.toBeNull();
    // The process dies: the database drops its connections (nothing is deleted).
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [`openhes:${a.owner}`],
      );
    } finally {
      await admin.end();
    }
    expect(await b.meters.tryAcquire(500, 'collector-b', 60_000)).toBeNull();
    await sleep(900);
    expect(await b.meters.tryAcquire(500, 'collector-b', 60_000)).not.toBeNull();
    expect(await lease!.renew()).toBe(false);
  });
});
