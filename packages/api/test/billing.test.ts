import { type BillingPort, type NewMeter, QualityFlag, type ReadingInput, type VeePort } from '@openhes/core';
import { BILL_CSV_COLUMNS, BillingService, VeeService } from '@openhes/meter-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, meterRow, startApi } from './helpers.ts';
import { I, IMPORT_ENERGY, latePort } from './meter-data-fixture.ts';

const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);

const TARIFF = {
  id: 'DN',
  name: 'Day, night',
  currency: 'EUR',
  minorDigits: 2,
  timeZone: 'UTC',
  dayTypes: ['all'],
  week: ['all', 'all', 'all', 'all', 'all', 'all', 'all'],
  specialDays: [],
  seasons: [
    {
      id: 'year',
      start: '01-01',
      days: [
        {
          dayType: 'all',
          ranges: [
            { start: '00:00', end: '06:00', period: 'N' },
            { start: '06:00', end: '22:00', period: 'D' },
            { start: '22:00', end: '24:00', period: 'N' },
          ],
        },
      ],
    },
  ],
  periods: [
    { id: 'D', importRate: '0.30' },
    { id: 'N', importRate: '0.10' },
  ],
  fixedCharges: [{ id: 'service', amount: '5.00', per: 'cycle' }],
  demandCharges: [],
  netMetering: 'none',
  taxes: [{ id: 'vat', ratePct: '10' }],
};

/**
 * November at 100 Wh per quarter hour: day (06–22) 30 × 64 × 0.1 kWh = 192 kWh × 0.30 = 57.60,
 * night 30 × 32 × 0.1 kWh = 96 kWh × 0.10 = 9.60, service 5.00; subtotal 72.20, VAT 10 % 7.22.
 */
const NOVEMBER_TOTAL = 7942;

