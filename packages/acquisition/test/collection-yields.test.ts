import type { MeterHealthStore, Store } from '@openhes/core';
import type { MeterDriver } from '@openhes/drivers';
import { exportMeters, type Fleet, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector, createCollector, LoopGuard } from '../src/index.ts';
import { StoreGate } from '../src/store-gate.ts';
import { type AcquisitionHarness, importFleet, openHarness } from './harness.ts';

/**
 * Issue 12 defect 7: the API stalled for seconds while a collection burst ran in its process.
 * What kept it waiting was structural: hundreds of sessions' store calls queued ahead of any
 * API query in the embedded store's one FIFO lock, and every session started at once whatever
 * the loop's lateness. These tests check the structure; the latency itself is measured by
 * `npm run bench:api` ("API under collection load").
 */

const PORTS = ['channels', 'readings', 'events', 'audit', 'collection', 'health'] as const;

/** The store with every call of the ports collection writes through counted while in flight. */
function counting(store: Store): { store: Store; maxInFlight(): number; calls(): number } {
  let inFlight = 0;
  let max = 0;
  let calls = 0;
  const wrap = <P extends object>(port: P): P =>
    new Proxy(port, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== 'function') return v;
        return async (...args: unknown[]) => {
          inFlight++;
          calls++;
          max = Math.max(max, inFlight);
          try {
            return await v.apply(target, args);
          } finally {
            inFlight--;
          }
        };
      },
    });
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      return (PORTS as readonly (string | symbol)[]).includes(prop) ? wrap(v as object) : v;
    },
  });
  return { store: wrapped, maxInFlight: () => max, calls: () => calls };
}

describe('collection leaves room for the API', () => {
  let h: AcquisitionHarness;
  let fleet: Fleet;
  beforeAll(async () => {
    h = await openHarness('hes-acq-yield-');
    fleet = await startFleet({
      meters: 40,
      mix: { residential: 1 },
      seed: 11,
      port: 0,
      tickMs: 0,
      latency: 30,
    });
    await importFleet(h.store, h.vault, [...exportMeters(fleet, 'csv')].join(''));
  }, 60_000);
  afterAll(async () => {
    await fleet?.close();
    await h?.close();
  });

  it('keeps at most storeConcurrency of its store calls in the store at once, however many sessions run', async () => {
    const c = counting(h.store);
    const collector = createCollector(c.store, h.access, {
      sleep: async () => {},
      storeConcurrency: 3,
      // Every session at once (no loop guard): the most store calls collection can make at once.
      collector: { concurrency: 256, loopGuard: false },
    });
    const meters = await h.store.meters.list({ limit: 1000 });
    const results = await Promise.all(
      meters.items.map((m) =>
        collector.submit({
          id: `y-${m.id}`,
          meterId: m.id,
          reads: ['block', 'registers'],
          priority: 'scheduled',
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(results.map(() => 'success'));
    expect(c.calls()).toBeGreaterThan(meters.items.length * 2);
    // Before the gate, every running session's call went straight to the store: tens at once.
    expect(c.maxInFlight()).toBeLessThanOrEqual(3);
  }, 60_000);

  it('the store gate runs calls in arrival order, at most `limit` at once', async () => {
    const gate = new StoreGate(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate.run(async () => {
          active++;
          peak = Math.max(peak, active);
          order.push(i);
          await new Promise((r) => setTimeout(r, 1));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 7)).toBe(7);
  });

  it('the loop guard starts fewer sessions while the loop runs late and more when it keeps up', () => {
    const g = new LoopGuard(256, { targetLagMs: 20, minSessions: 4, startSessions: 64 });
    let raised = 0;
    g.onRaise(() => raised++);
    g.observe(100);
    expect(g.limit).toBe(48);
    for (let i = 0; i < 50; i++) g.observe(100);
    expect(g.limit).toBe(4);
    for (let i = 0; i < 500; i++) g.observe(1);
    expect(g.limit).toBe(256);
    expect(raised).toBeGreaterThan(0);
    g.observe(15);
    expect(g.limit).toBe(256);
  });

  it('a collector whose sessions hold the loop starts fewer of them; on-demand reads still start', async () => {
    const driver = (meterId: number): MeterDriver => {
      const no = () => Promise.reject(new Error('unused'));
      return {
        meterId,
        stats: { requests: 0, bytesIn: 0, bytesOut: 0 },
        open: async () => {},
        close: async () => {},
        readRegisters: no,
        readInstantaneous: no,
        readProfile: no,
        readEvents: no,
        readClock: no,
        setClock: no,
      };
    };
    const health: MeterHealthStore = {
      get: async () => null,
      put: async (x) => ({ ...x, updatedAt: 0 }),
      flagged: async () => [],
    };
    let running = 0;
    let peak = 0;
    let onDemandWaited = -1;
    const started: number[] = [];
    const collector = new Collector(
      {
        driverFor: async (id) => driver(id),
        work: async (_d, task) => {
          running++;
          peak = Math.max(peak, running);
          started.push(performance.now());
          // Each session decodes for 15 ms in one piece, then waits on its meter.
          const until = performance.now() + 15;
          while (performance.now() < until) {}
          await new Promise((r) => setTimeout(r, 20));
          running--;
          if (task.priority === 'on-demand') onDemandWaited = running;
          return { readingsStored: 0, eventsStored: 0 };
        },
        outcomes: { record: async () => {}, list: async () => ({ items: [], nextCursor: null }) },
        audit: {
          append: async (e) => ({ ...e, id: 1, at: 0 }),
          list: async () => ({ items: [], nextCursor: null }),
        },
        health,
        clock: { now: () => Date.now() },
        sleep: async () => {},
      },
      { concurrency: 64, loopGuard: { targetLagMs: 20, sampleMs: 5, minSessions: 2, startSessions: 8 } },
    );
    const scheduled = Array.from({ length: 80 }, (_, i) =>
      collector.submit({ id: `s${i}`, meterId: i + 1, reads: ['registers'], priority: 'scheduled' }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const limitUnderLoad = collector.sessionLimit;
    const onDemand = collector.submit({
      id: 'od',
      meterId: 1000,
      reads: ['registers'],
      priority: 'on-demand',
    });
    const results = await Promise.all([...scheduled, onDemand]);
    expect(results.every((r) => r.status === 'success')).toBe(true);
    // Without the guard all 64 start in the first turn and hold the loop for ~1 s.
    expect(peak).toBeLessThanOrEqual(16);
    expect(limitUnderLoad).toBeLessThan(16);
    expect(onDemandWaited).toBeGreaterThanOrEqual(0);
  });
});
