import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NewMeterEvent, ReadingIngestService, type Store } from '@openhes/core';
import { loadDriverProfiles } from '@openhes/drivers';
import { exportMeters, type Fleet, meterRecord, picks, placeOf, startFleet } from '@openhes/simulator';
import { createSecretVault, loadMasterKey, openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MeterAccess,
  type PushDirectory,
  type PushListener,
  StorePushDirectory,
  startPushListener,
} from '../src/index.ts';
import { importFleet } from './harness.ts';

const PROFILES = loadDriverProfiles();
const HOUR = 3_600_000;
const START = Date.UTC(2026, 2, 9);
const OUTAGE = START + HOUR;
const TAMPER = START + 3 * HOUR;
/** Meter clocks stamp events within this of true time (standard clock deviation). */
const DRIFT = 60_000;

let dir: string;
let store: Store;
let fleet: Fleet;
let listener: PushListener;
let directory: PushDirectory | undefined;
let simNow = START;
/** Real time at which each append of pushed events was stored, with what it stored. */
const stored: { at: number; rows: readonly NewMeterEvent[] }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hes-push-'));
  store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
  const lazy: PushDirectory = {
    bySystemTitle: (hex) => directory!.bySystemTitle(hex),
    byAddress: (host) => directory!.byAddress(host),
  };
  listener = await startPushListener(
    { tcpPort: 0 },
    {
      directory: lazy,
      ingest: new ReadingIngestService(store.channels, store.readings),
      events: {
        append: async (rows) => {
          const r = await store.events.append(rows);
          stored.push({ at: Date.now(), rows });
          return r;
        },
      },
      now: () => simNow,
    },
  );
  fleet = await startFleet({
    meters: 20,
    transformers: 1,
    mix: { residential: 0.7, commercial: 0.3 },
    seed: 4,
    startAt: START,
    clock: () => simNow,
    port: 0,
    tickMs: 0,
    background: false,
    pushTo: { host: '127.0.0.1', port: listener.tcpPort! },
    scenarios: [
      { kind: 'outage', target: { transformer: 0 }, at: OUTAGE, durationMs: HOUR },
      { kind: 'tamper', fraction: 0.3, at: TAMPER },
    ],
  });
  const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
  await importFleet(store, vault, [...exportMeters(fleet, 'csv')].join(''));
  directory = new StorePushDirectory(store.meters, new MeterAccess(store, vault, PROFILES));
});

afterAll(async () => {
  await fleet?.close();
  await listener?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Advances simulated time, lets the fleet push what is due, and waits until `codes` are stored. */
async function pushAndWait(
  to: number,
  code: number,
  count: number,
): Promise<{ sentAt: number; storedAt: number[] }> {
  simNow = to;
  stored.length = 0;
  const sentAt = Date.now();
  await fleet.tick();
  const storedAt = (): number[] => stored.filter((s) => s.rows.some((r) => r.code === code)).map((s) => s.at);
  for (let i = 0; i < 500 && storedAt().length < count; i++) await new Promise((r) => setTimeout(r, 5));
  return { sentAt, storedAt: storedAt() };
}

describe('outage and tamper pushes', () => {
  it('arrive as stored events within a second of being sent', async () => {
    const ids = new Map<number, number>();
    for (let i = 0; i < fleet.size; i++)
      ids.set((await store.meters.getBySerial(meterRecord(fleet, i).serial))!.id, i);

    const outage = await pushAndWait(OUTAGE + 1000, 85, fleet.size);
    expect(outage.storedAt).toHaveLength(fleet.size);
    for (const t of outage.storedAt) expect(t - outage.sentAt).toBeLessThan(1000);
    const lastGasp = await store.events.list({ from: OUTAGE - DRIFT, to: OUTAGE + DRIFT, limit: 1000 });
    expect(new Set(lastGasp.items.filter((e) => e.code === 85).map((e) => e.meterId))).toEqual(
      new Set(ids.keys()),
    );

    const restore = await pushAndWait(OUTAGE + HOUR + 1000, 86, fleet.size);
    expect(restore.storedAt).toHaveLength(fleet.size);
    for (const t of restore.storedAt) expect(t - restore.sentAt).toBeLessThan(1000);

    const topology = fleet.truth.topology;
    const tampered = new Set<number>();
    for (let i = 0; i < topology.consumers; i++)
      if (picks(topology.seed, 1, placeOf(topology, i), 0.3)) tampered.add(i);
    expect(tampered.size).toBeGreaterThan(0);
    const tamper = await pushAndWait(TAMPER + 25 * HOUR, 81, tampered.size);
    expect(tamper.storedAt).toHaveLength(tampered.size);
    for (const t of tamper.storedAt) expect(t - tamper.sentAt).toBeLessThan(1000);
    const tamperEvents = await store.events.list({
      from: TAMPER - DRIFT,
      to: TAMPER + 25 * HOUR,
      limit: 1000,
    });
    expect(new Set(tamperEvents.items.filter((e) => e.code === 81).map((e) => ids.get(e.meterId)))).toEqual(
      tampered,
    );
    expect(listener.handler.stats.failed).toBe(0);
  }, 30_000);
});