describe('billing through the API (issue 14)', () => {
  let h: Harness;
  let admin: string;
  let op: string;
  let viewer: string;
  let complete: number;
  let empty: number;
  let channel: number;
  const billing = latePort<BillingPort>();
  const vee = latePort<VeePort>();

  beforeAll(async () => {
    h = await startApi({ billing: billing.port, vee: vee.port });
    billing.set(new BillingService({ store: h.store, groups: [{ id: 'default', timeZone: 'UTC' }] }));
    vee.set(new VeeService({ store: h.store, clock: h.clock }));
    admin = await h.tokenFor('admin', 'bill-admin');
    op = await h.tokenFor('operator', 'bill-op');
    viewer = await h.tokenFor('viewer', 'bill-viewer');
    const a = await h.store.meters.create(
      meterRow(1, { tariff: 'DN', status: 'active' }) as unknown as NewMeter,
    );
    const b = await h.store.meters.create(
      meterRow(2, { tariff: 'DN', status: 'active' }) as unknown as NewMeter,
    );
    complete = a.id;
    empty = b.id;
    channel = (await h.store.channels.ensure(a.id, IMPORT_ENERGY)).id;
    await h.store.channels.ensure(b.id, IMPORT_ENERGY);
    const readings: ReadingInput[] = [];
    for (let ts = NOV + I; ts <= DEC; ts += I)
      readings.push({ channelId: channel, ts, value: 100, quality: QualityFlag.validated });
    await h.store.readings.ingest({ id: 'nov', readings });
  });
  afterAll(async () => h.close());

  it('tariffs are the admin’s: an operator is refused, an admin creates one (audited), a second create is 409', async () => {
    const denied = await h.call('POST', '/billing/tariffs', { token: op, body: TARIFF });
    expect([denied.status, denied.json.error.code]).toEqual([403, 'FORBIDDEN']);
    const res = await h.call('POST', '/billing/tariffs', { token: admin, body: TARIFF });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ id: 'DN', revision: 1, retired: false, createdBy: 'bill-admin' });
    expect((await h.store.billing.tariff('DN'))?.revision).toBe(1);
    const again = await h.call('POST', '/billing/tariffs', { token: admin, body: TARIFF });
    expect(again.status).toBe(409);
    const audit = await h.store.audit.list({ actor: 'bill-admin' });
    expect(audit.items.map((e) => [e.action, e.outcome])).toContainEqual(['tariff.create', 'succeeded']);
  });

  it('a faulty tariff is refused naming the place of the fault, nothing stored', async () => {
    const overlap = structuredClone(TARIFF);
    overlap.id = 'BAD1';
    overlap.seasons[0]!.days[0]!.ranges[1]!.start = '05:00';
    const r1 = await h.call('POST', '/billing/tariffs', { token: admin, body: overlap });
    expect(r1.status).toBe(400);
    expect(r1.json.error.detail.field).toMatch(/^seasons\[0\]\.days\[0\]/);
    expect(r1.json.error.detail.errors[0].field).toBe(r1.json.error.detail.field);
    const gap = structuredClone(TARIFF);
    gap.id = 'BAD2';
    gap.seasons[0]!.days[0]!.ranges[2]!.start = '23:00';
    const r2 = await h.call('POST', '/billing/tariffs', { token: admin, body: gap });
    expect(r2.status).toBe(400);
    expect(r2.json.error.detail.field).toMatch(/^seasons\[0\]\.days\[0\]/);
    const dayType = { ...structuredClone(TARIFF), id: 'BAD3', week: ['holiday', ...TARIFF.week.slice(1)] };
    const r3 = await h.call('POST', '/billing/tariffs', { token: admin, body: dayType });
    expect([r3.status, r3.json.error.detail.field]).toEqual([400, 'week[0]']);
    for (const id of ['BAD1', 'BAD2', 'BAD3']) expect(await h.store.billing.tariff(id)).toBeNull();
  });

  it('PUT stores a new revision; the id in the body must be the path’s; an unknown id is 404', async () => {
    const rev = await h.call('PUT', '/billing/tariffs/DN', {
      token: admin,
      body: { ...TARIFF, name: 'Day, night (2)' },
    });
    expect([rev.status, rev.json.revision, rev.json.name]).toEqual([200, 2, 'Day, night (2)']);
    const wrong = await h.call('PUT', '/billing/tariffs/DN', { token: admin, body: { ...TARIFF, id: 'XY' } });
    expect(wrong.status).toBe(400);
    const unknown = await h.call('PUT', '/billing/tariffs/NOPE', {
      token: admin,
      body: { ...TARIFF, id: 'NOPE' },
    });
    expect(unknown.status).toBe(404);
    const r1 = await h.call('GET', '/billing/tariffs/DN?revision=1', { token: viewer });
    expect([r1.status, r1.json.name]).toEqual([200, 'Day, night']);
    const list = await h.call('GET', '/billing/tariffs', { token: viewer });
    expect(list.json.items.map((t: { id: string; revision: number }) => [t.id, t.revision])).toEqual([
      ['DN', 2],
    ]);
  });

  it('a bill run: operator only, one bill per meter; a meter without data gets an estimated bill flagged no-data', async () => {
    const denied = await h.call('POST', '/billing/runs', { token: viewer, body: { cycle: '2026-11' } });
    expect(denied.status).toBe(403);
    const bad = await h.call('POST', '/billing/runs', { token: op, body: { cycle: '2026-13' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('cycle');
    const unknownGroup = await h.call('POST', '/billing/runs', {
      token: op,
      body: { cycle: '2026-11', group: 'x' },
    });
    expect(unknownGroup.status).toBe(404);
    // VEE first (bills of data VEE has not validated are flagged unvalidated); its findings
    // (a constant load is a flat line) accepted by an operator.
    h.clock.t = Date.UTC(2026, 11, 3);
    const ran = await h.call('POST', '/vee/runs', {
      token: op,
      body: { from: new Date(NOV).toISOString(), to: new Date(DEC).toISOString() },
    });
    // The meter without data: every quarter hour of November an explicit gap.
    expect(ran.json).toMatchObject({ meters: 2, gaps: 30 * 96 });
    const open = await h.call('GET', `/vee/exceptions?meterId=${complete}&status=open&limit=1000`, {
      token: viewer,
    });
    expect(open.json.items.length).toBeGreaterThan(0);
    expect(open.json.items.every((e: { rule: string }) => e.rule === 'flat-line')).toBe(true);
    for (const e of open.json.items) {
      const r = await h.call('POST', `/vee/exceptions/${e.id}/resolve`, {
        token: op,
        body: { resolution: 'accepted', note: 'constant test load' },
      });
      expect(r.status).toBe(200);
    }
    const res = await h.call('POST', '/billing/runs', {
      token: op,
      body: { cycle: '2026-11', group: 'default' },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      cycle: '2026-11',
      meters: 2,
      created: 2,
      estimated: 1,
      noData: 1,
      failed: [],
    });
    const bills = await h.call('GET', '/billing/bills?cycle=2026-11', { token: viewer });
    expect(bills.json.items).toHaveLength(2);
    const a = bills.json.items.find((b: { meterId: number }) => b.meterId === complete);
    const b = bills.json.items.find((x: { meterId: number }) => x.meterId === empty);
    expect(a).toMatchObject({
      total: NOVEMBER_TOTAL,
      estimated: false,
      flags: [],
      version: 1,
      tariffRevision: 2,
    });
    // Its gaps are open exceptions of VEE too: flagged, never silent.
    expect(b).toMatchObject({ estimated: true, flags: ['no-data', 'estimated', 'open-exceptions'] });
    const one = await h.call('GET', `/billing/bills/${a.id}`, { token: viewer });
    expect([one.status, one.json.total, one.json.from]).toEqual([
      200,
      NOVEMBER_TOTAL,
      new Date(NOV).toISOString(),
    ]);
    expect((await h.call('GET', '/billing/bills/999999', { token: viewer })).status).toBe(404);
    const audit = await h.store.audit.list({ actor: 'bill-op' });
    expect(audit.items.map((e) => [e.action, e.outcome])).toContainEqual(['billing.run', 'succeeded']);
  });

  it('exports CSV (estimated bills say so on every row) and JSON', async () => {
    const csv = await h.call('GET', '/billing/bills/export?cycle=2026-11', { token: viewer });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = csv.text.trim().split('\r\n');
    expect(rows[0]).toBe(BILL_CSV_COLUMNS.join(','));
    const totals = rows.filter((r) => r.includes(',total,total,'));
    expect(totals).toHaveLength(2);
    expect(totals.some((r) => r.includes(`,79.42,${NOVEMBER_TOTAL},EUR`))).toBe(true);
    const estimatedRows = rows.slice(1).filter((r) => r.split(',')[1] === String(empty));
    expect(estimatedRows.length).toBeGreaterThan(0);
    for (const r of estimatedRows) {
      const cells = r.split(',');
      expect(cells[8]).toBe('true');
      expect(cells[9]!.split('|')).toEqual(expect.arrayContaining(['no-data', 'estimated']));
    }
    const json = await h.call('GET', '/billing/bills/export?cycle=2026-11&format=json', { token: viewer });
    expect(json.headers.get('content-type')).toContain('application/json');
    expect(json.json.bills.map((x: { meterId: number }) => x.meterId).sort()).toEqual(
      [complete, empty].sort(),
    );
    const bad = await h.call('GET', '/billing/bills/export?format=xml', { token: viewer });
    expect(bad.status).toBe(400);
  });

  it('a rerun changes nothing; after an edit through the API a rebill is a new version showing the difference', async () => {
    const again = await h.call('POST', '/billing/runs', { token: op, body: { cycle: '2026-11' } });
    expect(again.json).toMatchObject({ created: 0, rebilled: 0, unchanged: 2 });
    const edit = await h.call('POST', `/channels/${channel}/edits`, {
      token: op,
      body: {
        ts: new Date(NOV + 12 * 3_600_000 + I).toISOString(),
        value: 1100,
        reason: 'meter read corrected',
      },
    });
    expect(edit.status).toBe(201);
    const rebill = await h.call('POST', '/billing/runs', {
      token: op,
      body: { cycle: '2026-11', reason: 'after edit' },
    });
    expect(rebill.json).toMatchObject({ rebilled: 1, unchanged: 1 });
    const versions = await h.call('GET', `/meters/${complete}/bills?cycle=2026-11`, { token: viewer });
    expect(versions.json.items.map((v: { version: number; total: number }) => [v.version, v.total])).toEqual([
      [1, NOVEMBER_TOTAL],
      [2, NOVEMBER_TOTAL + 33],
    ]);
    expect(versions.json.items[1].difference).toMatchObject({ previousVersion: 1, total: 33 });
    const latest = await h.call('GET', `/billing/bills?meterId=${complete}`, { token: viewer });
    expect(latest.json.items.map((v: { version: number }) => v.version)).toEqual([2]);
  });

  it('a final run makes the billed values final: an edit is refused (409) and the bill stays', async () => {
    const fin = await h.call('POST', '/billing/runs', { token: op, body: { cycle: '2026-11', final: true } });
    expect(fin.status).toBe(200);
    expect(fin.json).toMatchObject({ unchanged: 2, failed: [] });
    const ts = NOV + 13 * 3_600_000 + I;
    const edit = await h.call('POST', `/channels/${channel}/edits`, {
      token: op,
      body: { ts: new Date(ts).toISOString(), value: 5000, reason: 'late correction' },
    });
    expect(edit.status).toBe(409);
    expect(edit.json.error.detail.reason).toBe('VEE_FINAL_LOCKED');
    expect((await h.store.readings.history(channel, ts)).map((r) => r.value)).toEqual([100]);
    const after = await h.call('POST', '/billing/runs', { token: op, body: { cycle: '2026-11' } });
    expect(after.json).toMatchObject({ rebilled: 0, unchanged: 2 });
  });

  it('retiring a tariff is the admin’s', async () => {
    expect((await h.call('DELETE', '/billing/tariffs/DN', { token: op })).status).toBe(403);
    expect((await h.call('DELETE', '/billing/tariffs/DN', { token: admin })).status).toBe(204);
    expect((await h.call('GET', '/billing/tariffs', { token: viewer })).json.items).toEqual([]);
    const all = await h.call('GET', '/billing/tariffs?includeRetired=true', { token: viewer });
    expect(all.json.items.map((t: { retired: boolean }) => t.retired)).toEqual([true]);
    expect((await h.call('DELETE', '/billing/tariffs/NOPE', { token: admin })).status).toBe(404);
  });
});

describe('billing routes without a billing service', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  it('answer 503 BILLING_UNAVAILABLE', async () => {
    const token = await h.tokenFor('admin');
    const res = await h.call('POST', '/billing/runs', { token, body: { cycle: '2026-11' } });
    expect([res.status, res.json.error.code]).toEqual([503, 'BILLING_UNAVAILABLE']);
  });
});
