import { importMeters, parseMeterList, ReadingIngestService } from '@openhes/core';
import { exportMeters, type Fleet, meterRecord, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownDeviceProfiles, PushHandler, StorePushDirectory } from '../src/index.ts';
import {
  type AcquisitionHarness,
  alarmNotification,
  cipheredByMeter,
  openHarness,
  PROFILES,
} from './harness.ts';

let h: AcquisitionHarness;
let fleet: Fleet;

beforeAll(async () => {
  h = await openHarness('hes-push-dir-');
  fleet = await startFleet({ meters: 3, seed: 5, port: 0, tickMs: 0 });
});

afterAll(async () => {
  await fleet?.close();
  await h?.close();
});

/** Registers the fleet's meter `index` (one row of the simulator's export), telling `onChange`. */
async function register(index: number, onChange: () => void = () => {}): Promise<void> {
  const [header, ...lines] = [...exportMeters(fleet, 'csv')].join('').trimEnd().split('\n');
  const r = await importMeters(
    { meters: h.store.meters, vault: h.vault },
    parseMeterList(`${header}\n${lines[index]}\n`),
    { profiles: knownDeviceProfiles(PROFILES), defaultStatus: 'active', onChange },
  );
  expect(r.failed).toEqual([]);
}

describe('the push directory looks senders up in the store', () => {
  it('accepts the push of a meter registered while the listener runs (the import invalidates the cache)', async () => {
    await register(0);
    const directory = new StorePushDirectory(h.store.meters, h.access, { missRefreshMs: 60_000 });
    const handler = new PushHandler({
      directory,
      ingest: new ReadingIngestService(h.store.channels, h.store.readings),
      events: h.store.events,
      counters: h.store.counters,
      now: Date.now,
    });
    const push = (index: number, counter: number) => {
      const rec = meterRecord(fleet, index);
      return cipheredByMeter(
        rec,
        alarmNotification(rec, Math.floor(Date.now() / 1000) * 1000, [85]),
        counter,
      );
    };
    await expect(handler.handle(push(0, 1), '192.0.2.1')).resolves.toMatchObject({ events: 1 });
    // Not registered yet: unknown (and the index, just built, is not rebuilt for a miss).
    await expect(handler.handle(push(1, 1), '192.0.2.1')).rejects.toMatchObject({
      code: 'ACQ_UNKNOWN_SENDER',
    });
    await register(1, () => directory.invalidate());
    const meter = (await h.store.meters.getBySerial(meterRecord(fleet, 1).serial))!;
    await expect(handler.handle(push(1, 2), '192.0.2.1')).resolves.toMatchObject({
      meterId: meter.id,
      events: 1,
    });
  });

  it('finds a meter registered by another process once a miss may rebuild the index', async () => {
    let t = 0;
    const directory = new StorePushDirectory(h.store.meters, h.access, { missRefreshMs: 1000, now: () => t });
    const title = meterRecord(fleet, 2).systemTitle;
    expect(await directory.bySystemTitle(title)).toBeUndefined();
    await register(2);
    t = 500;
    expect(await directory.bySystemTitle(title)).toBeUndefined();
    t = 1500;
    const meter = (await h.store.meters.getBySerial(meterRecord(fleet, 2).serial))!;
    expect(await directory.bySystemTitle(title)).toMatchObject({
      meterId: meter.id,
      keys: expect.anything(),
    });
    expect(directory.builds).toBe(2);
  });
});
