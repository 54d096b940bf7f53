import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CipheredApduTag,
  cipherApdu,
  dataNotification,
  dateTimeToOctets,
  encodeXdlmsApdu,
  fromHex,
} from '@openhes/dlms';
import { loadDriverProfiles, meterDateTime } from '@openhes/drivers';
import { exportMeters, type Fleet, type MeterRecord, meterRecord, startFleet } from '@openhes/simulator';
import { sendPush } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeadEnd } from '../src/commands/start.ts';
import { capture } from './helpers.ts';

const PROFILES = loadDriverProfiles();
const PASSWORD = 'push-live-password';
let fleet: Fleet;
const dirs: string[] = [];

beforeAll(async () => {
  fleet = await startFleet({ meters: 2, seed: 11, port: 0, tickMs: 0 });
});
afterAll(async () => {
  await fleet?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The alarm DataNotification of an IS 15959 meter (alarm 85 set), ciphered as the meter does. */
function alarmPush(rec: MeterRecord, at: number, counter: number): Uint8Array {
  const bits = new Uint8Array(16);
  bits[85 >> 3] = 0x80 >> (85 & 7);
  const plaintext = encodeXdlmsApdu(
    dataNotification({
      longInvokeIdAndPriority: 1,
      notificationBody: {
        type: 'structure',
        value: [
          { type: 'visible-string', value: rec.serial },
          { type: 'octet-string', value: Uint8Array.from([0, 4, 25, 9, 0, 255]) },
          { type: 'octet-string', value: dateTimeToOctets(meterDateTime(at, PROFILES.get(rec.profile)!)) },
          { type: 'bit-string', value: { length: 128, bytes: bits } },
        ],
      },
    }),
  );
  return cipherApdu({
    tag: CipheredApduTag.generalGloCiphering,
    securityControl: 0x30,
    systemTitle: fromHex(rec.systemTitle),
    invocationCounter: counter,
    plaintext,
    keys: { ek: fromHex(rec.ek), ak: fromHex(rec.ak) },
  });
}

describe('hes start: a meter registered while the head end runs', () => {
  it('is no longer an unknown sender: its push is accepted right after its import through the API', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-push-live-'));
    dirs.push(data);
    const { io, lines } = capture();
    const h = await startHeadEnd(
      { data, port: '0', host: '127.0.0.1', logLevel: 'silent', services: 'api,push', pushPort: '0' },
      io,
      { HES_ADMIN_PASSWORD: PASSWORD },
    );
    try {
      const port = Number(/push listener on tcp:(\d+)/.exec(lines.join('\n'))![1]);
      const rec = meterRecord(fleet, 0);
      const at = Math.floor(Date.now() / 1000) * 1000;
      const push = (counter: number) =>
        sendPush({ transport: 'tcp', host: '127.0.0.1', port }, [alarmPush(rec, at, counter)]);
      await push(1);
      for (let i = 0; i < 100 && !lines.some((l) => l.startsWith('ERR push from')); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(lines.filter((l) => l.startsWith('ERR push from'))).toEqual([
        expect.stringContaining('unknown meter'),
      ]);

      const login = await fetch(`${h.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      });
      const token = ((await login.json()) as { token: string }).token;
      const [header, first] = [...exportMeters(fleet, 'csv')].join('').split('\n');
      const imported = await fetch(`${h.url}/meters/import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
        body: `${header}\n${first}\n`,
      });
      expect(await imported.json()).toMatchObject({ created: 1, failed: [] });
      const meter = (await h.store.meters.getBySerial(rec.serial))!;
      expect(meter.keyRefs).toMatchObject({ guek: expect.any(String), gak: expect.any(String) });

      await push(2);
      let events: { code: number }[] = [];
      for (let i = 0; i < 100 && events.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        events = (await h.store.events.list({ meterId: meter.id, from: at, to: at + 1 })).items;
      }
      expect(events.map((e) => e.code)).toEqual([85]);
      expect(lines.filter((l) => l.startsWith('ERR push from'))).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
