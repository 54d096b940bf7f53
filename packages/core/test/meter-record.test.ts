import { describe, expect, it } from 'vitest';
import type { Meter, MeterStore, NewMeter } from '../src/index.ts';
import {
  checkMeterRows,
  importMeters,
  MeterImportCode,
  meterRecordProblem,
  parseDlmsAddress,
  parseMeterList,
} from '../src/usecases/import-meters.ts';

const PROFILES = new Map([['p', { manufacturer: 'M' }]]);

function problems(csv: string) {
  return checkMeterRows(parseMeterList(csv), { profiles: PROFILES }).problems;
}

describe('the import refuses what the drivers cannot use (issue 12 defect 6)', () => {
  it.each([
    ['meter-7', 'address', MeterImportCode.BadAddress, /'meter-7' is not host:port/],
    ['10.0.0.1', 'address', MeterImportCode.BadAddress, /is not host:port/],
    ['10.0.0.1:0', 'address', MeterImportCode.BadAddress, /no valid port/],
    ['10.0.0.1:65536', 'address', MeterImportCode.BadAddress, /no valid port/],
    ['10.0.0.1:40x', 'address', MeterImportCode.BadAddress, /no valid port/],
    [':4059', 'address', MeterImportCode.BadAddress, /is not host:port/],
    ['bad host:4059', 'address', MeterImportCode.BadAddress, /host 'bad host'/],
    ['10.0.0.1:4059?physical=20000', 'address', MeterImportCode.BadAddress, /physical=20000/],
    ['10.0.0.1:4059?logical=x', 'address', MeterImportCode.BadAddress, /logical=x/],
    ['10.0.0.1:4059?st=12', 'address', MeterImportCode.BadAddress, /system title/],
    ['10.0.0.1:4059?udp=yes', 'address', MeterImportCode.BadAddress, /udp=yes/],
    ['10.0.0.1:4059?port=1', 'address', MeterImportCode.BadAddress, /unknown parameter 'port'/],
  ])('address %s', (address, field, code, message) => {
    const [p] = problems(`serial,deviceProfile,protocol,address\nS1,p,dlms-tcp,${address}\n`);
    expect(p).toMatchObject({ row: 1, field, code });
    expect(p?.message).toMatch(message);
  });

  it('a protocol with no driver, and an unknown device profile, name their field', () => {
    const [a, b] = problems(
      'serial,deviceProfile,protocol,address\nS1,p,modbus,10.0.0.1:502\nS2,q,dlms-tcp,10.0.0.1:4059\n',
    );
    expect(a).toMatchObject({ row: 1, field: 'protocol', code: MeterImportCode.NoDriver });
    expect(a?.message).toMatch(/no driver for modbus/);
    expect(b).toMatchObject({ row: 2, field: 'deviceProfile', code: MeterImportCode.UnknownProfile });
  });

  it('accepts the forms the DLMS drivers dial: TCP and UDP wrapper, HDLC addresses, system title', () => {
    const rows = [
      'S1,p,dlms-tcp,10.0.0.1:4059',
      'S2,p,dlms-udp,10.0.0.1:4059?udp=1',
      'S3,p,dlms-hdlc,meters.example:4059?logical=1&physical=16',
      'S4,p,dlms-tcp,127.0.0.2:4059?logical=17&st=4142430000000001',
      'S5,p,dlms-tcp,::1:4059',
    ];
    expect(problems(`serial,deviceProfile,protocol,address\n${rows.join('\n')}\n`)).toEqual([]);
    expect(parseDlmsAddress('h:1?logical=1&physical=16&udp=1')).toEqual({
      host: 'h',
      port: 1,
      transport: 'udp',
      logical: 1,
      physical: 16,
      systemTitle: undefined,
    });
  });

  it('the same rule checks a stored record', () => {
    const m = { protocol: 'dlms-tcp', address: 'x', deviceProfile: 'p' } as const;
    expect(meterRecordProblem(m)).toMatchObject({ field: 'address', code: MeterImportCode.BadAddress });
    expect(meterRecordProblem({ ...m, address: 'x:1' }, { profiles: PROFILES })).toBeUndefined();
    expect(meterRecordProblem({ ...m, address: 'x:1', protocol: 'mqtt' })).toMatchObject({
      field: 'protocol',
    });
    expect(
      meterRecordProblem({ ...m, address: 'x:1', protocol: 'mqtt' }, { protocols: new Set(['mqtt']) }),
    ).toBeUndefined();
  });

  it('an import with a bad address stores nothing of that row', async () => {
    const created: NewMeter[] = [];
    const meters = {
      getBySerial: async () => null,
      create: async (m: NewMeter) => {
        created.push(m);
        return { ...m, id: created.length, keyRefs: {} } as unknown as Meter;
      },
    } as unknown as MeterStore;
    const r = await importMeters(
      { meters },
      parseMeterList(
        'serial,deviceProfile,protocol,address\nS1,p,dlms-tcp,10.0.0.1:4059\nS2,p,dlms-tcp,nope\n',
      ),
      { profiles: PROFILES },
    );
    expect(r.created).toBe(1);
    expect(created.map((m) => m.serial)).toEqual(['S1']);
    expect(r.failed).toMatchObject([{ row: 2, field: 'address', code: MeterImportCode.BadAddress }]);
  });
});
