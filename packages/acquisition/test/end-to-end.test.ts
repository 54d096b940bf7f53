import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretVault, Store } from '@openhes/core';
import { parseMeterList, ReadingIngestService } from '@openhes/core';
import { fromHex, toHex } from '@openhes/dlms';
import { exportMeters, type Fleet, meterRecord, startFleet } from '@openhes/simulator';
import { createSecretVault, MASTER_KEY_FILE } from '@openhes/storage';
import { sendPush } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Collector,
  lastStoredInterval,
  type MeterAccess,
  PushHandler,
  readMeterNow,
  StorePushDirectory,
  startPushListener,
} from '../src/index.ts';
import {
  type AcquisitionHarness,
  alarmNotification,
  cipheredByMeter,
  importFleet,
  openHarness,
} from './harness.ts';

let h: AcquisitionHarness;
let dir: string;
let store: Store;
let fleet: Fleet;
let vault: SecretVault;
let access: MeterAccess;
let collector: Collector;

beforeAll(async () => {
  h = await openHarness('hes-acq-');
  ({ dir, store, vault, access, collector } = h);
  fleet = await startFleet({
    meters: 5,
    transformers: 1,
    mix: { residential: 0.6, industrial: 0.4 },
    seed: 3,
    port: 0,
    tickMs: 0,
  });
});

afterAll(async () => {
  await fleet?.close();
  await h?.close();
});

