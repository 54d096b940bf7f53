import { encodeDayProfileTable, encodeSeasonProfile, encodeWeekProfileTable } from '@openhes/cosem';
import {
  aesKeyWrap,
  type DlmsData,
  dateTimeFromData,
  dateTimeFromInstant,
  dateTimeToInstant,
  dateTimeToOctets,
} from '@openhes/dlms';
import { DlmsClient } from '@openhes/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { buildImage } from '../src/model/image-format.ts';
import { issuedSecrets } from '../src/truth/values.ts';
import { clientOptions, connect } from './client-helpers.ts';
import { DAY, HOUR, num, PROFILES, START } from './helpers.ts';

let fleet: Fleet;
let now = START + 2 * DAY + 10 * HOUR + 5 * 60_000;
const KWH = '1.0.1.8.0.255';

beforeAll(async () => {
  fleet = await startFleet({
    meters: 8,
    transformers: 1,
    mix: { residential: 1 },
    seed: 3,
    startAt: START,
    port: 0,
    tickMs: 0,
    profiles: PROFILES,
    clock: () => now,
  });
});

afterAll(async () => {
  await fleet?.close();
});

const reg = (meter: number, obis: string, t = now): number => num(fleet.truth.registerAt(meter, obis, t));

describe('commands take effect', () => {
  it('remote disconnect stops consumption and reconnect resumes it', async () => {
    const c = await connect(fleet, 0, 'management');
    try {
      const before = num(await c.get(KWH, 3, 2));
      await c.action('0.0.96.3.10.255', 70, 1, { type: 'integer', value: 0 });
      expect(await c.get('0.0.96.3.10.255', 70, 2)).toEqual({ type: 'boolean', value: false });
      expect(num(await c.get(KWH, 3, 2))).toBe(before);
      now += 2 * HOUR;
      expect(num(await c.get(KWH, 3, 2))).toBeLessThanOrEqual(before + 1);
      expect(num(await c.get('1.0.1.7.0.255', 3, 2))).toBe(0);
      await c.action('0.0.96.3.10.255', 70, 2, { type: 'integer', value: 0 });
      expect(await c.get('0.0.96.3.10.255', 70, 2)).toEqual({ type: 'boolean', value: true });
      now += 2 * HOUR;
      expect(num(await c.get(KWH, 3, 2))).toBeGreaterThan(before + 1);
      const control = fleet.truth.profileRows(0, '0.0.99.98.6.255', -Infinity, now);
      expect(control.map((r) => num((r as { value: DlmsData[] }).value[1]))).toEqual([301, 302]);
    } finally {
      await c.end();
    }
  });

  it('a new TOU calendar switches the rate registers from its activation', async () => {
    const c = await connect(fleet, 1, 'management');
    try {
      const all5 = [
        {
          dayId: 1,
          schedule: [
            {
              startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 },
              scriptLogicalName: [0, 0, 10, 0, 100, 255] as const,
              scriptSelector: 5,
            },
          ],
        },
      ];
      const week = [
        {
          name: Uint8Array.of(0x57),
          monday: 1,
          tuesday: 1,
          wednesday: 1,
          thursday: 1,
          friday: 1,
          saturday: 1,
          sunday: 1,
        },
      ];
      const season = [
        {
          name: Uint8Array.of(0x53),
          start: {
            year: 0xffff,
            month: 1,
            dayOfMonth: 1,
            dayOfWeek: 0xff,
            hour: 0,
            minute: 0,
            second: 0,
            hundredths: 0,
            deviation: null,
            clockStatus: 0xff,
          },
          weekName: Uint8Array.of(0x57),
        },
      ];
      await c.set('0.0.13.0.0.255', 20, 6, { type: 'octet-string', value: Uint8Array.of(0x54, 0x35) });
      await c.set('0.0.13.0.0.255', 20, 7, encodeSeasonProfile(season));
      await c.set('0.0.13.0.0.255', 20, 8, encodeWeekProfileTable(week));
      await c.set('0.0.13.0.0.255', 20, 9, encodeDayProfileTable(all5));
      await c.action('0.0.13.0.0.255', 20, 1, { type: 'integer', value: 0 });
      const t0 = Math.ceil(now / 900_000) * 900_000;
      const t5 = reg(1, '1.0.1.8.5.255', t0);
      const k0 = reg(1, KWH, t0);
      now += 6 * HOUR;
      expect(num(await c.get('1.0.1.8.5.255', 3, 2)) - t5).toBeGreaterThan(0);
      const others = [1, 2, 3].map((t) => reg(1, `1.0.1.8.${t}.255`) - reg(1, `1.0.1.8.${t}.255`, t0));
      expect(others).toEqual([0, 0, 0]);
      expect(Math.abs(reg(1, '1.0.1.8.5.255') - t5 - (reg(1, KWH) - k0))).toBeLessThanOrEqual(1);
      const name = await c.get('0.0.13.0.0.255', 20, 2);
      expect(name).toEqual({ type: 'octet-string', value: Uint8Array.of(0x54, 0x35) });
    } finally {
      await c.end();
    }
  });

  it('a passive calendar takes over at its activation time', async () => {
    const c = await connect(fleet, 7, 'management');
    try {
      const all6 = [
        {
          dayId: 1,
          schedule: [
            {
              startTime: { hour: 0, minute: 0, second: 0, hundredths: 0 },
              scriptLogicalName: [0, 0, 10, 0, 100, 255] as const,
              scriptSelector: 6,
            },
          ],
        },
      ];
      const week = [
        {
          name: Uint8Array.of(0x57),
          monday: 1,
          tuesday: 1,
          wednesday: 1,
          thursday: 1,
          friday: 1,
          saturday: 1,
          sunday: 1,
        },
      ];
      const season = [
        {
          name: Uint8Array.of(0x53),
          start: {
            year: 0xffff,
            month: 1,
            dayOfMonth: 1,
            dayOfWeek: 0xff,
            hour: 0,
            minute: 0,
            second: 0,
            hundredths: 0,
            deviation: null,
            clockStatus: 0xff,
          },
          weekName: Uint8Array.of(0x57),
        },
      ];
      await c.set('0.0.13.0.0.255', 20, 7, encodeSeasonProfile(season));
      await c.set('0.0.13.0.0.255', 20, 8, encodeWeekProfileTable(week));
      await c.set('0.0.13.0.0.255', 20, 9, encodeDayProfileTable(all6));
      const activation = Math.ceil(now / 900_000) * 900_000 + 2 * HOUR;
      const dt = dateTimeFromInstant(new Date(activation), { deviation: -330 });
      await c.set('0.0.13.0.0.255', 20, 10, { type: 'octet-string', value: dateTimeToOctets(dt) });
      const t6 = reg(7, '1.0.1.8.6.255');
      now = activation + 3 * HOUR;
      expect(reg(7, '1.0.1.8.6.255', activation)).toBe(t6);
      expect(reg(7, '1.0.1.8.6.255') - t6).toBeGreaterThan(0);
      expect(
        Math.abs(reg(7, '1.0.1.8.6.255') - t6 - (reg(7, KWH) - reg(7, KWH, activation))),
      ).toBeLessThanOrEqual(1);
    } finally {
      await c.end();
    }
  });

  it('time sync sets the meter clock and logs RTC set (151)', async () => {
    const c = await connect(fleet, 2, 'management');
    try {
      const target = now + 90_000;
      const dt = dateTimeFromInstant(new Date(target), { deviation: -330 });
      await c.set('0.0.1.0.0.255', 8, 2, { type: 'octet-string', value: dateTimeToOctets(dt) });
      const back = dateTimeFromData(await c.get('0.0.1.0.0.255', 8, 2));
      back.deviation = -330;
      expect(Math.abs(dateTimeToInstant(back).getTime() - target)).toBeLessThan(1000);
      const tx = fleet.truth.profileRows(2, '0.0.99.98.3.255', -Infinity, Infinity, now);
      expect(tx.map((r) => num((r as { value: DlmsData[] }).value[1]))).toContain(151);
    } finally {
      await c.end();
    }
  });

  it('the limiter trips the relay at the end of the first period above the threshold', async () => {
    const c = await connect(fleet, 3, 'management');
    try {
      await c.set('0.0.17.0.0.255', 71, 4, { type: 'double-long-unsigned', value: 1 });
      now += HOUR;
      expect(await c.get('0.0.96.3.10.255', 70, 2)).toEqual({ type: 'boolean', value: false });
      const off = fleet.truth.meter(3).state!.relay[0]!;
      expect(off.cause).toBe('limiter');
      expect(off.at % 900_000).toBe(0);
    } finally {
      await c.end();
    }
  });

  it('the limiter waits min_over_threshold_duration before tripping', async () => {
    const c = await connect(fleet, 6, 'management');
    try {
      await c.set('0.0.17.0.0.255', 71, 6, { type: 'double-long-unsigned', value: 3600 });
      await c.set('0.0.17.0.0.255', 71, 4, { type: 'double-long-unsigned', value: 1 });
      const from = now;
      now += 2 * HOUR;
      expect(await c.get('0.0.96.3.10.255', 70, 2)).toEqual({ type: 'boolean', value: false });
      const off = fleet.truth.meter(6).state!.relay[0]!.at;
      expect(off).toBe((Math.ceil(from / 900_000) + 4) * 900_000);
      expect(num(await c.get('0.0.17.0.0.255', 71, 6))).toBe(3600);
    } finally {
      await c.end();
    }
  });

  it('firmware activation changes the version', async () => {
    const c = await connect(fleet, 4, 'management');
    try {
      const id = Uint8Array.from('OS1P-02.00', (ch) => ch.charCodeAt(0));
      const image = buildImage('OS1P-02.00', 500);
      await c.action('0.0.44.0.0.255', 18, 1, {
        type: 'structure',
        value: [
          { type: 'octet-string', value: id },
          { type: 'double-long-unsigned', value: image.length },
        ],
      });
      for (let b = 0; b < Math.ceil(image.length / 200); b++) {
        await c.action('0.0.44.0.0.255', 18, 2, {
          type: 'structure',
          value: [
            { type: 'double-long-unsigned', value: b },
            { type: 'octet-string', value: image.subarray(b * 200, b * 200 + 200) },
          ],
        });
      }
      await c.action('0.0.44.0.0.255', 18, 3, { type: 'integer', value: 0 });
      await c.action('0.0.44.0.0.255', 18, 4, { type: 'integer', value: 0 });
      expect(await c.get('1.0.0.2.0.255', 1, 2)).toEqual({ type: 'visible-string', value: 'OS1P-02.00' });
      expect(await c.get('0.0.44.0.0.255', 18, 6)).toEqual({ type: 'enum', value: 6 });
    } finally {
      await c.end();
    }
  });

  it('a key change makes the old keys fail and the new keys work', async () => {
    const m = fleet.truth.meter(5);
    const s = issuedSecrets(m);
    const ek = new Uint8Array(16).fill(0x11);
    const ak = new Uint8Array(16).fill(0x22);
    const c = await connect(fleet, 5, 'management');
    try {
      await c.action('0.0.43.0.3.255', 64, 2, {
        type: 'array',
        value: [
          {
            type: 'structure',
            value: [
              { type: 'enum', value: 0 },
              { type: 'octet-string', value: aesKeyWrap(s.kek, ek) },
            ],
          },
          {
            type: 'structure',
            value: [
              { type: 'enum', value: 2 },
              { type: 'octet-string', value: aesKeyWrap(s.kek, ak) },
            ],
          },
        ],
      });
    } finally {
      await c.end();
    }
    await expect(connect(fleet, 5, 'management')).rejects.toBeDefined();
    const o = clientOptions(fleet, 5, 'management', 5000);
    o.security = { ...o.security!, ek, ak };
    const fresh = await DlmsClient.connect(o);
    try {
      expect(reg(5, KWH)).toBe(num(await fresh.get(KWH, 3, 2)));
    } finally {
      await fresh.end();
    }
  });
});
