import { createSocket } from 'node:dgram';
import {
  type AuditEntry,
  CONFLICT_REASON,
  type NewAuditEntry,
  PHYSICAL_LIMIT_REASON,
  QualityFlag,
  ReadingIngestService,
  type SecretVault,
  type Store,
} from '@openhes/core';
import {
  dataNotification,
  dateTimeToOctets,
  encodeWrapperPdu,
  encodeXdlmsApdu,
  fromHex,
} from '@openhes/dlms';
import { type DriverProfile, meterDateTime, pushSetups } from '@openhes/drivers';
import { exportMeters, type Fleet, type MeterRecord, meterRecord, startFleet } from '@openhes/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  meterRatingLookup,
  type PushDirectory,
  PushHandler,
  type PushPorts,
  type PushRefusalReason,
  StorePushDirectory,
  startPushListener,
} from '../src/index.ts';
import { type AcquisitionHarness, cipheredByMeter, importFleet, openHarness, PROFILES } from './harness.ts';

/*
 * Issue 12, defect 1: a plaintext DataNotification sent by UDP from an address that is no
 * meter's, carrying a registered meter's serial, was stored as a new version of an interval
 * already read, although the meter's push setups declare auth+enc; ~1 GWh in 15 minutes on a
 * residential meter passed validation.
 */

const MIN15 = 900_000;
const ENERGY = '1.0.1.29.0.255';
let h: AcquisitionHarness;
let store: Store;
let vault: SecretVault;
let fleet: Fleet;
let rec: MeterRecord;
let profile: DriverProfile;
let meterId: number;
/** An interval end already read from the meter, and the value read. */
let readAt: number;
const readValue = 120;
let energyChannel: number;

/**
 * A block-load DataNotification as the IS 15959 push setup 0.5.25.9.0.255 lays it out, with
 * `energyWh` as the interval's active energy import, in plaintext.
 */
function blockPush(serial: string, at: number, energyWh: number): Uint8Array {
  const setup = pushSetups(profile).find((s) => s.push!.kind === 'block')!;
  const value = setup.push!.objects.map(([classId, obis]) => {
    if (obis === '0.0.96.1.2.255') return { type: 'visible-string' as const, value: serial };
    if (classId === 40)
      return { type: 'octet-string' as const, value: Uint8Array.from([0, 5, 25, 9, 0, 255]) };
    if (classId === 8)
      return { type: 'octet-string' as const, value: dateTimeToOctets(meterDateTime(at, profile)) };
    if (obis === ENERGY) return { type: 'double-long-unsigned' as const, value: energyWh };
    return { type: 'long-unsigned' as const, value: 1 };
  });
  return encodeXdlmsApdu(
    dataNotification({ longInvokeIdAndPriority: 1, notificationBody: { type: 'structure', value } }),
  );
}

let counter = 1_000_000;
/** The same push ciphered as the genuine meter sends it (auth+enc, general-glo, its system title). */
const genuine = (apdu: Uint8Array) => cipheredByMeter(rec, apdu, counter++);

class MemoryAudit {
  readonly entries: NewAuditEntry[] = [];
  async append(e: NewAuditEntry): Promise<AuditEntry> {
    this.entries.push(e);
    return { ...e, id: this.entries.length, at: 0 };
  }
}

function handler(extra: Partial<PushPorts> = {}, directory?: PushDirectory) {
  const refused: PushRefusalReason[] = [];
  const audit = new MemoryAudit();
  const lines: string[] = [];
  const ports: PushPorts = {
    directory: directory ?? new StorePushDirectory(store.meters, h.access),
    ingest: new ReadingIngestService(store.channels, store.readings, undefined, {
      ratingOf: meterRatingLookup(store.meters, h.access),
    }),
    events: store.events,
    counters: store.counters,
    onRefused: (r) => refused.push(r),
    audit,
    log: (l) => lines.push(l),
    now: Date.now,
    ...extra,
  };
  return { handler: new PushHandler(ports), refused, audit, lines, ports };
}

