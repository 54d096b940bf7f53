import {
  type DlmsData,
  dateTimeFromData,
  dateTimeFromInstant,
  dateTimeToInstant,
  dateTimeToOctets,
  entryDescriptor,
  rangeDescriptor,
} from '@openhes/dlms';
import { readProfileTable } from '@openhes/drivers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../src/fleet/fleet.ts';
import { connect } from './client-helpers.ts';
import { cells, DAY, HOUR, num, PROFILES, START } from './helpers.ts';

let fleet: Fleet;
const NOW = START + 3 * DAY + 9 * HOUR + 20 * 60_000;
const CLOCK = Uint8Array.of(0, 0, 1, 0, 0, 255);

function at(t: number): DlmsData {
  return {
    type: 'octet-string',
    value: dateTimeToOctets(dateTimeFromInstant(new Date(t), { deviation: -330 })),
  };
}

function range(from: number, to: number) {
  return rangeDescriptor({
    restrictingObject: { classId: 8, instanceId: CLOCK, attributeId: 2, dataIndex: 0 },
    fromValue: at(from),
    toValue: at(to),
    selectedValues: [],
  });
}

beforeAll(async () => {
  fleet = await startFleet({
    meters: 12,
    transformers: 2,
    mix: { residential: 0.5, commercial: 0.4, industrial: 0.1 },
    seed: 5,
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

describe('values read through DlmsClient equal the ground truth exactly', () => {
  for (const meter of [0, 3, 7, 12, 13]) {
    it(`meter ${meter}: registers, block, daily and billing profiles`, async () => {
      const truth = fleet.truth;
      const profile = truth.meter(meter).profile;
      const client = await connect(fleet, meter, 'management');
      try {
        for (const o of profile.objects.filter((x) => x.class === 3 || x.class === 4)) {
          expect(await client.get(o.obis, o.class, 2)).toEqual(truth.registerAt(meter, o.obis, NOW));
        }
        const from = NOW - DAY;
        const block = (await client.get('1.0.99.1.0.255', 7, 2, range(from, NOW))) as { value: DlmsData[] };
        expect(block.value).toEqual(truth.profileRows(meter, '1.0.99.1.0.255', from, NOW, NOW));
        const blockSpec = profile.objects.find((o) => o.obis === '1.0.99.1.0.255')!.profile!;
        const col = blockSpec.capture.findIndex((c) => c[1] === '1.0.1.29.0.255');
        const period = blockSpec.capturePeriod * 1000;
        const first = block.value.length;
        expect(first).toBe(DAY / period);
        const rows = block.value;
        const sum = rows.slice(1).reduce((s, r) => s + num(cells(r)[col]), 0);
        const stamp = (r: DlmsData | undefined) => {
          const dt = dateTimeFromData(cells(r)[0]!);
          if (dt.deviation === 330) dt.deviation = -330;
          return dateTimeToInstant(dt).getTime();
        };
        const firstEnd = truth.captureInstant(meter, stamp(rows[0]));
        const lastEnd = truth.captureInstant(meter, stamp(rows[rows.length - 1]));
        expect(stamp(rows[rows.length - 1]) - stamp(rows[0])).toBe((rows.length - 1) * period);
        const kwh = (t: number) => num(truth.registerAt(meter, '1.0.1.8.0.255', t));
        expect(sum).toBe(kwh(lastEnd) - kwh(firstEnd));
        const daily = (await client.get('1.0.99.2.0.255', 7, 2)) as { value: DlmsData[] };
        expect(daily.value).toEqual(truth.profileRows(meter, '1.0.99.2.0.255', -Infinity, NOW, NOW));
        const billing = (await client.get(
          '1.0.98.1.0.255',
          7,
          2,
          entryDescriptor({ fromEntry: 11, toEntry: 0, fromSelectedValue: 1, toSelectedValue: 3 }),
        )) as {
          value: DlmsData[];
        };
        const expected = truth.profileRows(meter, '1.0.98.1.0.255', -Infinity, NOW, NOW).slice(10);
        expect(billing.value).toEqual(
          expected.map((r) => ({ type: 'structure', value: cells(r).slice(0, 3) })),
        );
      } finally {
        await client.end();
      }
    });
  }

  it('readProfileTable over DlmsClient gets the same rows, scaled, with UTC instants for a standard-deviation meter', async () => {
    const truth = fleet.truth;
    const meter = truth.size - 1;
    expect(truth.meter(meter).profile.quirks.deviationLocalMinusUtc).toBe(false);
    const client = await connect(fleet, meter, 'management');
    try {
      const from = new Date(NOW - 6 * HOUR);
      const table = await readProfileTable(client, '1.0.99.1.0.255', { from, to: new Date(NOW) });
      const rows = truth.profileRows(meter, '1.0.99.1.0.255', from.getTime(), NOW, NOW);
      expect(table.rows).toHaveLength(rows.length);
      table.rows.forEach((cellsRead, i) => {
        const expected = cells(rows[i]);
        const when = cellsRead[0];
        expect(when?.kind === 'date-time' ? when.instant?.getTime() : undefined).toBe(
          dateTimeToInstant(dateTimeFromData(expected[0]!)).getTime(),
        );
        const wh = table.columns.findIndex((c) => c.captureObject.logicalName.join('.') === '1.0.1.29.0.255');
        const cell = cellsRead[wh];
        expect(cell?.kind === 'number' ? cell.raw : undefined).toBe(num(expected[wh]));
      });
    } finally {
      await client.end();
    }
  });
});