describe('acquisition end to end against the simulator', () => {
  it('imports the simulator export with keys wrapped under a 0600 master key', async () => {
    expect(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777).toBe(0o600);
    const csv = [...exportMeters(fleet, 'csv')].join('');
    const entries = parseMeterList(csv).map((r) => r.value as { serial: string; ek: string });
    expect(entries).toHaveLength(fleet.size);
    const r = await importFleet(store, vault, csv);
    expect(r.created).toBe(fleet.size);
    const again = await importFleet(store, vault, [...exportMeters(fleet, 'json')].join(''));
    expect(again).toMatchObject({ created: 0, updated: fleet.size });
    const m = await store.meters.getBySerial(entries[0]!.serial);
    const k = await store.keys.versions(m!.id, 'guek');
    expect(k).toHaveLength(1);
    expect(toHex(k[0]!.wrapped)).not.toContain(entries[0]!.ek!.toUpperCase());
    expect(await vault.get(m!.id, 'guek')).toEqual(fromHex(entries[0]!.ek!));
    await expect(createSecretVault(store.keys, new Uint8Array(32)).get(m!.id, 'guek')).rejects.toMatchObject({
      code: 'STORAGE_SECRET_UNREADABLE',
    });
  });

  it('collects every meter, resumes block profiles from the last stored interval, never lowers counters', async () => {
    const ids = (await store.meters.list({})).items.map((m) => m.id);
    const run = (tag: string) =>
      Promise.all(
        ids.map((id) =>
          collector.submit({
            id: `${tag}-${id}`,
            meterId: id,
            reads: ['block', 'registers', 'daily', 'events'],
            priority: 'scheduled',
          }),
        ),
      );
    const first = await run('r1');
    expect(first.map((r) => r.status)).toEqual(ids.map(() => 'success'));
    expect(first.every((r) => r.readingsStored > 0)).toBe(true);
    const counter = { meterId: ids[0]!, direction: 'tx' as const, purpose: 'guek' as const };
    const c1 = await store.counters.current(counter);
    expect(c1).toBeGreaterThan(0);
    const last1 = await lastStoredInterval(store, ids[0]!);
    expect(last1).toBeDefined();
    const second = await run('r2');
    expect(second.every((r) => r.status === 'success')).toBe(true);
    expect(await lastStoredInterval(store, ids[0]!)).toBeGreaterThanOrEqual(last1!);
    expect(await store.counters.current(counter)).toBeGreaterThan(c1!);
    const channels = await store.channels.forMeter(ids[0]!);
    const block = channels.find((c) => c.kind === 'interval')!;
    const all = await store.readings.series({
      channelId: block.id,
      from: 0,
      to: Date.now() + 86_400_000,
      versions: 'all',
    });
    const latest = await store.readings.series({ channelId: block.id, from: 0, to: Date.now() + 86_400_000 });
    expect(all.items.length).toBe(latest.items.length);
    expect(latest.items.length).toBeGreaterThanOrEqual(86_400 / block.intervalSeconds!);
    const outcomes = await store.collection.list({ meterId: ids[0]! });
    expect(outcomes.items.filter((o) => o.status === 'success')).toHaveLength(2);
  });

  it('reads a meter on demand', async () => {
    const id = (await store.meters.list({ limit: 1 })).items[0]!.id;
    const r = await readMeterNow(collector, id, ['registers', 'instantaneous']);
    expect(r).toMatchObject({ status: 'success', attempts: 1 });
    expect(r.readingsStored).toBeGreaterThan(0);
  });

  it('stores an alarm push over TCP and UDP as events and hands it on; a bad push does not stop the listener', async () => {
    const alarms: number[] = [];
    const errors: string[] = [];
    const listener = await startPushListener(
      { tcpPort: 0, udpPort: 0 },
      {
        directory: new StorePushDirectory(store.meters, access),
        ingest: new ReadingIngestService(store.channels, store.readings),
        events: store.events,
        onAlarm: (meterId) => alarms.push(meterId),
        onError: (e) => errors.push((e as { code?: string }).code ?? 'none'),
        now: Date.now,
      },
    );
    try {
      const rec = meterRecord(fleet, 0);
      const meter = (await store.meters.getBySerial(rec.serial))!;
      const at = Math.floor(Date.now() / 1000) * 1000;
      // As the meter sends it: its push setups declare auth+enc (a plaintext one is refused).
      const apdu = cipheredByMeter(rec, alarmNotification(rec, at, [85], 1), 1);
      await sendPush({ transport: 'tcp', host: '127.0.0.1', port: listener.tcpPort! }, [
        Uint8Array.from([0xff, 0x00]),
        apdu,
      ]);
      await sendPush({ transport: 'udp', host: '127.0.0.1', port: listener.udpPort! }, [apdu]);
      for (let i = 0; i < 100 && listener.handler.stats.received < 3; i++)
        await new Promise((r) => setTimeout(r, 20));
      for (let i = 0; i < 100 && listener.handler.stats.stored + listener.handler.stats.failed < 3; i++)
        await new Promise((r) => setTimeout(r, 20));
      const events = await store.events.list({ meterId: meter.id, from: at, to: at + 1 });
      expect(events.items.map((e) => e.code)).toEqual([85]);
      expect(alarms).toEqual([meter.id, meter.id]);
      expect(errors).toHaveLength(1);
      expect(listener.handler.stats).toMatchObject({ received: 3, stored: 2, failed: 1 });
    } finally {
      await listener.close();
    }
  });

  it('refuses a ciphered push whose invocation counter was seen before, also after a restart', async () => {
    const rec = meterRecord(fleet, 1);
    const meter = (await store.meters.getBySerial(rec.serial))!;
    const plaintext = alarmNotification(rec, Math.floor(Date.now() / 1000) * 1000);
    // Reading sessions already raised the meter's received counter: count on from there.
    const rxKey = { meterId: meter.id, direction: 'rx', purpose: 'guek' } as const;
    const base = (await store.counters.current(rxKey)) ?? 0;
    const push = (n: number) => cipheredByMeter(rec, plaintext, base + n);
    const handler = async () =>
      new PushHandler({
        directory: new StorePushDirectory(store.meters, access),
        ingest: new ReadingIngestService(store.channels, store.readings),
        events: store.events,
        counters: store.counters,
        now: Date.now,
      });
    const first = await handler();
    await expect(first.handle(push(7), '192.0.2.1')).resolves.toMatchObject({ meterId: meter.id });
    await expect(first.handle(push(7), '192.0.2.1')).rejects.toMatchObject({ code: 'ACQ_PUSH_REPLAYED' });
    await expect(first.handle(push(6), '192.0.2.1')).rejects.toMatchObject({ code: 'ACQ_PUSH_REPLAYED' });
    await expect(first.handle(push(8), '192.0.2.1')).resolves.toMatchObject({ meterId: meter.id });
    const restarted = await handler();
    await expect(restarted.handle(push(8), '192.0.2.1')).rejects.toMatchObject({ code: 'ACQ_PUSH_REPLAYED' });
    expect(await store.counters.current(rxKey)).toBe(base + 8);
  });
});
