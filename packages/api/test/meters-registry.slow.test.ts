import type { SecretVault } from '@openhes/core';
import { createSecretVault } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquisitionPort, OnDemandResult } from '../src/context.ts';
import { type Harness, meterRow, startApi } from './helpers.ts';

const EK = '00112233445566778899aabbccddeeff';
const AK = 'ffeeddccbbaa99887766554433221100';

/** The simulator's export header (hes simulate --export), keys included. */
const SIM_HEADER =
  'id,serial,host,port,framing,serverAddress,profile,role,loadClass,transformer,feeder,associations,systemTitle,securitySuite,password,ek,ak';

/** The store's vault, built once the harness has opened the store. */
function lateVault(): { vault: SecretVault; bind(v: SecretVault): void } {
  let real: SecretVault | undefined;
  const v = (): SecretVault => {
    if (real === undefined) throw new Error('vault not bound');
    return real;
  };
  return {
    bind: (x) => {
      real = x;
    },
    vault: {
      get kekId() {
        return v().kekId;
      },
      put: (...a) => v().put(...a),
      get: (...a) => v().get(...a),
      putPending: (...a) => v().putPending(...a),
      getPending: (...a) => v().getPending(...a),
      promotePending: (...a) => v().promotePending(...a),
      discardPending: (...a) => v().discardPending(...a),
    },
  };
}

