import { decodeObjectList, getInterfaceClass } from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';
import { readObjectList } from '@openhes/drivers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { CLASS_VERSION } from '../src/model/catalog.ts';
import { connect } from './client-helpers.ts';
import { DAY, PROFILES, START } from './helpers.ts';

let fleet: Fleet;
const NOW = START + 5 * DAY + 3_600_000 * 7.25;

beforeAll(async () => {
  fleet = await startFleet({
    meters: 30,
    transformers: 3,
    mix: { residential: 0.6, commercial: 0.3, industrial: 0.1 },
    seed: 11,
    startAt: START,
    port: 0,
    tickMs: 0,
    profiles: PROFILES,
    clock: () => NOW,
  });
});

afterAll(async () => {
  await fleet?.close();
});

function meterOf(profile: string): number {
  for (let i = 0; i < fleet.size; i++) if (fleet.truth.meter(i).profile.id === profile) return i;
  throw new Error(`no meter with ${profile}`);
}

describe('every object of every profile through DlmsClient', () => {
  for (const id of ['is15959-1ph', 'is15959-3ph', 'is15959-ct']) {
    it(`reads every readable attribute of ${id} over the management association`, async () => {
      const meter = meterOf(id);
      const client = await connect(fleet, meter, 'management');
      try {
        const list = await readObjectList(client);
        const profile = PROFILES.get(id)!;
        expect(list.map((e) => e.logicalName.join('.')).sort()).toEqual(
          profile.objects.map((o) => o.obis).sort(),
        );
        let reads = 0;
        for (const entry of list) {
          expect(entry.version).toBe(CLASS_VERSION[entry.classId] ?? 0);
          for (const a of entry.accessRights.attributeAccess) {
            if (!a.read) continue;
            const value: DlmsData = await client.get(
              Uint8Array.from(entry.logicalName),
              entry.classId,
              a.attributeId,
            );
            expect(value.type).not.toBe('null-data');
            reads++;
          }
          const cls = getInterfaceClass(entry.classId);
          if (cls !== undefined) {
            const expected = cls.attributes.filter(
              (x) => (('since' in x ? x.since : 0) ?? 0) <= entry.version,
            ).length;
            expect(entry.accessRights.attributeAccess).toHaveLength(expected);
          }
        }
        expect(reads).toBeGreaterThan(100);
      } finally {
        await client.end();
      }
    });
  }

  it('shows the public client only the nameplate subset and refuses the rest', async () => {
    const meter = meterOf('is15959-1ph');
    const client = await connect(fleet, meter, 'public');
    try {
      const list = await readObjectList(client);
      expect(list.length).toBe(PROFILES.get('is15959-1ph')!.associations[0]!.objects.length);
      const serial = await client.get('0.0.96.1.0.255', 1, 2);
      expect(serial).toEqual({ type: 'visible-string', value: expect.stringMatching(/^OS1\d{8}$/) });
      await expect(client.get('1.0.1.8.0.255', 3, 2)).rejects.toMatchObject({ code: expect.any(String) });
    } finally {
      await client.end();
    }
  });

  it('lets the LLS reader read registers but not write', async () => {
    const meter = meterOf('is15959-1ph');
    const client = await connect(fleet, meter, 'reader');
    try {
      const v = await client.get('1.0.1.8.0.255', 3, 2);
      expect(v).toEqual(fleet.truth.registerAt(meter, '1.0.1.8.0.255', NOW));
      const raw = await client.get('0.0.40.0.0.255', 15, 2);
      const writable = decodeObjectList(raw).flatMap((e) =>
        e.accessRights.attributeAccess.filter((a) => a.write),
      );
      expect(writable).toEqual([]);
      await expect(
        client.set('0.0.17.0.0.255', 71, 4, { type: 'double-long-unsigned', value: 5000 }),
      ).rejects.toBeDefined();
    } finally {
      await client.end();
    }
  });
});
