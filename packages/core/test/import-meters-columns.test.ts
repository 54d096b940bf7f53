import { describe, expect, it } from 'vitest';
import type { Meter, MeterStore, NewMeter, SecretVault } from '../src/index.ts';
import {
  csvMeterRows,
  IMPORT_DEFAULT_STATUS,
  importMeters,
  jsonMeterRows,
  validateMeterLabels,
} from '../src/usecases/import-meters.ts';

function store() {
  const meters = new Map<number, Meter>();
  let nextId = 1;
  const s = {
    async getBySerial(serial: string) {
      return [...meters.values()].find((m) => m.serial === serial) ?? null;
    },
    async create(m: NewMeter) {
      const meter = {
        keyRefs: {},
        tags: [],
        firmwareVersion: null,
        segment: null,
        ...m,
        id: nextId++,
      } as Meter;
      meters.set(meter.id, meter);
      return meter;
    },
    async update(id: number, patch: Partial<Meter>) {
      const m = { ...meters.get(id)!, ...patch };
      meters.set(id, m);
      return m;
    },
  } as unknown as MeterStore;
  return { meters, s };
}

const base = 'serial,profile,host,port';
const EK = '000102030405060708090a0b0c0d0e0f';

describe('the one import: columns and defaults', () => {
  it('creates meters active unless the row says otherwise, so the plans read them', async () => {
    expect(IMPORT_DEFAULT_STATUS).toBe('active');
    const { meters, s } = store();
    const r = await importMeters(
      { meters: s },
      csvMeterRows(`${base},status\nA1,p,10.0.0.1,4059,\nA2,p,10.0.0.2,4059,suspended\n`),
    );
    expect(r.failed).toEqual([]);
    expect([...meters.values()].map((m) => m.status)).toEqual(['active', 'suspended']);
  });

  it('refuses decommissioned and unknown statuses by field', async () => {
    const { meters, s } = store();
    const r = await importMeters(
      { meters: s },
      jsonMeterRows([
        { serial: 'B1', profile: 'p', host: 'h', port: 1, status: 'decommissioned' },
        { serial: 'B2', profile: 'p', host: 'h', port: 1, status: 'disconnected' },
      ]),
    );
    expect(r.failed.map((p) => [p.row, p.field])).toEqual([
      [1, 'status'],
      [2, 'status'],
    ]);
    expect(r.failed[0]!.message).toContain('registered, commissioned, active, suspended');
    expect(meters.size).toBe(0);
  });

  it('takes firmwareVersion, segment and tags (CSV: separated by ;, JSON: a list)', async () => {
    const { meters, s } = store();
    const r = await importMeters(
      { meters: s },
      csvMeterRows(`${base},firmwareVersion,segment,tags\nC1,p,h,1,fw-1.2,dc-3,pilot; north\n`),
    );
    expect(r.failed).toEqual([]);
    expect(meters.get(1)).toMatchObject({
      firmwareVersion: 'fw-1.2',
      segment: 'dc-3',
      tags: ['pilot', 'north'],
    });
    await importMeters(
      { meters: s },
      jsonMeterRows([{ serial: 'C1', profile: 'p', host: 'h', port: 1, tags: ['x'] }]),
    );
    expect(meters.get(1)).toMatchObject({ tags: ['x'], segment: 'dc-3' });
    const bad = await importMeters(
      { meters: s },
      jsonMeterRows([
        { serial: 'C2', profile: 'p', host: 'h', port: 1, tags: [1] },
        { serial: 'C3', profile: 'p', host: 'h', port: 1, tags: ['a', 'a'] },
      ]),
    );
    expect(bad.failed.map((p) => p.field)).toEqual(['tags', 'tags']);
    expect(() => validateMeterLabels({ segment: '' })).toThrow(/segment/);
  });

  it('never puts a key in a problem message', async () => {
    const { s } = store();
    const vault = { kekId: 'k', put: async () => 'ref', get: async () => null } as unknown as SecretVault;
    const wrong = `${EK.slice(0, 30)}zz`;
    const r = await importMeters(
      { meters: s, vault },
      csvMeterRows(`${base},ek,ak\nD1,p,h,1,${wrong},${EK}\n`),
    );
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.field).toBe('ek');
    expect(JSON.stringify(r.failed)).not.toContain(EK.slice(0, 30));
  });
});