describe('meter registry over the API (issue 13)', () => {
  let h: Harness;
  let operator: string;
  let viewer: string;
  let admin: string;
  let readResult: OnDemandResult;
  const acquisition: AcquisitionPort = {
    async readNow() {
      return readResult;
    },
  };

  beforeAll(async () => {
    const late = lateVault();
    h = await startApi({
      acquisition,
      deviceProfiles: new Set(['is15959-1ph', 'is15959-3ph']),
      vault: late.vault,
    });
    late.bind(createSecretVault(h.store.keys, new Uint8Array(32).fill(7)));
    operator = await h.tokenFor('operator');
    viewer = await h.tokenFor('viewer');
    admin = await h.tokenFor('admin');
  });
  afterAll(async () => h.close());

  const audit = async (action: string) => {
    const page = await h.store.audit.list({ limit: 500 });
    return page.items.filter((a) => a.action === action);
  };

  it("imports the simulator's CSV export with keys: meters active, keys encrypted at once, never echoed", async () => {
    const csv = [
      SIM_HEADER,
      `1,SIM0001,127.0.0.1,4061,wrapper,1,is15959-1ph,consumer,residential,T1,F1,public;mr,0102030405060708,0,pw-000000001,${EK},${AK}`,
      `2,SIM0002,127.0.0.1,4062,hdlc,1,is15959-3ph,consumer,commercial,T1,F1,public,0102030405060709,0,,,`,
    ].join('\n');
    const res = await h.call('POST', '/meters/import', {
      token: operator,
      body: csv,
      contentType: 'text/csv',
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ created: 2, existing: 0, keysStored: 3, failed: [] });
    expect(res.text).not.toContain(EK);
    expect(res.text).not.toContain('pw-000000001');
    const m = await h.store.meters.getBySerial('SIM0001');
    expect(m).toMatchObject({ status: 'active', protocol: 'dlms-tcp', customerClass: 'residential' });
    expect(Object.keys(m!.keyRefs).sort()).toEqual(['gak', 'guek', 'lls-password']);
    // Stored wrapped (not in clear) and opened by the vault.
    const wrapped = await h.store.keys.current(m!.id, 'guek');
    expect(Buffer.from(wrapped!.wrapped).toString('hex')).not.toContain(EK);
    expect(Buffer.from((await h.store.meters.getBySerial('SIM0002'))!.address).length).toBeGreaterThan(0);
    const got = await h.call('GET', `/meters/${m!.id}`, { token: viewer });
    expect(got.text).not.toContain(EK);
    const entries = await audit('meter.import');
    expect(JSON.stringify(entries)).not.toContain(EK);
    expect(entries.at(-1)?.detail).toMatchObject({ created: 2, keysStored: 3 });
  });

  it('imports JSON rows with keys, tags, segment and firmware version the same way', async () => {
    const res = await h.call('POST', '/meters/import', {
      token: operator,
      body: [
        {
          serial: 'J0001',
          profile: 'is15959-1ph',
          host: '127.0.0.1',
          port: 4070,
          ek: EK,
          tags: ['pilot'],
          segment: 'dc-1',
          firmwareVersion: '1.0.4',
        },
        { ...meterRow(900), status: 'registered' },
        { ...meterRow(901), protocol: 'modbus' },
        { ...meterRow(902), ek: 'nothex' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json.created).toBe(2);
    expect(
      res.json.failed.map((f: { row: number; field: string; code: string }) => [f.row, f.field, f.code]),
    ).toEqual([
      [3, 'protocol', 'IMPORT_NO_DRIVER'],
      [4, 'ek', 'VALIDATION_FAILED'],
    ]);
    expect(res.json.failed[0].message).toContain('no driver for modbus');
    expect(res.text).not.toContain('nothex');
    const long = 'ab'.repeat(150);
    const refused = await h.call('POST', '/meters/import', {
      token: operator,
      body: [{ serial: 'J0009', profile: 'is15959-1ph', host: 'h', port: 1, ek: long }],
    });
    expect(refused.status).toBe(400);
    expect(refused.text).not.toContain(long.slice(0, 40));
    const j = await h.call('GET', '/meters?tag=pilot', { token: viewer });
    expect(j.json.items).toMatchObject([
      { serial: 'J0001', status: 'active', tags: ['pilot'], segment: 'dc-1', firmwareVersion: '1.0.4' },
    ]);
    expect((await h.store.meters.getBySerial(meterRow(900).serial as string))?.status).toBe('registered');
  });

  it('drives the lifecycle and refuses a transition naming from, to and the allowed ones', async () => {
    const id = (await h.store.meters.getBySerial(meterRow(900).serial as string))!.id;
    const suspend = await h.call('POST', `/meters/${id}/suspend`, { token: operator });
    expect([suspend.status, suspend.json.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect(suspend.json.error.detail).toEqual({
      from: 'registered',
      to: 'suspended',
      allowed: ['commissioned', 'active', 'decommissioned'],
    });
    expect(suspend.json.error.message).toContain('cannot become suspended');
    expect((await h.store.meters.get(id))?.status).toBe('registered');
    const resume = await h.call('POST', `/meters/${id}/resume`, { token: operator });
    expect([resume.status, resume.json.error.detail.allowed]).toEqual([409, ['suspended']]);
    for (const [verb, status] of [
      ['commission', 'commissioned'],
      ['activate', 'active'],
      ['suspend', 'suspended'],
      ['resume', 'active'],
      ['decommission', 'decommissioned'],
    ] as const) {
      const r = await h.call('POST', `/meters/${id}/${verb}`, { token: operator });
      expect([verb, r.status, r.json.status]).toEqual([verb, 200, status]);
      expect((await h.store.meters.get(id))?.status).toBe(status);
    }
    const back = await h.call('POST', `/meters/${id}/activate`, { token: operator });
    expect([back.status, back.json.error.detail.allowed]).toEqual([409, []]);
    expect((await audit('meter.suspend')).map((a) => [a.outcome, a.detail?.from])).toEqual([
      ['failed', 'registered'],
      ['succeeded', 'active'],
    ]);
    expect((await h.call('POST', `/meters/${id}/activate`, { token: viewer })).status).toBe(403);
  });

  it('removes a meter that never delivered data, and refuses one that did, naming why', async () => {
    const fresh = (await h.store.meters.getBySerial('J0001'))!;
    const used = (await h.store.meters.getBySerial('SIM0002'))!;
    await h.store.channels.ensure(used.id, {
      obis: '1-0:1.8.0.255',
      attribute: 2,
      kind: 'register',
      unit: 'Wh',
      scaler: 0,
      intervalSeconds: null,
    });
    const refused = await h.call('DELETE', `/meters/${used.id}`, { token: operator });
    expect([refused.status, refused.json.error.code, refused.json.error.detail]).toEqual([
      409,
      'CONFLICT',
      { has: ['readings'] },
    ]);
    expect(refused.json.error.message).toContain('never delivered data');
    expect(await h.store.meters.get(used.id)).not.toBeNull();
    const del = await h.call('DELETE', `/meters/${fresh.id}`, { token: operator });
    expect([del.status, del.json]).toEqual([200, { id: fresh.id, serial: 'J0001', removed: true }]);
    expect(await h.store.meters.get(fresh.id)).toBeNull();
    expect(await h.store.keys.current(fresh.id, 'guek')).toBeNull();
    expect((await h.call('DELETE', `/meters/${fresh.id}`, { token: operator })).status).toBe(404);
  });

  it('refuses a protocol without a driver and a bad address on PATCH, field named', async () => {
    const m = (await h.store.meters.getBySerial('SIM0001'))!;
    const modbus = await h.call('PATCH', `/meters/${m.id}`, {
      token: operator,
      body: { protocol: 'modbus' },
    });
    expect([modbus.status, modbus.json.error.detail]).toEqual([
      400,
      { field: 'protocol', reason: 'IMPORT_NO_DRIVER' },
    ]);
    const addr = await h.call('PATCH', `/meters/${m.id}`, { token: operator, body: { address: 'meter-7' } });
    expect([addr.status, addr.json.error.detail]).toEqual([
      400,
      { field: 'address', reason: 'IMPORT_BAD_ADDRESS' },
    ]);
    expect(await h.store.meters.get(m.id)).toMatchObject({ protocol: 'dlms-tcp', address: m.address });
    const tags = await h.call('PATCH', `/meters/${m.id}`, {
      token: operator,
      body: { tags: ['a', 'b'], segment: 'x' },
    });
    expect(tags.json).toMatchObject({ tags: ['a', 'b'], segment: 'x' });
  });

  it('audits an on-demand read with its real outcome', async () => {
    const m = (await h.store.meters.getBySerial('SIM0001'))!;
    readResult = {
      status: 'failed',
      errorCode: 'DLMS_TIMEOUT',
      readingsStored: 0,
      eventsStored: 0,
      durationMs: 5,
    };
    const failed = await h.call('POST', `/meters/${m.id}/read`, { token: operator });
    expect([failed.status, failed.json.status]).toEqual([200, 'failed']);
    readResult = { status: 'success', errorCode: null, readingsStored: 4, eventsStored: 0, durationMs: 5 };
    await h.call('POST', `/meters/${m.id}/read`, { token: operator });
    expect((await audit('meter.read-now')).map((a) => [a.outcome, a.detail?.errorCode])).toEqual([
      ['failed', 'DLMS_TIMEOUT'],
      ['succeeded', null],
    ]);
    expect(admin).toBeTruthy();
  });
});
