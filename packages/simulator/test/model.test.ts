import { type DlmsData, entryDescriptor, rangeDescriptor } from '@openhes/dlms';
import { describe, expect, it } from 'vitest';
import { obisBytes } from '../src/model/catalog.ts';
import { MeterModel } from '../src/model/meter-model.ts';
import { cells, DAY, fleet, HOUR, num, START } from './helpers.ts';

const now = START + 4 * DAY + 5 * HOUR;
const ctx = (association: string) => ({ association, clientSap: association === 'public' ? 16 : 48 });
const ln = obisBytes;

function model(meter = 0) {
  const truth = fleet();
  return { truth, m: new MeterModel(truth.meter(meter), { now: () => now }) };
}

describe('MeterModel (direct ObjectModel calls)', () => {
  it('answers object-undefined for unknown objects and class mismatches', () => {
    const { m } = model();
    expect(m.get(ctx('management'), { classId: 3, obis: ln('1.0.99.99.0.255'), attributeId: 2 })).toBe(4);
    expect(m.get(ctx('management'), { classId: 1, obis: ln('1.0.1.8.0.255'), attributeId: 2 })).toBe(4);
    expect(
      m.action(ctx('management'), { classId: 3, obis: ln('1.0.99.99.0.255'), methodId: 1 }, undefined).result,
    ).toBe(4);
  });

  it('gives each association its own rights', () => {
    const { m } = model();
    const kwh = ln('1.0.1.8.0.255');
    expect(m.attributeAccess('public', 3, kwh, 2)).toBe('none');
    expect(m.attributeAccess('reader', 3, kwh, 2)).toBe('read');
    expect(m.attributeAccess('management', 3, kwh, 2)).toBe('read');
    const limiter = ln('0.0.17.0.0.255');
    expect(m.attributeAccess('reader', 71, limiter, 4)).toBe('read');
    expect(m.attributeAccess('management', 71, limiter, 4)).toBe('read-write');
    expect(m.methodAccess('reader', 70, ln('0.0.96.3.10.255'), 1)).toBe('none');
    expect(m.methodAccess('management', 70, ln('0.0.96.3.10.255'), 1)).toBe('access');
    expect(m.attributeAccess('public', 1, ln('0.0.96.1.0.255'), 2)).toBe('read');
    expect(m.attributeAccess('management', 15, ln('0.0.40.0.0.255'), 7)).toBe('write');
  });

  it('selects buffer columns and entries', () => {
    const { m, truth } = model();
    const clock = ln('0.0.1.0.0.255');
    const full = truth.profileRows(0, '1.0.99.1.0.255', now - 2 * HOUR, now, now);
    const byRange = m.get(ctx('management'), {
      classId: 7,
      obis: ln('1.0.99.1.0.255'),
      attributeId: 2,
      access: rangeDescriptor({
        restrictingObject: { classId: 8, instanceId: clock, attributeId: 2, dataIndex: 0 },
        fromValue: cells(full[0])[0]!,
        toValue: cells(full[full.length - 1])[0]!,
        selectedValues: [
          { classId: 8, instanceId: clock, attributeId: 2, dataIndex: 0 },
          { classId: 3, instanceId: ln('1.0.1.29.0.255'), attributeId: 2, dataIndex: 0 },
        ],
      }),
    }) as { value: DlmsData[] };
    expect(byRange.value).toEqual(
      full.map((r) => ({ type: 'structure', value: [cells(r)[0], cells(r)[2]] })),
    );
    const byEntry = m.get(ctx('management'), {
      classId: 7,
      obis: ln('1.0.99.1.0.255'),
      attributeId: 2,
      access: entryDescriptor({ fromEntry: 3360, toEntry: 3360, fromSelectedValue: 3, toSelectedValue: 3 }),
    }) as { value: DlmsData[] };
    expect(byEntry.value).toEqual([{ type: 'structure', value: [cells(full[full.length - 1])[2]] }]);
  });

  it('rejects a range restricted on a column that is not the clock', () => {
    const { m } = model();
    const r = m.get(ctx('management'), {
      classId: 7,
      obis: ln('1.0.99.1.0.255'),
      attributeId: 2,
      access: rangeDescriptor({
        restrictingObject: { classId: 3, instanceId: ln('1.0.1.29.0.255'), attributeId: 2, dataIndex: 0 },
        fromValue: { type: 'double-long-unsigned', value: 0 },
        toValue: { type: 'double-long-unsigned', value: 10 },
        selectedValues: [],
      }),
    });
    expect(r).toBe(13);
  });

  it('an MD reset closes a billing period: count +1 and a new billing row', () => {
    const { m, truth } = model(2);
    const before = num(
      m.get(ctx('management'), { classId: 1, obis: ln('0.0.0.1.0.255'), attributeId: 2 }) as DlmsData,
    );
    expect(
      m.action(
        ctx('management'),
        { classId: 9, obis: ln('0.0.10.0.1.255'), methodId: 1 },
        { type: 'long-unsigned', value: 1 },
      ).result,
    ).toBe(0);
    expect(
      num(m.get(ctx('management'), { classId: 1, obis: ln('0.0.0.1.0.255'), attributeId: 2 }) as DlmsData),
    ).toBe(before + 1);
    // Row windows are in the meter's clock, a few seconds off true time.
    const rows = truth.profileRows(2, '1.0.98.1.0.255', now - 10_000, now + 10_000);
    expect(rows).toHaveLength(1);
    expect(num(cells(rows[0])[2])).toBe(num(truth.registerAt(2, '1.0.1.8.0.255', now)));
  });

  it('refuses writes the class does not allow', () => {
    const { m } = model();
    expect(
      m.set(
        ctx('management'),
        { classId: 3, obis: ln('1.0.1.8.0.255'), attributeId: 2 },
        { type: 'double-long-unsigned', value: 0 },
      ),
    ).toBe(3);
  });
});