async function history(ts: number) {
  return store.readings.history(energyChannel, ts);
}

beforeAll(async () => {
  h = await openHarness('hes-push-forged-');
  ({ store, vault } = h);
  fleet = await startFleet({ meters: 1, seed: 5, port: 0, tickMs: 0, mix: { residential: 1 } });
  await importFleet(store, vault, [...exportMeters(fleet, 'csv')].join(''));
  rec = meterRecord(fleet, 0);
  profile = PROFILES.get(rec.profile)!;
  meterId = (await store.meters.getBySerial(rec.serial))!.id;
  expect(pushSetups(profile).every((s) => s.push?.protection?.policy === 'auth+enc')).toBe(true);
  expect((await store.meters.get(meterId))!.address.startsWith(`${rec.host}:`)).toBe(true);
  expect(rec.host).not.toBe('127.0.0.2');
  // The interval already read from the meter (as a collector stores it).
  readAt = Math.floor(Date.now() / MIN15) * MIN15 - 4 * MIN15;
  const ingest = new ReadingIngestService(store.channels, store.readings);
  await ingest.storeSession(
    meterId,
    [
      {
        channel: {
          obis: ENERGY,
          attribute: 2,
          kind: 'interval',
          unit: 'Wh',
          scaler: 0,
          intervalSeconds: 900,
        },
        ts: readAt,
        value: readValue,
      },
    ],
    'scheduled',
  );
  energyChannel = (await store.channels.forMeter(meterId)).find((c) => c.obis === ENERGY)!.id;
});

afterAll(async () => {
  await fleet?.close();
  await h?.close();
});

