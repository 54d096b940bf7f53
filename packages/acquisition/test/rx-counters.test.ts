import { ReadingIngestService, type SecretVault, type Store } from '@openhes/core';
import { exportMeters, type Fleet, meterRecord, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  type MeterAccess,
  PushHandler,
  readMeterNow,
  receivedCounterKey,
  StorePushDirectory,
} from '../src/index.ts';
import {
  type AcquisitionHarness,
  alarmNotification,
  cipheredByMeter,
  importFleet,
  openHarness,
} from './harness.ts';

const SEED = 11;
let h: AcquisitionHarness;
let store: Store;
let fleet: Fleet;
let vault: SecretVault;
let access: MeterAccess;
let collector: Collector;

async function startAndImport(): Promise<Fleet> {
  const f = await startFleet({ meters: 4, transformers: 1, seed: SEED, port: 0, tickMs: 0 });
  await importFleet(store, vault, [...exportMeters(f, 'csv')].join(''));
  return f;
}

async function meterId(index: number): Promise<number> {
  return (await store.meters.getBySerial(meterRecord(fleet, index).serial))!.id;
}

const rx = (id: number) => store.counters.current(receivedCounterKey(id));

/** The next counter the simulated meter will send with. */
const meterNext = (index: number) => fleet.truth.meter(index).state?.invocationCounter ?? 0;

/** One reading session on its own: open, read the clock, close. */
async function session(id: number): Promise<void> {
  const d = await access.driverFor(id);
  try {
    await d.open();
    await d.readClock();
  } finally {
    await d.close();
  }
}

/** A ciphered push from meter `index`, as the meter would send it, with a chosen counter. */
function push(index: number, invocationCounter: number): Uint8Array {
  const rec = meterRecord(fleet, index);
  const at = Math.floor(Date.now() / 1000) * 1000;
  return cipheredByMeter(rec, alarmNotification(rec, at), invocationCounter);
}

async function pushHandler(withSessions = false): Promise<PushHandler> {
  return new PushHandler({
    directory: new StorePushDirectory(store.meters, access),
    ingest: new ReadingIngestService(store.channels, store.readings),
    events: store.events,
    counters: store.counters,
    ...(withSessions ? { liveReceived: (id: number) => access.receivedInSession(id) } : {}),
    now: Date.now,
  });
}

beforeAll(async () => {
  h = await openHarness('hes-rx-');
  ({ store, vault, access, collector } = h);
  fleet = await startAndImport();
});

afterAll(async () => {
  await fleet?.close();
  await h?.close();
});

describe('received invocation counters of reading sessions', () => {
  it('are stored when a session ends and rise with every session', async () => {
    const id = await meterId(0);
    expect(await rx(id)).toBeNull();
    await session(id);
    const first = await rx(id);
    expect(first).not.toBeNull();
    // Everything the meter sent in the session was accepted, the last one included.
    expect(first).toBe(meterNext(0) - 1);
    const r = await readMeterNow(collector, id, ['registers']);
    expect(r).toMatchObject({ status: 'success', attempts: 1 });
    const second = await rx(id);
    expect(second).toBeGreaterThan(first!);
    expect(second).toBe(meterNext(0) - 1);
  });

  it('are shared with the push listener: a push at or below what a session accepted is a replay', async () => {
    const id = await meterId(1);
    await session(id);
    const stored = (await rx(id))!;
    const handler = await pushHandler();
    await expect(handler.handle(push(1, stored), '192.0.2.1')).rejects.toMatchObject({
      code: 'ACQ_PUSH_REPLAYED',
    });
    await expect(handler.handle(push(1, stored + 1), '192.0.2.1')).resolves.toMatchObject({ meterId: id });
    expect(await rx(id)).toBe(stored + 1);
  });

  it('a push accepted while a session runs neither fails it nor is lowered when the session stores its own', async () => {
    const id = await meterId(2);
    await session(id);
    const before = (await rx(id))!;
    const d = await access.driverFor(id);
    await d.open();
    // The meter's responses go on from `before`; the push carries a counter far beyond them.
    const pushed = before + 1000;
    await (await pushHandler()).handle(push(2, pushed), '192.0.2.1');
    await expect(d.readClock()).resolves.toMatchObject({ meterTime: expect.any(Number) });
    await expect(d.readRegisters()).resolves.not.toHaveLength(0);
    await d.close();
    expect(meterNext(2) - 1).toBeLessThan(pushed);
    expect(await rx(id)).toBe(pushed);
    // The next session starts from the raised mark: everything the meter sends now is below it.
    const r = await readMeterNow(collector, id, ['registers']);
    expect(r).toMatchObject({ status: 'failed', errorCode: 'DRIVER_REPLAY', attempts: 1 });
  });

  it('while a session runs, a push replaying a counter it accepted (not yet stored) is refused', async () => {
    const id = await meterId(0);
    await session(id);
    const stored = (await rx(id))!;
    const handler = await pushHandler(true);
    const d = await access.driverFor(id);
    await d.open();
    await d.readRegisters();
    const live = access.receivedInSession(id)!;
    // What the session accepted lies above the stored mark and is not stored yet.
    expect(live).toBeGreaterThan(stored);
    expect(await rx(id)).toBe(stored);
    await expect(handler.handle(push(0, live), '192.0.2.1')).rejects.toMatchObject({
      code: 'ACQ_PUSH_REPLAYED',
    });
    await expect(handler.handle(push(0, stored + 1), '192.0.2.1')).rejects.toMatchObject({
      code: 'ACQ_PUSH_REPLAYED',
    });
    await d.close();
    expect(access.receivedInSession(id)).toBeUndefined();
    expect(await rx(id)).toBe(meterNext(0) - 1);
    const next = meterNext(0) + 500;
    await expect(handler.handle(push(0, next), '192.0.2.1')).resolves.toMatchObject({ meterId: id });
  });

  it('a meter whose send counter went back (a replayed session) is refused, not retried, audited', async () => {
    const index = 3;
    const id = await meterId(index);
    await session(id);
    const stored = (await rx(id))!;
    expect(stored).toBeGreaterThan(0);
    // The same meters again (same keys and system titles), their send counters back at zero,
    // as a replay of recorded sessions would present them.
    await fleet.close();
    fleet = await startAndImport();
    expect(meterNext(index)).toBe(0);
    const r = await readMeterNow(collector, id, ['registers']);
    expect(r).toMatchObject({ status: 'failed', errorCode: 'DRIVER_REPLAY', attempts: 1 });
    const outcomes = await store.collection.list({ meterId: id, limit: 10 });
    expect(outcomes.items.find((o) => o.taskId === r.task.id)).toMatchObject({
      status: 'failed',
      errorCode: 'DRIVER_REPLAY',
    });
    const audit = await store.audit.list({ target: `meter:${id}`, limit: 10 });
    expect(audit.items).toContainEqual(
      expect.objectContaining({
        action: 'meter.security.replay',
        outcome: 'denied',
        detail: expect.objectContaining({ code: 'DRIVER_REPLAY', lastReceived: stored }),
      }),
    );
    expect(await rx(id)).toBe(stored);
  });
});
