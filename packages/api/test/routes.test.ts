import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquisitionPort } from '../src/context.ts';
import { createMetrics } from '../src/metrics.ts';
import { openApiJson } from '../src/openapi.ts';
import { type Harness, meterRow, startApi } from './helpers.ts';

const T0 = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

describe('routes over a listening server', () => {
  let h: Harness;
  let admin: string;
  let operator: string;
  let viewer: string;
  const reads: [number, readonly string[] | undefined][] = [];
  const acquisition: AcquisitionPort = {
    async readNow(meterId, kinds) {
      reads.push([meterId, kinds]);
      return { status: 'success', errorCode: null, readingsStored: 3, eventsStored: 1, durationMs: 42 };
    },
  };
  const m = createMetrics();

  beforeAll(async () => {
    h = await startApi({ acquisition, metrics: m });
    admin = (await h.login()).json.token;
    operator = await h.tokenFor('operator', 'olga');
    viewer = await h.tokenFor('viewer');
  });
  afterAll(async () => h.close());

  it('imports meters from JSON and CSV, counting serials already known', async () => {
    const invalid = await h.call('POST', '/meters/import', {
      token: operator,
      body: [meterRow(1), meterRow(2), meterRow(3, { protocol: 'carrier-pigeon' })],
    });
    // The one importer checks each row: the bad one is refused with its field, the others kept.
    expect(invalid.status).toBe(200);
    expect(invalid.json).toMatchObject({ created: 2, failed: [{ row: 3, field: 'protocol' }] });
    expect(await h.store.meters.getBySerial('SN000003')).toBeNull();
    const json = await h.call('POST', '/meters/import', {
      token: operator,
      body: [meterRow(1), meterRow(2)],
    });
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({ created: 0, existing: 2, failed: [] });
    const csv = [
      'serial,manufacturer,model,deviceProfile,protocol,address,customerClass,tariff',
      'SN000002,Acme,E100,is15959-1ph,dlms-tcp,127.1.0.3:4059,,',
      'SN000004,Acme,E300,is15959-3ph,dlms-hdlc,"127.1.0.5:4059",commercial,"TOU, night"',
      'SN000005,Acme,E300,is15959-3ph,fax,127.1.0.6:4059,,',
    ].join('\r\n');
    const res = await h.call('POST', '/meters/import', {
      token: operator,
      body: csv,
      contentType: 'text/csv',
    });
    expect(res.json).toMatchObject({
      created: 1,
      existing: 1,
      failed: [{ row: 3, code: 'VALIDATION_FAILED' }],
    });
    const m4 = await h.store.meters.getBySerial('SN000004');
    expect(m4).toMatchObject({ model: 'E300', customerClass: 'commercial', tariff: 'TOU, night' });
    const bad = await h.call('POST', '/meters/import', {
      token: operator,
      body: 'serial,colour\nX,red',
      contentType: 'text/csv',
    });
    expect([bad.status, bad.json.error.code]).toEqual([400, 'IMPORT_UNKNOWN_COLUMN']);
  });

  it('lists, filters, gets, updates and decommissions meters', async () => {
    const all = await h.call('GET', '/meters', { token: viewer });
    expect(all.json.items.map((x: { serial: string }) => x.serial)).toEqual([
      'SN000001',
      'SN000002',
      'SN000004',
    ]);
    const acme = await h.call('GET', '/meters?manufacturer=Acme&limit=1', { token: viewer });
    expect(acme.json.items.map((x: { serial: string }) => x.serial)).toEqual(['SN000002']);
    const next = await h.call('GET', `/meters?manufacturer=Acme&limit=1&cursor=${acme.json.nextCursor}`, {
      token: viewer,
    });
    expect(next.json.items.map((x: { serial: string }) => x.serial)).toEqual(['SN000004']);
    const bySerial = await h.call('GET', '/meters?serial=SN000001', { token: viewer });
    expect(bySerial.json.items).toHaveLength(1);
    const id = bySerial.json.items[0].id as number;
    const got = await h.call('GET', `/meters/${id}`, { token: viewer });
    expect(got.json).toMatchObject({
      id,
      serial: 'SN000001',
      status: 'active',
      createdAt: expect.any(String),
    });
    const patched = await h.call('PATCH', `/meters/${id}`, {
      token: operator,
      body: { tariff: 'T2', address: '10.0.0.1:4059' },
    });
    expect(patched.json).toMatchObject({ tariff: 'T2', address: '10.0.0.1:4059' });
    // A record no driver can use is refused with the field named, and nothing changes.
    const badAddress = await h.call('PATCH', `/meters/${id}`, {
      token: operator,
      body: { address: 'not-an-address' },
    });
    expect([badAddress.status, badAddress.json.error.code, badAddress.json.error.detail.field]).toEqual([
      400,
      'VALIDATION_FAILED',
      'address',
    ]);
    expect((await h.call('GET', `/meters/${id}`, { token: viewer })).json.address).toBe('10.0.0.1:4059');
    const gone = await h.call('POST', `/meters/${id}/decommission`, { token: operator });
    expect(gone.json.status).toBe('decommissioned');
    const registered = await h.call('GET', '/meters?status=registered', { token: viewer });
    expect(registered.json.items.map((x: { id: number }) => x.id)).not.toContain(id);
    const read = await h.call('POST', `/meters/${id}/read`, { token: operator });
    expect([read.status, read.json.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await h.call('GET', '/meters/424242', { token: viewer })).json.error.code).toBe('NOT_FOUND');
  });

  it('serves channels, raw and aggregated series and the latest values', async () => {
    const meter = (await h.store.meters.getBySerial('SN000002'))!;
    const ch = await h.store.channels.ensure(meter.id, {
      obis: '1.0.1.29.0.255',
      attribute: 2,
      kind: 'interval',
      unit: 'Wh',
      scaler: 0,
      intervalSeconds: 900,
    });
    const readings = Array.from({ length: 96 * 2 }, (_, i) => ({
      channelId: ch.id,
      ts: T0 + (i + 1) * 900_000,
      value: i % 4,
    }));
    await h.store.readings.ingest({ id: 'b1', readings });
    const chans = await h.call('GET', `/meters/${meter.id}/channels`, { token: viewer });
    expect(chans.json.items).toEqual([
      expect.objectContaining({ id: ch.id, obis: '1.0.1.29.0.255', unit: 'Wh' }),
    ]);
    const from = new Date(T0).toISOString();
    const to = new Date(T0 + DAY).toISOString();
    const raw = await h.call('GET', `/channels/${ch.id}/readings?from=${from}&to=${to}&limit=50`, {
      token: viewer,
    });
    expect(raw.json.items).toHaveLength(50);
    expect(raw.json.items[0]).toMatchObject({
      ts: new Date(T0 + 900_000).toISOString(),
      value: 0,
      version: 1,
    });
    let n = raw.json.items.length;
    let cursor = raw.json.nextCursor;
    while (cursor) {
      const p = await h.call(
        'GET',
        `/channels/${ch.id}/readings?from=${from}&to=${to}&limit=50&cursor=${cursor}`,
        {
          token: viewer,
        },
      );
      n += p.json.items.length;
      cursor = p.json.nextCursor;
    }
    expect(n).toBe(95);
    const day = await h.call(
      'GET',
      `/channels/${ch.id}/readings/aggregate?from=${from}&to=${new Date(T0 + 2 * DAY).toISOString()}&bucket=day&fn=sum`,
      { token: viewer },
    );
    expect(day.json.points).toEqual([
      { bucketStart: from, bucketEnd: new Date(T0 + DAY).toISOString(), value: 144, count: 96, estimated: 0 },
      {
        bucketStart: new Date(T0 + DAY).toISOString(),
        bucketEnd: new Date(T0 + 2 * DAY).toISOString(),
        value: 144,
        count: 96,
        estimated: 0,
      },
    ]);
    const latest = await h.call('GET', `/meters/${meter.id}/readings/latest`, { token: viewer });
    expect(latest.json.items).toEqual([
      expect.objectContaining({
        channelId: ch.id,
        obis: '1.0.1.29.0.255',
        ts: new Date(T0 + 2 * DAY).toISOString(),
        value: 3,
      }),
    ]);
  });

  it('lists events by meter, category and time', async () => {
    const meter = (await h.store.meters.getBySerial('SN000002'))!;
    await h.store.events.append([
      {
        meterId: meter.id,
        meterTime: T0,
        ts: T0,
        log: '0.0.99.98.0.255',
        code: 1,
        category: 'power-failure',
        raw: null,
      },
      {
        meterId: meter.id,
        meterTime: T0 + 1000,
        ts: T0 + 1000,
        log: '0.0.99.98.1.255',
        code: 51,
        category: 'tamper',
        raw: null,
      },
    ]);
    const tamper = await h.call('GET', `/events?meterId=${meter.id}&category=tamper`, { token: viewer });
    expect(tamper.json.items).toEqual([expect.objectContaining({ code: 51, category: 'tamper' })]);
    const window = await h.call(
      'GET',
      `/events?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 500).toISOString()}`,
      {
        token: viewer,
      },
    );
    expect(window.json.items.map((e: { code: number }) => e.code)).toEqual([1]);
  });

  it('lists collection outcomes and computes the fleet success rate', async () => {
    const ids = (await h.store.meters.list({})).items.map((x) => x.id);
    const at = h.clock.t - 3_600_000;
    const statuses = ['success', 'success', 'failed', 'skipped'] as const;
    for (const [i, status] of statuses.entries()) {
      await h.store.collection.record({
        meterId: ids[i % ids.length]!,
        taskId: `t${i}`,
        startedAt: at + i,
        finishedAt: at + i + 10,
        status,
        errorCode: status === 'failed' ? 'DLMS_TIMEOUT' : null,
        readingsStored: 1,
        attempt: 1,
      });
    }
    const failed = await h.call('GET', '/collection/outcomes?status=failed', { token: viewer });
    expect(failed.json.items).toEqual([expect.objectContaining({ taskId: 't2', errorCode: 'DLMS_TIMEOUT' })]);
    const rate = await h.call('GET', '/collection/success-rate', { token: viewer });
    expect(rate.json).toMatchObject({
      outcomes: 4,
      byStatus: { success: 2, failed: 1, skipped: 1, partial: 0 },
      metersAttempted: 3,
      metersRead: 2,
      truncated: false,
    });
    expect(rate.json.rate).toBeCloseTo(2 / 3);
  });

  it('reads a meter on demand through the acquisition port', async () => {
    const meter = (await h.store.meters.getBySerial('SN000004'))!;
    const res = await h.call('POST', `/meters/${meter.id}/read?reads=registers,events`, { token: operator });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ meterId: meter.id, status: 'success', readingsStored: 3 });
    expect(reads.at(-1)).toEqual([meter.id, ['registers', 'events']]);
  });

  it('creates, reads, replaces and deletes reading plans', async () => {
    const plan = {
      name: 'quarter-hourly',
      cron: '*/15 * * * *',
      reads: ['block', 'events'],
      meters: 'all',
      windowSeconds: 600,
      enabled: true,
    };
    const created = await h.call('POST', '/plans', { token: operator, body: plan });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect((await h.call('GET', `/plans/${id}`, { token: viewer })).json).toMatchObject(plan);
    const replaced = await h.call('PUT', `/plans/${id}`, {
      token: operator,
      body: { ...plan, enabled: false, meters: { profiles: ['is15959-sp'] } },
    });
    expect(replaced.json).toMatchObject({ enabled: false, meters: { profiles: ['is15959-sp'] } });
    expect((await h.call('GET', '/plans', { token: viewer })).json.items).toHaveLength(1);
    expect((await h.call('DELETE', `/plans/${id}`, { token: operator })).status).toBe(204);
    expect((await h.call('GET', `/plans/${id}`, { token: viewer })).status).toBe(404);
  });

  it('manages users and records every write in the audit log with actor and address', async () => {
    const u = await h.call('POST', '/users', {
      token: admin,
      body: { name: 'otto', role: 'operator', password: 'long-enough-password' },
    });
    expect(u.status).toBe(201);
    expect((await h.login('otto', 'long-enough-password')).status).toBe(200);
    expect(
      (await h.call('POST', '/users', { token: admin, body: { name: 'otto', role: 'viewer' } })).status,
    ).toBe(409);
    const users = await h.call('GET', '/users', { token: admin });
    expect(users.json.items.map((x: { name: string }) => x.name)).toContain('otto');
    const audit = await h.call('GET', '/audit?limit=1000', { token: admin });
    const actions = audit.json.items.map((a: { action: string }) => a.action);
    for (const a of [
      'meter.import',
      'meter.update',
      'meter.decommission',
      'meter.read-now',
      'plan.create',
      'plan.update',
      'plan.delete',
      'user.create',
      'auth.login',
    ]) {
      expect(actions).toContain(a);
    }
    const update = audit.json.items.find((a: { action: string }) => a.action === 'meter.update');
    expect(update).toMatchObject({
      actor: 'olga',
      outcome: 'succeeded',
      target: expect.stringMatching(/^meter:\d+$/),
    });
    expect(update.detail).toMatchObject({
      ip: '127.0.0.1',
      method: 'PATCH',
      status: 200,
      changed: ['tariff', 'address'],
    });
    const byOtto = await h.call('GET', '/audit?actor=otto', { token: admin });
    expect(byOtto.json.items).toEqual([
      expect.objectContaining({ action: 'auth.login', outcome: 'succeeded' }),
    ]);
  });

  it('exposes Prometheus metrics that other layers update', async () => {
    m.metrics.collectionOutcome({ status: 'failed', errorCode: 'DLMS_TIMEOUT' });
    m.metrics.sessionLatency(0.3, 'success');
    m.metrics.storeWrites('readings', 96);
    m.metrics.queueDepth(7);
    const res = await h.call('GET', '/metrics', { token: viewer });
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.text).toContain('hes_collection_failures_total{code="DLMS_TIMEOUT"} 1');
    expect(res.text).toContain('hes_session_duration_seconds_count{status="success"} 1');
    expect(res.text).toContain('hes_store_writes_total{kind="readings"} 96');
    expect(res.text).toContain('hes_queue_depth 7');
    expect(res.text).toMatch(
      /hes_http_request_duration_seconds_count\{route="\/meters",method="GET",status="200"\} \d+/,
    );
  });

  it('serves the OpenAPI document it generates and the interactive docs', async () => {
    const doc = await h.call('GET', '/openapi.json', { token: viewer });
    expect(`${JSON.stringify(doc.json, null, 2)}\n`).toBe(await openApiJson());
    const docs = await h.call('GET', '/docs/', { token: viewer });
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
  });
});

describe('on-demand read without acquisition', () => {
  it('answers 503 with a stable code', async () => {
    const h = await startApi();
    try {
      const token = await h.tokenFor('operator');
      const res = await h.call('POST', '/meters/1/read', { token });
      expect([res.status, res.json.error.code]).toEqual([503, 'ACQUISITION_UNAVAILABLE']);
    } finally {
      await h.close();
    }
  });
});