describe('forged pushes (issue 12 defect 1)', () => {
  it('the attack: a plaintext UDP push with the meter serial from another address is refused, nothing stored, counted and audited', async () => {
    const refused: PushRefusalReason[] = [];
    const audit = new MemoryAudit();
    const errors: string[] = [];
    const listener = await startPushListener(
      { udpPort: 0, host: '127.0.0.1' },
      {
        directory: new StorePushDirectory(store.meters, h.access),
        ingest: new ReadingIngestService(store.channels, store.readings),
        events: store.events,
        counters: store.counters,
        onRefused: (r) => refused.push(r),
        onError: (e) => errors.push(e.message),
        audit,
        now: Date.now,
      },
    );
    const forged = blockPush(rec.serial, readAt, 1_000_000_000);
    const socket = createSocket('udp4');
    try {
      await new Promise<void>((ok) => socket.bind({ address: '127.0.0.2', port: 0 }, ok));
      const frame = encodeWrapperPdu({ source: 1, destination: 1, apdu: forged });
      await new Promise<void>((ok, ko) =>
        socket.send(frame, listener.udpPort!, '127.0.0.1', (e) => (e ? ko(e) : ok())),
      );
      for (let i = 0; i < 200 && listener.handler.stats.received < 1; i++)
        await new Promise((r) => setTimeout(r, 10));
      for (let i = 0; i < 200 && listener.handler.stats.failed < 1; i++)
        await new Promise((r) => setTimeout(r, 10));
    } finally {
      socket.close();
      await listener.close();
    }
    expect(listener.handler.stats).toMatchObject({ received: 1, stored: 0, failed: 1 });
    expect(refused).toEqual(['unknown-sender']);
    expect(errors).toHaveLength(1);
    expect(await history(readAt)).toEqual([
      expect.objectContaining({ value: readValue, version: 1, source: 'scheduled' }),
    ]);
    expect(audit.entries).toEqual([
      expect.objectContaining({
        action: 'push.refused',
        target: 'host:127.0.0.2',
        outcome: 'denied',
        detail: expect.objectContaining({ reason: 'unknown-sender', count: 1 }),
      }),
    ]);
  });

  it('from the meter’s own address, a plaintext push is still refused: its push setups declare auth+enc', async () => {
    const t = handler();
    await expect(
      t.handler.handle(blockPush(rec.serial, readAt, 1_000_000_000), rec.host),
    ).rejects.toMatchObject({
      code: 'ACQ_PUSH_REFUSED',
      detail: { reason: 'protection-below-policy' },
    });
    expect(t.refused).toEqual(['protection-below-policy']);
    expect(await history(readAt)).toHaveLength(1);
  });

  it('an authenticated-only push where auth+enc is declared is refused and does not move the counter', async () => {
    const t = handler();
    const before = await store.counters.current({ meterId, direction: 'rx', purpose: 'guek' });
    const { cipherApdu, CipheredApduTag } = await import('@openhes/dlms');
    const authOnly = cipherApdu({
      tag: CipheredApduTag.generalGloCiphering,
      securityControl: 0x10,
      systemTitle: fromHex(rec.systemTitle),
      invocationCounter: 4_000_000_000,
      plaintext: blockPush(rec.serial, readAt, 100),
      keys: { ek: fromHex(rec.ek), ak: fromHex(rec.ak) },
    });
    await expect(t.handler.handle(authOnly, rec.host)).rejects.toMatchObject({
      detail: { reason: 'protection-below-policy' },
    });
    expect(await store.counters.current({ meterId, direction: 'rx', purpose: 'guek' })).toBe(before);
  });

  it('a serial in the body never names the sender: ciphered under no meter’s keys it is refused; a ciphered push naming another serial is refused', async () => {
    const t = handler();
    const stranger = cipheredByMeter(
      { ...rec, systemTitle: '4142430000000001' },
      blockPush(rec.serial, readAt, 100),
      counter++,
    );
    await expect(t.handler.handle(stranger, '127.0.0.2')).rejects.toMatchObject({
      detail: { reason: 'unknown-sender' },
    });
    const otherSerial = genuine(blockPush('SOMEONE-ELSE', readAt + MIN15, 100));
    await expect(t.handler.handle(otherSerial, rec.host)).rejects.toMatchObject({
      detail: { reason: 'serial-mismatch' },
    });
    expect(t.refused).toEqual(['unknown-sender', 'serial-mismatch']);
    expect(await history(readAt + MIN15)).toEqual([]);
  });

  it('a genuine ciphered push is accepted from any address; a value differing from the one read is kept as a flagged conflict', async () => {
    const t = handler();
    const fresh = readAt + 2 * MIN15;
    await expect(
      t.handler.handle(genuine(blockPush(rec.serial, fresh, 150)), '198.51.100.7'),
    ).resolves.toMatchObject({
      meterId,
      conflicts: 0,
    });
    expect((await history(fresh)).map((r) => [r.value, r.source])).toEqual([[150, 'push']]);
    await expect(
      t.handler.handle(genuine(blockPush(rec.serial, readAt, 999)), rec.host),
    ).resolves.toMatchObject({
      meterId,
      conflicts: 1,
    });
    const h1 = await history(readAt);
    expect(h1.map((r) => [r.value, r.source])).toEqual([
      [999, 'push'],
      [readValue, 'scheduled'],
    ]);
    expect(h1[0]!.quality & QualityFlag.conflict).toBe(QualityFlag.conflict);
    expect(h1[0]!.reasons).toContain(CONFLICT_REASON);
    const current = await store.readings.series({ channelId: energyChannel, from: readAt, to: readAt + 1 });
    expect(current.items.map((r) => r.value)).toEqual([readValue]);
    expect(t.refused).toEqual([]);
  });

  it('about 1 GWh in 15 minutes on a residential meter is stored flagged as physically impossible, even when genuinely pushed', async () => {
    const t = handler();
    const at = readAt + 3 * MIN15;
    await t.handler.handle(genuine(blockPush(rec.serial, at, 1_000_000_000)), rec.host);
    const [r] = await history(at);
    expect(r).toMatchObject({ value: 1_000_000_000, source: 'push' });
    expect(r!.quality & QualityFlag.suspect).toBe(QualityFlag.suspect);
    expect(r!.reasons).toContain(PHYSICAL_LIMIT_REASON);
  });

  it('a model that really pushes in clear: identified by the one meter registered at the source host, never by its serial', async () => {
    const clear: DriverProfile = {
      ...profile,
      objects: profile.objects.map((o) =>
        o.push === undefined ? o : { ...o, push: { kind: o.push.kind, objects: o.push.objects } },
      ),
    };
    const sender = { meterId, profile: clear, serial: rec.serial };
    const hosts = new Map([
      [rec.host, sender],
      ['192.0.2.9', undefined],
    ]);
    const directory: PushDirectory = {
      bySystemTitle: async () => undefined,
      byAddress: async (host) => hosts.get(host),
    };
    const t = handler({}, directory);
    const at = readAt + 5 * MIN15;
    await expect(t.handler.handle(blockPush(rec.serial, at, 200), rec.host)).resolves.toMatchObject({
      meterId,
      readings: 7,
    });
    await expect(t.handler.handle(blockPush(rec.serial, at + MIN15, 200), '192.0.2.9')).rejects.toMatchObject(
      {
        detail: { reason: 'unknown-sender' },
      },
    );
    await expect(t.handler.handle(blockPush('OTHER', at + MIN15, 200), rec.host)).rejects.toMatchObject({
      detail: { reason: 'serial-mismatch' },
    });
    expect((await history(at)).map((r) => r.value)).toEqual([200]);
    expect(await history(at + MIN15)).toEqual([]);
  });

  it('the store directory names no meter by a host several meters share, and gives the serial to confirm', async () => {
    const base = { manufacturer: 'X', model: 'Y', deviceProfile: rec.profile, protocol: 'dlms-tcp' as const };
    const a = await store.meters.create({ ...base, serial: 'SHARED-A', address: '10.9.9.9:4059' });
    await store.meters.create({ ...base, serial: 'SHARED-B', address: '10.9.9.9:4060' });
    const alone = await store.meters.create({ ...base, serial: 'ALONE', address: '10.9.9.10:4059' });
    const dir = new StorePushDirectory(store.meters, h.access);
    expect(await dir.byAddress('10.9.9.9')).toBeUndefined();
    expect(await dir.byAddress('10.9.9.10')).toMatchObject({ meterId: alone.id, serial: 'ALONE' });
    expect(a.id).not.toBe(alone.id);
  });

  it('1,000 forged pushes: each counted, one log line and one audit entry per reason and sender per period', async () => {
    let now = Date.UTC(2026, 0, 1);
    const t = handler({ now: () => now });
    const forged = blockPush(rec.serial, readAt, 1_000_000_000);
    const errors: string[] = [];
    t.ports.onError = (e) => errors.push(e.message);
    for (let i = 0; i < 1000; i++)
      await t.handler.receive(forged, i % 2 === 0 ? '127.0.0.2' : '127.0.0.3', 'x');
    expect(t.refused).toHaveLength(1000);
    expect(t.handler.stats.refused).toEqual({ 'unknown-sender': 1000 });
    expect(errors).toHaveLength(2);
    expect(await t.handler.refusals.flush()).toBe(2);
    expect(t.audit.entries.map((e) => [e.target, e.detail?.count])).toEqual([
      ['host:127.0.0.2', 500],
      ['host:127.0.0.3', 500],
    ]);
    expect(t.lines).toHaveLength(2);
    // The next period starts afresh; a flood of distinct senders folds into one tally and
    // still costs a bounded number of log lines.
    now += 60_000;
    t.lines.length = 0;
    for (let i = 0; i < 1500; i++) await t.handler.receive(forged, `10.0.${i >> 8}.${i & 255}`, 'x');
    expect(await t.handler.refusals.flush()).toBe(101);
    expect(t.audit.entries.slice(2)).toHaveLength(101);
    expect(t.audit.entries.at(-1)).toMatchObject({ target: 'host:*', detail: { count: 1400 } });
    expect(errors.length).toBe(2 + 10);
    expect(t.lines).toEqual([expect.stringContaining('1400 pushes from * refused (unknown-sender)')]);
    expect(await history(readAt)).toHaveLength(2);
  });
});
