import type { AuditStore, CollectionStore, Lease, MeterHealthStore, MeterLease } from '@openhes/core';
import { DriverError, DriverErrorCode, type MeterDriver } from '@openhes/drivers';
import { describe, expect, it } from 'vitest';
import {
  Collector,
  type CollectorPorts,
  type CollectTask,
  commandSessions,
  type DriverKeys,
} from '../src/index.ts';

interface Harness {
  collector: Collector;
  log: string[];
  opened: { meterId: number; keys: DriverKeys | undefined }[];
  release(): void;
}

/** A collector whose first read session holds until `release()`, so the queue fills behind it. */
function setup(options: { lease?: MeterLease; concurrency?: number } = {}): Harness {
  const log: string[] = [];
  const opened: Harness['opened'] = [];
  let open = 0;
  let releaseGate!: () => void;
  const gate = new Promise<void>((r) => {
    releaseGate = r;
  });
  let gated = false;
  let t = 1000;
  const driver = (meterId: number): MeterDriver => {
    const reject = () => Promise.reject(new DriverError(DriverErrorCode.Unsupported, 'x'));
    return {
      meterId,
      stats: { requests: 0, bytesIn: 0, bytesOut: 0 },
      open: async () => {
        open++;
        log.push(`open ${meterId}`);
      },
      close: async () => {
        open--;
        log.push(`close ${meterId}`);
      },
      readRegisters: reject,
      readInstantaneous: reject,
      readProfile: reject,
      readEvents: reject,
      readClock: reject,
      setClock: reject,
    };
  };
  const ports: CollectorPorts = {
    driverFor: async (meterId, keys) => {
      opened.push({ meterId, keys });
      return driver(meterId);
    },
    work: async (_driver, task: CollectTask) => {
      if (!gated) {
        gated = true;
        await gate;
      }
      log.push(`read ${task.id}`);
      expect(open).toBeGreaterThan(0);
      return { readingsStored: 0, eventsStored: 0 };
    },
    outcomes: {
      record: async () => {},
      list: async () => ({ items: [], nextCursor: null }),
    } as CollectionStore,
    audit: { append: async () => ({}) } as unknown as AuditStore,
    health: {
      get: async () => null,
      put: async () => ({}),
      flagged: async () => [],
    } as unknown as MeterHealthStore,
    ...(options.lease === undefined ? {} : { lease: { port: options.lease, holder: 'a', ttlMs: 1000 } }),
    clock: { now: () => (t += 10) },
    sleep: async () => {},
    random: () => 0.5,
  };
  return {
    collector: new Collector(ports, { concurrency: options.concurrency ?? 1 }),
    log,
    opened,
    release: () => releaseGate(),
  };
}

const read = (id: string, meterId: number, priority: CollectTask['priority']): CollectTask => ({
  id,
  meterId,
  reads: ['registers'],
  priority,
});

