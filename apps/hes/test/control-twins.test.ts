import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DlmsData } from '@openhes/dlms';
import { afterAll, describe, expect, it } from 'vitest';
import { simulatorTwins } from '../src/services/control.ts';
import { wire } from '../src/wire.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const text = (d: DlmsData): string => String((d as { value: unknown }).value);

describe('simulated twins of real meters (rehearsal)', () => {
  it('serves each meter’s device profile, firmware identifier, control mode and relay state; sessions reach the twin under the real id with the twin’s keys', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-twins-'));
    dirs.push(data);
    const w = await wire({ data, env: {} });
    try {
      // Real meters at addresses nobody listens on, without any keys in the vault: only twins answer.
      const one = await w.store.meters.create({
        serial: 'REAL-1',
        manufacturer: 'x',
        model: 'is15959-1ph',
        deviceProfile: 'is15959-1ph',
        protocol: 'dlms-tcp',
        address: '192.0.2.1:4059?logical=1',
        status: 'active',
        firmwareVersion: 'OS1P-02.07',
      });
      const three = await w.store.meters.create({
        serial: 'REAL-3',
        manufacturer: 'x',
        model: 'is15959-3ph',
        deviceProfile: 'is15959-3ph',
        protocol: 'dlms-tcp',
        address: '192.0.2.2:4059?logical=1',
        status: 'active',
        firmwareVersion: 'OS3P-09.99',
      });
      const provider = simulatorTwins({
        store: w.store,
        profiles: w.profiles,
        seedOf: async (m) => (m.id === one.id ? { controlMode: 1, disconnected: true } : {}),
      });
      const set = await provider.twins([one.id, three.id]);
      try {
        expect(set.fleets.map((f) => f.profile).sort()).toEqual(['is15959-1ph', 'is15959-3ph']);
        for (const [meter, firmware] of [
          [one, 'OS1P-02.07'],
          [three, 'OS3P-09.99'],
        ] as const) {
          const twin = set.twinOf(meter.id)!;
          const now = twin.fleet.now();
          expect(twin.fleet.truth.identity(twin.index).profile.id).toBe(meter.deviceProfile);
          expect(text(twin.fleet.truth.attributeAt(twin.index, '1.0.0.2.0.255', 2, now))).toBe(firmware);
          // A session under the real id over the DLMS driver, with the twin's keys (HLS, auth+enc).
          const clock = await set.sessions.withMeter(meter.id, { urgent: false }, async (d) => {
            expect(d.meterId).toBe(meter.id);
            return d.readClock();
          });
          expect(Math.abs(clock.driftMs)).toBeLessThan(120_000);
        }
        const t1 = set.twinOf(one.id)!;
        const relay = (attr: number) =>
          (
            t1.fleet.truth.attributeAt(t1.index, '0.0.96.3.10.255', attr, t1.fleet.now()) as {
              value: unknown;
            }
          ).value;
        expect(relay(2)).toBe(false);
        expect(relay(4)).toBe(1);
        expect(await set.vault.get(one.id, 'guek')).not.toBeNull();
        // Nothing of the twins reached the real vault.
        expect(await w.vault.get(one.id, 'guek')).toBeNull();
      } finally {
        await set.dispose();
      }
      await expect(provider.twins([9999])).rejects.toThrow(/meter 9999 does not exist/);
    } finally {
      await w.close();
    }
  });
});
