import type { Store } from '@openhes/core';
import type { DriverProfile } from '@openhes/drivers';
import { exportMeters, type Fleet, meterRecord, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  invocationCounterObject,
  MeterAccess,
  readMeterNow,
  receivedCounterKey,
} from '../src/index.ts';
import { type AcquisitionHarness, importFleet, openHarness, PROFILES } from './harness.ts';

const SEED = 23;
let h: AcquisitionHarness;
let store: Store;
let access: MeterAccess;
let collector: Collector;
let fleet: Fleet;
let port = 0;

/** The fleet with every meter's send counter back at zero (no state file): a factory reset of all. */
async function restartFleet(): Promise<void> {
  await fleet?.close();
  fleet = await startFleet({ meters: 3, transformers: 1, seed: SEED, port, tickMs: 0 });
  port = fleet.port;
}

const idOf = async (index: number) => (await store.meters.getBySerial(meterRecord(fleet, index).serial))!.id;
const floor = (id: number) => store.counters.current(receivedCounterKey(id));

beforeAll(async () => {
  h = await openHarness('hes-resync-');
  ({ store, access, collector } = h);
  await restartFleet();
  await importFleet(store, h.vault, [...exportMeters(fleet, 'csv')].join(''));
});

afterAll(async () => {
  await fleet?.close();
  await h?.close();
});

describe('counter resync of a meter whose counter went back', () => {
  it('the IS 15959 profiles name the management association’s counter object', () => {
    for (const p of PROFILES.values())
      expect(invocationCounterObject(p, 'management')).toBe('0.0.43.1.3.255');
    expect(invocationCounterObject(PROFILES.values().next().value!, 'public')).toBeUndefined();
  });

  it('reads the meter’s counter over its authenticated association and lowers the floor to it; reads work again', async () => {
    const id = await idOf(0);
    for (let i = 0; i < 3; i++)
      expect(await readMeterNow(collector, id, ['registers'])).toMatchObject({ status: 'success' });
    const before = (await floor(id))!;
    await restartFleet();
    expect(await readMeterNow(collector, id, ['registers'])).toMatchObject({
      status: 'failed',
      errorCode: 'DRIVER_REPLAY',
    });
    const r = await access.resyncReceivedCounter(id);
    expect(r).toMatchObject({ meterId: id, association: 'management', counterObject: '0.0.43.1.3.255' });
    expect(r.previous).toBe(before);
    expect(r.floor).toBe(r.authenticated);
    expect(r.floor).toBeLessThan(before);
    expect(r.meterCounter).toBeLessThanOrEqual(r.authenticated + 1);
    expect(await floor(id)).toBe(r.floor);
    expect(await readMeterNow(collector, id, ['registers'])).toMatchObject({ status: 'success' });
    expect(await floor(id)).toBeGreaterThan(r.floor);
  });

  it('is refused, and changes nothing, when the meter cannot be read', async () => {
    const id = await idOf(1);
    await readMeterNow(collector, id, ['registers']);
    const before = await floor(id);
    await fleet.close();
    try {
      await expect(access.resyncReceivedCounter(id)).rejects.toMatchObject({ code: 'DRIVER_TRANSPORT' });
      expect(await floor(id)).toBe(before);
    } finally {
      await restartFleet();
    }
  });

  it('is refused where the device profile names no counter object for the association used (none for the LLS reader)', async () => {
    const id = await idOf(2);
    await readMeterNow(collector, id, ['registers']);
    const before = await floor(id);
    const without = new Map<string, DriverProfile>(
      [...PROFILES].map(([k, p]) => [
        k,
        { ...p, associations: p.associations.map(({ ...a }) => ({ ...a, invocationCounter: undefined })) },
      ]),
    );
    const bare = new MeterAccess(store, h.vault, without, { responseTimeoutMs: 5000 });
    await expect(bare.resyncReceivedCounter(id)).rejects.toMatchObject({ code: 'DRIVER_UNSUPPORTED' });
    const reader = new MeterAccess(store, h.vault, PROFILES, {
      responseTimeoutMs: 5000,
      association: 'reader',
    });
    await expect(reader.resyncReceivedCounter(id)).rejects.toMatchObject({ code: 'DRIVER_UNSUPPORTED' });
    expect(await floor(id)).toBe(before);
  });
});