describe('Collector session jobs', () => {
  it('runs commands before on-demand reads before scheduled reads; urgent commands first', async () => {
    const h = setup();
    const first = h.collector.submit(read('s0', 1, 'scheduled'));
    const rest = [
      h.collector.submit(read('s1', 2, 'scheduled')),
      h.collector.submit(read('d1', 3, 'on-demand')),
      h.collector.runJob(4, async () => void h.log.push('job j1')),
      h.collector.runJob(5, async () => void h.log.push('job j2'), { urgent: true }),
    ];
    h.release();
    await Promise.all([first, ...rest]);
    const order = h.log.filter((l) => l.startsWith('read') || l.startsWith('job'));
    expect(order).toEqual(['read s0', 'job j2', 'job j1', 'read d1', 'read s1']);
  });

  it("runs a command job in the meter's open read session (no close and reopen), then returns its value", async () => {
    const h = setup({ concurrency: 4 });
    const reading = h.collector.submit(read('s0', 7, 'scheduled'));
    const job = h.collector.runJob(7, async (driver) => {
      h.log.push('job');
      return driver.meterId * 2;
    });
    h.release();
    expect((await reading).status).toBe('success');
    expect(await job).toBe(14);
    expect(h.log).toEqual(['open 7', 'read s0', 'job', 'close 7']);
    expect(h.opened).toEqual([{ meterId: 7, keys: undefined }]);
    await h.collector.drain();
    expect(h.collector.progress).toMatchObject({ queued: 0, running: 0, done: 1 });
  });

  it("runs reads queued behind a command in the command's session, commands first; a failed job shares nothing", async () => {
    const h = setup({ concurrency: 4 });
    h.release();
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const job = h.collector.runJob(5, async () => {
      await gate;
      h.log.push('job j1');
    });
    const d1 = h.collector.submit(read('d1', 5, 'on-demand'));
    const j2 = h.collector.runJob(5, async () => void h.log.push('job j2'));
    open();
    await job;
    expect((await d1).status).toBe('success');
    await j2;
    expect(h.log).toEqual(['open 5', 'job j1', 'job j2', 'read d1', 'close 5']);

    h.log.length = 0;
    let fail!: () => void;
    const failGate = new Promise<void>((r) => {
      fail = r;
    });
    const bad = h.collector.runJob(6, async () => {
      await failGate;
      throw new DriverError(DriverErrorCode.Timeout, 'silent');
    });
    const d2 = h.collector.submit(read('d2', 6, 'on-demand'));
    fail();
    await expect(bad).rejects.toMatchObject({ code: DriverErrorCode.Timeout });
    expect((await d2).status).toBe('success');
    expect(h.log).toEqual(['open 6', 'close 6', 'open 6', 'read d2', 'close 6']);
  });

  it('waits for the session already open on the meter, opens with the asked keys, closes after the job, returns its value', async () => {
    const h = setup({ concurrency: 4 });
    const reading = h.collector.submit(read('s0', 7, 'scheduled'));
    const job = h.collector.runJob(
      7,
      async (driver) => {
        h.log.push('job');
        return driver.meterId * 2;
      },
      { keys: { gak: 'pending' } },
    );
    h.release();
    await reading;
    expect(await job).toBe(14);
    expect(h.log).toEqual(['open 7', 'read s0', 'close 7', 'open 7', 'job', 'close 7']);
    expect(h.opened.at(-1)).toEqual({ meterId: 7, keys: { gak: 'pending' } });
  });

  it("rejects with the job's own error after closing the driver, and the collector goes on", async () => {
    const h = setup();
    h.release();
    const err = new DriverError(DriverErrorCode.Timeout, 'silent');
    await expect(
      h.collector.runJob(3, async () => {
        throw err;
      }),
    ).rejects.toBe(err);
    expect(h.log).toEqual(['open 3', 'close 3']);
    expect(await h.collector.runJob(3, async () => 'next')).toBe('next');
    await h.collector.drain();
  });

  it("waits for another process's lease until the deadline, then ACQ_METER_BUSY (retryable)", async () => {
    let tries = 0;
    const lease: MeterLease = {
      tryAcquire: async () => {
        tries++;
        return null as Lease | null;
      },
    };
    const h = setup({ lease });
    h.release();
    await expect(h.collector.runJob(3, async () => 1, { deadline: 1000 + 10 * 7 })).rejects.toMatchObject({
      code: 'ACQ_METER_BUSY',
      retryable: true,
    });
    expect(tries).toBeGreaterThan(1);
    expect(h.log).toEqual([]);
  });

  it('commandSessions: a MeterSessions-shaped adapter over runJob', async () => {
    const h = setup();
    h.release();
    const sessions = commandSessions(h.collector);
    const v = await sessions.withMeter(
      9,
      { urgent: true, keys: { guek: 'pending' } },
      async (d) => d.meterId,
    );
    expect(v).toBe(9);
    expect(h.opened).toEqual([{ meterId: 9, keys: { guek: 'pending' } }]);
  });
});
