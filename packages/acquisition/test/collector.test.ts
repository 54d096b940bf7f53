import type {
  AuditStore,
  CollectionOutcome,
  CollectionStore,
  MeterHealth,
  MeterHealthStore,
  NewAuditEntry,
} from '@openhes/core';
import { DriverError, DriverErrorCode, type MeterDriver } from '@openhes/drivers';
import { describe, expect, it } from 'vitest';
import { Collector, type CollectorPorts, type CollectTask } from '../src/index.ts';

function fakeDriver(meterId: number, log: string[]): MeterDriver {
  const reject = () => Promise.reject(new DriverError(DriverErrorCode.Unsupported, 'x'));
  return {
    meterId,
    stats: { requests: 0, bytesIn: 10, bytesOut: 5 },
    open: async () => {
      log.push(`open ${meterId}`);
    },
    close: async () => {
      log.push(`close ${meterId}`);
    },
    readRegisters: reject,
    readInstantaneous: reject,
    readProfile: reject,
    readEvents: reject,
    readClock: reject,
    setClock: reject,
  };
}

/** The health store in memory (the SQLite and PostgreSQL ones pass the storage contract). */
function memoryHealth(now: () => number): MeterHealthStore {
  const rows = new Map<number, MeterHealth>();
  return {
    get: async (id) => rows.get(id) ?? null,
    put: async (h) => {
      const row = { ...h, updatedAt: now() };
      rows.set(h.meterId, row);
      return row;
    },
    flagged: async (at) =>
      [...rows.values()]
        .filter((h) => h.flaggedUntil !== null && h.flaggedUntil > at)
        .sort((a, b) => a.meterId - b.meterId),
  };
}

function setup(
  behaviour: (meterId: number, attempt: number) => 'ok' | 'retryable' | 'fatal',
  options: ConstructorParameters<typeof Collector>[1] = {},
) {
  const log: string[] = [];
  const outcomes: CollectionOutcome[] = [];
  const audit: NewAuditEntry[] = [];
  const sleeps: number[] = [];
  let t = 1000;
  let inSession = 0;
  let maxInSession = 0;
  const perMeter = new Set<number>();
  const ports: CollectorPorts = {
    driverFor: async (id) => fakeDriver(id, log),
    work: async (driver, task, attempt) => {
      if (perMeter.has(driver.meterId)) throw new Error('two sessions on one meter');
      perMeter.add(driver.meterId);
      inSession++;
      maxInSession = Math.max(maxInSession, inSession);
      await Promise.resolve();
      log.push(`work ${task.id}#${attempt}`);
      inSession--;
      perMeter.delete(driver.meterId);
      const b = behaviour(driver.meterId, attempt);
      if (b === 'retryable') throw new DriverError(DriverErrorCode.Timeout, 'silent');
      if (b === 'fatal') throw new DriverError(DriverErrorCode.AssociationRejected, 'no');
      return { readingsStored: 3, eventsStored: 0 };
    },
    outcomes: {
      record: async (o) => void outcomes.push(o),
      list: async () => ({ items: [], nextCursor: null }),
    } as CollectionStore,
    audit: {
      append: async (a) => {
        audit.push(a);
        return { ...a, id: audit.length, at: t };
      },
      list: async () => ({
        items: audit.map((a, i) => ({ ...a, id: i + 1, at: 1000 + i })),
        nextCursor: null,
      }),
    } as AuditStore,
    health: memoryHealth(() => t),
    clock: { now: () => (t += 10) },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
  };
  return {
    collector: new Collector(ports, options),
    ports,
    log,
    outcomes,
    audit,
    sleeps,
    max: () => maxInSession,
  };
}

const task = (id: string, meterId: number, priority: CollectTask['priority'] = 'scheduled'): CollectTask => ({
  id,
  meterId,
  reads: ['registers'],
  priority,
});

