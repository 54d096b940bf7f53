import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyPurpose, Meter, MeterStore, NewMeter, SecretVault } from '../src/index.ts';
import {
  csvMeterRows,
  importMeters,
  MeterImportCode,
  parseCsv,
  parseMeterList,
} from '../src/usecases/import-meters.ts';

describe('parseCsv', () => {
  it('round-trips quoted fields with commas, quotes and line breaks', () => {
    const field = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(
        fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        (rows) => {
          const text = rows.map((r) => r.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')).join('\r\n');
          expect(parseCsv(text)).toEqual(rows);
        },
      ),
    );
  });
});

/** A meter store and vault in memory, enough for the importer. */
function fakes() {
  const meters = new Map<number, Meter>();
  let nextId = 1;
  const store = {
    async getBySerial(serial: string) {
      return [...meters.values()].find((m) => m.serial === serial) ?? null;
    },
    async create(m: NewMeter) {
      const meter: Meter = {
        keyRefs: {},
        status: 'registered',
        customerClass: 'residential',
        tariff: null,
        paymentMode: 'postpaid',
        servicePointId: null,
        sectionId: null,
        firmwareVersion: null,
        tags: [],
        segment: null,
        ...m,
        id: nextId++,
        createdAt: 0,
        updatedAt: 0,
      };
      meters.set(meter.id, meter);
      return meter;
    },
    async update(id: number, patch: Partial<Meter>) {
      const m = { ...meters.get(id)!, ...patch };
      meters.set(id, m);
      return m;
    },
  } as unknown as MeterStore;
  const secrets = new Map<string, Uint8Array[]>();
  const vault = {
    kekId: 'test',
    async put(meterId: number, purpose: KeyPurpose, secret: Uint8Array) {
      const k = `${meterId}/${purpose}`;
      const versions = secrets.get(k) ?? [];
      versions.push(secret);
      secrets.set(k, versions);
      return `${purpose}@${versions.length}`;
    },
    async get(meterId: number, purpose: KeyPurpose) {
      return secrets.get(`${meterId}/${purpose}`)?.at(-1) ?? null;
    },
  } as unknown as SecretVault;
  return { meters, store, vault, secrets };
}

const EK = '000102030405060708090a0b0c0d0e0f';

describe('the one meter importer', () => {
  it('reads quoted CSV fields (commas, quotes, line breaks) and reports problems by row, line and field', async () => {
    const csv = [
      'serial,manufacturer,model,deviceProfile,protocol,address,tariff',
      'A1,"Acme, Inc.",E100,is15959-1ph,dlms-tcp,"10.0.0.1:4059","TOU ""night"""',
      'A2,Acme,E100,is15959-1ph,dlms-tcp,10.0.0.2:4059,"two',
      'lines"',
      'A3,Acme,E100,is15959-1ph,fax,10.0.0.3:4059,',
      'A4,Acme,E100,nope,dlms-tcp,10.0.0.4:4059,',
      'A5,Acme',
    ].join('\r\n');
    const f = fakes();
    const r = await importMeters({ meters: f.store }, csvMeterRows(csv), {
      profiles: new Set(['is15959-1ph']),
    });
    expect(r).toMatchObject({ created: 2, updated: 0, ids: [1, 2] });
    expect(f.meters.get(1)).toMatchObject({ manufacturer: 'Acme, Inc.', tariff: 'TOU "night"' });
    expect(f.meters.get(2)).toMatchObject({ tariff: 'two\r\nlines' });
    expect(r.failed.map((p) => [p.row, p.line, p.field, p.code])).toEqual([
      [3, 5, 'protocol', MeterImportCode.InvalidRow],
      [4, 6, 'deviceProfile', MeterImportCode.UnknownProfile],
      [5, 7, undefined, MeterImportCode.InvalidRow],
    ]);
  });

  it('imports the simulator shape with secrets through the vault, and updates a known serial from its row', async () => {
    const f = fakes();
    const sim = [
      'id,serial,host,port,framing,serverAddress,profile,loadClass,role,systemTitle,password,ek,ak,kek',
      `0,S1,127.0.0.2,4059,hdlc,17,is15959-3ph,commercial,consumer,4142430000000001,pw,${EK},${EK},${EK}`,
    ].join('\n');
    const profiles = new Map([['is15959-3ph', { manufacturer: 'Acme' }]]);
    const first = await importMeters({ meters: f.store, vault: f.vault }, parseMeterList(sim), {
      profiles,
      defaultStatus: 'active',
    });
    expect(first).toMatchObject({ created: 1, updated: 0, keysStored: 4, failed: [] });
    expect(f.meters.get(1)).toMatchObject({
      serial: 'S1',
      manufacturer: 'Acme',
      model: 'is15959-3ph',
      protocol: 'dlms-hdlc',
      address: '127.0.0.2:4059?logical=17&st=4142430000000001',
      status: 'active',
      customerClass: 'commercial',
      keyRefs: { 'lls-password': 'lls-password@1', guek: 'guek@1', gak: 'gak@1', kek: 'kek@1' },
    });
    const json = JSON.stringify([
      {
        serial: 'S1',
        host: '127.0.0.3',
        port: 4059,
        profile: 'is15959-3ph',
        ek: EK,
        ak: EK,
        kek: EK,
        password: 'pw',
      },
    ]);
    const again = await importMeters({ meters: f.store, vault: f.vault }, parseMeterList(json), { profiles });
    expect(again).toMatchObject({ created: 0, updated: 1 });
    expect(f.meters.get(1)!.address).toBe('127.0.0.3:4059?logical=1');
    expect(f.meters.get(1)!.status).toBe('active');
    expect(f.secrets.get('1/guek')).toHaveLength(1);
  });

  it('refuses unknown columns and unreadable lists as a whole, and imports nothing of a list with a bad row when asked', async () => {
    expect(() => parseMeterList('serial,colour\nX,red')).toThrow(
      expect.objectContaining({ code: MeterImportCode.UnknownColumn, kind: 'invalid' }),
    );
    expect(() => parseMeterList('[{"serial": 1')).toThrow(
      expect.objectContaining({ code: 'IMPORT_MALFORMED' }),
    );
    expect(() => parseMeterList('serial,"address\n')).toThrow(
      expect.objectContaining({ code: 'IMPORT_MALFORMED' }),
    );
    const f = fakes();
    const rows = parseMeterList('serial,address,deviceProfile\nB1,1.2.3.4:1,p\nB2,,p\n');
    const r = await importMeters({ meters: f.store }, rows, { allOrNothing: true });
    expect(r).toMatchObject({ created: 0, failed: [{ row: 2, line: 3, field: 'address' }] });
    expect(f.meters.size).toBe(0);
    const withKey = parseMeterList(
      `serial,address,deviceProfile,ek\nB3,1.2.3.4:1,p,${EK}\nB4,1.2.3.4:2,p,\n`,
    );
    const noVault = await importMeters({ meters: f.store }, withKey);
    expect(noVault).toMatchObject({ created: 1, failed: [{ row: 1, code: MeterImportCode.NoVault }] });
    expect(f.meters.get(1)?.serial).toBe('B4');
  });
});
