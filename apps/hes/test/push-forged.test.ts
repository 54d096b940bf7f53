import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReadingIngestService } from '@openhes/core';
import { dataNotification, dateTimeToOctets, encodeWrapperPdu, encodeXdlmsApdu } from '@openhes/dlms';
import { loadDriverProfiles, meterDateTime, pushSetups } from '@openhes/drivers';
import { exportMeters, type Fleet, meterRecord, startFleet } from '@openhes/simulator';
import { openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeadEnd } from '../src/commands/start.ts';
import { capture } from './helpers.ts';

/*
 * Issue 12, defect 1, through the head end as it runs (`hes start --services api,push`): a
 * plaintext block-load DataNotification carrying a registered meter's serial and ~1 GWh for an
 * interval already read, sent by UDP from an address that is no meter's, 1,000 times.
 */

const PROFILES = loadDriverProfiles();
const PASSWORD = 'push-forged-password';
const MIN15 = 900_000;
const ENERGY = '1.0.1.29.0.255';
let fleet: Fleet;
const dirs: string[] = [];

beforeAll(async () => {
  fleet = await startFleet({ meters: 1, seed: 21, port: 0, tickMs: 0, mix: { residential: 1 } });
});
afterAll(async () => {
  await fleet?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function forgedBlockPush(serial: string, profileId: string, at: number): Uint8Array {
  const profile = PROFILES.get(profileId)!;
  const setup = pushSetups(profile).find((s) => s.push!.kind === 'block')!;
  expect(setup.push!.protection?.policy).toBe('auth+enc');
  const value = setup.push!.objects.map(([classId, obis]) => {
    if (obis === '0.0.96.1.2.255') return { type: 'visible-string' as const, value: serial };
    if (classId === 40)
      return { type: 'octet-string' as const, value: Uint8Array.from([0, 5, 25, 9, 0, 255]) };
    if (classId === 8)
      return { type: 'octet-string' as const, value: dateTimeToOctets(meterDateTime(at, profile)) };
    if (obis === ENERGY) return { type: 'double-long-unsigned' as const, value: 1_000_000_000 };
    return { type: 'long-unsigned' as const, value: 1 };
  });
  return encodeXdlmsApdu(
    dataNotification({ longInvokeIdAndPriority: 1, notificationBody: { type: 'structure', value } }),
  );
}

describe('hes start: forged pushes (issue 12 defect 1)', () => {
  it('1,000 forged plaintext UDP pushes with a meter serial from a stranger: none stored, each counted in metrics, one audit entry and a bounded number of log lines', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-push-forged-'));
    dirs.push(data);
    const { io, lines } = capture();
    const h = await startHeadEnd(
      { data, port: '0', host: '127.0.0.1', logLevel: 'silent', services: 'api,push', pushPort: '0' },
      io,
      { HES_ADMIN_PASSWORD: PASSWORD },
    );
    const rec = meterRecord(fleet, 0);
    const readAt = Math.floor(Date.now() / MIN15) * MIN15 - 4 * MIN15;
    const sent = 1000;
    let audit: { detail: Record<string, unknown> | null; target: string }[] = [];
    let meterId = 0;
    try {
      const udpPort = Number(/push listener on tcp:\d+ udp:(\d+)/.exec(lines.join('\n'))![1]);
      const login = await fetch(`${h.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      });
      const token = ((await login.json()) as { token: string }).token;
      const imported = await fetch(`${h.url}/meters/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: [...exportMeters(fleet, 'csv')].join(''),
      });
      expect(await imported.json()).toMatchObject({ failed: [] });
      meterId = (await h.store.meters.getBySerial(rec.serial))!.id;
      // The interval already read.
      await new ReadingIngestService(h.store.channels, h.store.readings).storeSession(
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
            value: 120,
          },
        ],
        'scheduled',
      );
      const before = lines.length;

      const socket = createSocket('udp4');
      await new Promise<void>((ok) => socket.bind({ address: '127.0.0.2', port: 0 }, ok));
      const frame = encodeWrapperPdu({
        source: 1,
        destination: 1,
        apdu: forgedBlockPush(rec.serial, rec.profile, readAt),
      });
      const refusedCount = async (): Promise<number> => {
        const text = await (
          await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
        ).text();
        const m = /hes_push_refused_total\{reason="unknown-sender"\} (\d+)/.exec(text);
        return m ? Number(m[1]) : 0;
      };
      try {
        for (let i = 0; i < sent; i++) {
          await new Promise<void>((ok, ko) =>
            socket.send(frame, udpPort, '127.0.0.1', (e) => (e ? ko(e) : ok())),
          );
          if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        socket.close();
      }
      let counted = 0;
      for (let i = 0; i < 300 && counted < sent; i++) {
        counted = await refusedCount();
        if (counted < sent) await new Promise((r) => setTimeout(r, 20));
      }
      expect(counted).toBe(sent);
      const channel = (await h.store.channels.forMeter(meterId)).find((c) => c.obis === ENERGY)!;
      expect((await h.store.readings.history(channel.id, readAt)).map((r) => r.value)).toEqual([120]);
      expect((await h.store.channels.forMeter(meterId)).map((c) => c.obis)).toEqual([ENERGY]);
      // One line for the first refusal of the period, not one per push.
      expect(lines.slice(before).filter((l) => l.includes('push'))).toHaveLength(1);
    } finally {
      await h.close();
    }
    // On close the period's tally is written: one audit entry for the reason and sender.
    const store = await openStore({ kind: 'sqlite', path: join(data, 'hes.db'), durability: 'normal' });
    try {
      audit = (await store.audit.list({ actor: 'push-listener', limit: 100 })).items;
    } finally {
      await store.close();
    }
    expect(audit).toEqual([
      expect.objectContaining({
        target: 'host:127.0.0.2',
        detail: expect.objectContaining({ reason: 'unknown-sender', count: sent }),
      }),
    ]);
    expect(lines.filter((l) => l.includes('refused')).length).toBeLessThanOrEqual(2);
  });
});