describe('Collector', () => {
  it('runs on-demand tasks before queued scheduled ones, bounded, one session per meter', async () => {
    const { collector, log, max } = setup(() => 'ok', { concurrency: 2 });
    const all = [
      collector.submit(task('s1', 1)),
      collector.submit(task('s2', 1)),
      collector.submit(task('s3', 2)),
      collector.submit(task('s4', 3)),
      collector.submit(task('d1', 4, 'on-demand')),
    ];
    const results = await Promise.all(all);
    expect(results.every((r) => r.status === 'success' && r.attempts === 1 && r.bytes === 15)).toBe(true);
    const order = log.filter((l) => l.startsWith('work')).map((l) => l.slice(5, 7));
    expect(order.indexOf('d1')).toBeLessThan(order.indexOf('s4'));
    expect(max()).toBeLessThanOrEqual(2);
    // A read does not follow a read in its session (each read's outcome is one session of the
    // meter): s2 waited for meter 1's session to close and opened its own.
    expect(log.filter((l) => l.startsWith('open'))).toHaveLength(5);
  });

  it('keeps a large queue in order: one session per meter, each meter in submission order, drain when all are done', async () => {
    const { collector, log, max } = setup(() => 'ok', { concurrency: 16 });
    const all: Promise<unknown>[] = [];
    // 3,000 tasks over 1,000 meters, each meter's three tasks spread through the queue.
    for (let round = 0; round < 3; round++) {
      for (let m = 1; m <= 1000; m++) all.push(collector.submit(task(`m${m}r${round}`, m)));
    }
    all.push(collector.submit(task('urgent', 7, 'on-demand')));
    await collector.drain();
    expect(await Promise.all(all)).toHaveLength(3001);
    expect(max()).toBeLessThanOrEqual(16);
    const work = log.filter((l) => l.startsWith('work')).map((l) => l.slice(5, -2));
    expect(work).toHaveLength(3001);
    for (const m of [1, 7, 500, 1000]) {
      expect(work.filter((w) => w.startsWith(`m${m}r`))).toEqual([0, 1, 2].map((r) => `m${m}r${r}`));
    }
    expect(work.indexOf('urgent')).toBeLessThan(40);
    expect(collector.progress).toMatchObject({ queued: 0, running: 0, done: 3001 });
  });

  it('retries retryable failures with growing backoff and stores every attempt', async () => {
    const { collector, outcomes, sleeps } = setup((_, attempt) => (attempt < 3 ? 'retryable' : 'ok'), {
      backoffMs: 100,
      maxAttempts: 3,
    });
    const r = await collector.submit(task('t', 9));
    expect(r).toMatchObject({ status: 'success', attempts: 3 });
    expect(sleeps).toEqual([100, 200]);
    expect(outcomes.map((o) => [o.status, o.errorCode, o.attempt])).toEqual([
      ['failed', 'DRIVER_TIMEOUT', 1],
      ['failed', 'DRIVER_TIMEOUT', 2],
      ['success', null, 3],
    ]);
  });

  it('does not retry a non-retryable failure; flags a meter that keeps failing and skips its scheduled tasks', async () => {
    const { collector, outcomes, audit } = setup(() => 'fatal', { flagAfter: 2 });
    expect(await collector.submit(task('a', 5))).toMatchObject({
      status: 'failed',
      attempts: 1,
      errorCode: 'DRIVER_ASSOCIATION_REJECTED',
    });
    expect(collector.isFlagged(5)).toBe(false);
    await collector.submit(task('b', 5));
    expect(collector.isFlagged(5)).toBe(true);
    expect(audit).toEqual([expect.objectContaining({ action: 'meter.flagged', target: 'meter:5' })]);
    expect(await collector.submit(task('c', 5))).toMatchObject({
      status: 'skipped',
      errorCode: 'ACQ_METER_FLAGGED',
    });
    expect(await collector.submit(task('d', 5, 'on-demand'))).toMatchObject({ status: 'failed' });
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'skipped', 'failed']);
    expect(collector.flaggedMeters()).toEqual([5]);
  });

  it('flags again after a restart what the health store shows flagged (audited), and forgets a meter that recovered', async () => {
    let fail = true;
    const { collector, audit, ports } = setup(() => (fail ? 'fatal' : 'ok'), { flagAfter: 1 });
    await collector.submit(task('a', 5));
    await collector.submit(task('b', 6));
    fail = false;
    await collector.submit(task('c', 6, 'on-demand'));
    expect(audit.map((a) => [a.action, a.target])).toEqual([
      ['meter.flagged', 'meter:5'],
      ['meter.flagged', 'meter:6'],
      ['meter.unflagged', 'meter:6'],
    ]);
    const restarted = new Collector(ports, { flagAfter: 1 });
    expect(await restarted.restoreFlags()).toEqual([5]);
    expect(restarted.isFlagged(5)).toBe(true);
    expect(await restarted.submit(task('d', 5))).toMatchObject({ status: 'skipped' });
  });
});
