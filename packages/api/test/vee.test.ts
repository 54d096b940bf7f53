import type { NewMeter, VeePort } from '@openhes/core';
import { VeeService } from '@openhes/meter-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, meterRow, startApi } from './helpers.ts';
import { DAY, dayReadings, I, IMPORT_ENERGY, latePort, load } from './meter-data-fixture.ts';

// 22 days, Sunday 2024-12-22 to Sunday 2025-01-12: three like days (Sundays) before the last.
const D0 = Date.UTC(2024, 11, 22);
const DAYS = 22;

describe('VEE through the API (issue 14)', () => {
  let h: Harness;
  let op: string;
  let viewer: string;
  let channelId: number;
  let meterId: number;
  const late = latePort<VeePort>();

  beforeAll(async () => {
    h = await startApi({ vee: late.port });
    late.set(new VeeService({ store: h.store, clock: h.clock }));
    op = await h.tokenFor('operator', 'vee-op');
    viewer = await h.tokenFor('viewer', 'vee-viewer');
    const meter = await h.store.meters.create(meterRow(1) as unknown as NewMeter);
    meterId = meter.id;
    channelId = (await h.store.channels.ensure(meter.id, IMPORT_ENERGY)).id;
    // On the last day a 30-minute gap (intervals 40, 41) and a 2-hour one (60–67).
    for (let d = 0; d < DAYS; d++) {
      const skip = d === DAYS - 1 ? (i: number) => i === 40 || i === 41 || (i >= 60 && i < 68) : () => false;
      await h.store.readings.ingest({
        id: `read:${d}`,
        readings: dayReadings(channelId, D0 + d * DAY, skip),
      });
    }
  });
  afterAll(async () => h.close());

  const last = D0 + (DAYS - 1) * DAY;
  // Interval ends of the last day: points[k] is interval k (ends at last + (k + 1) · 15 min).
  const range = `from=${new Date(last + I).toISOString()}&to=${new Date(last + DAY + I).toISOString()}`;

  it('shows the gaps explicitly before VEE ran: value null, known-missing code', async () => {
    const res = await h.call('GET', `/channels/${channelId}/series?${range}&view=validated`, {
      token: viewer,
    });
    expect(res.status).toBe(200);
    expect(res.json.points).toHaveLength(96);
    expect(res.json.gaps).toBe(10);
    const gap = res.json.points[40];
    expect(gap).toMatchObject({ value: null, gap: true, estimated: false, codes: ['3.5.259'] });
  });

  it('a viewer may not run VEE; an operator runs it on demand and every gap is estimated (audited)', async () => {
    const body = { from: new Date(last).toISOString(), to: new Date(last + DAY).toISOString() };
    const denied = await h.call('POST', '/vee/runs', { token: viewer, body });
    expect([denied.status, denied.json.error.code]).toEqual([403, 'FORBIDDEN']);
    const res = await h.call('POST', '/vee/runs', { token: op, body: { ...body, meterIds: [meterId] } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ meters: 1, channels: 1, gaps: 10, estimated: 10 });
    const audit = await h.store.audit.list({ actor: 'vee-op' });
    expect(audit.items.map((a) => [a.action, a.outcome])).toContainEqual(['vee.run', 'succeeded']);
  });

  it('validated view: each estimate marked with its method and code; raw view: the same gaps, raw values untouched', async () => {
    const v = await h.call('GET', `/channels/${channelId}/series?${range}`, { token: viewer });
    expect(v.json.view).toBe('validated');
    expect(v.json.gaps).toBe(0);
    expect(v.json.estimated).toBe(10);
    const short = v.json.points[40];
    expect(short).toMatchObject({ gap: false, estimated: true, codes: ['3.8.0'] });
    expect(['linear', 'cubic']).toContain(short.method);
    // Smooth load: the short gap is within 1 % of the truth.
    const truth = load(last + 41 * I);
    expect(Math.abs(short.value - truth) / truth).toBeLessThan(0.01);
    const realPoint = v.json.points[10];
    expect(realPoint).toMatchObject({ estimated: false, edited: false, codes: ['3.0.1'] });
    expect(realPoint.value).toBe(load(last + 11 * I));

    const raw = await h.call('GET', `/channels/${channelId}/series?${range}&view=raw`, { token: viewer });
    expect(raw.json.gaps).toBe(10);
    expect(raw.json.estimated).toBe(0);
    expect(raw.json.points[40]).toMatchObject({ value: null, gap: true });
    expect(raw.json.points[10].value).toBe(load(last + 11 * I));
    const stored = await h.store.readings.history(channelId, last + 11 * I);
    expect(stored.map((r) => [r.version, r.quality])).toEqual([[1, 0]]);
  });

  it('lists exceptions with paging and resolves one once (a second time is 409)', async () => {
    const all = await h.call('GET', `/vee/exceptions?meterId=${meterId}&rule=missing`, { token: viewer });
    expect(all.status).toBe(200);
    expect(all.json.items).toHaveLength(2);
    expect(all.json.items.every((e: { qualityCode: string }) => e.qualityCode === '3.5.259')).toBe(true);
    const p1 = await h.call('GET', `/vee/exceptions?meterId=${meterId}&rule=missing&limit=1`, {
      token: viewer,
    });
    expect(p1.json.items).toHaveLength(1);
    expect(p1.json.nextCursor).not.toBeNull();
    const p2 = await h.call(
      'GET',
      `/vee/exceptions?meterId=${meterId}&rule=missing&limit=1&cursor=${encodeURIComponent(p1.json.nextCursor)}`,
      { token: viewer },
    );
    expect(p2.json.items[0].id).not.toBe(p1.json.items[0].id);

    const id = p1.json.items[0].id;
    const bad = await h.call('POST', `/vee/exceptions/${id}/resolve`, {
      token: op,
      body: { resolution: 'ignored' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('accepted, estimated, edited, dismissed');
    const ok = await h.call('POST', `/vee/exceptions/${id}/resolve`, {
      token: op,
      body: { resolution: 'estimated', note: 'gap filled by VEE' },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: 'resolved', resolution: 'estimated', resolvedBy: 'vee-op' });
    const again = await h.call('POST', `/vee/exceptions/${id}/resolve`, {
      token: op,
      body: { resolution: 'accepted' },
    });
    expect(again.status).toBe(409);
    expect((await h.store.vee.exception(id))?.resolution).toBe('estimated');
    const one = await h.call('GET', `/vee/exceptions/${id}`, { token: viewer });
    expect(one.json.status).toBe('resolved');
    expect((await h.call('GET', '/vee/exceptions/999999', { token: viewer })).status).toBe(404);
  });

  it('edits need a reason; an edit is a new version marked edited, audited', async () => {
    const ts = new Date(last + 10 * I).toISOString();
    const none = await h.call('POST', `/channels/${channelId}/edits`, { token: op, body: { ts, value: 5 } });
    expect(none.status).toBe(400);
    expect(none.json.error.message).toContain('reason');
    const blank = await h.call('POST', `/channels/${channelId}/edits`, {
      token: op,
      body: { ts, value: 5, reason: '   ' },
    });
    expect([blank.status, blank.json.error.detail.field]).toEqual([400, 'reason']);
    const viewerEdit = await h.call('POST', `/channels/${channelId}/edits`, {
      token: viewer,
      body: { ts, value: 5, reason: 'meter exchange' },
    });
    expect(viewerEdit.status).toBe(403);
    const ok = await h.call('POST', `/channels/${channelId}/edits`, {
      token: op,
      body: { ts, value: 321, reason: 'meter exchange' },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.edit).toMatchObject({ newValue: 321, oldValue: load(last + 10 * I), actor: 'vee-op' });
    const history = await h.store.readings.history(channelId, last + 10 * I);
    expect(history.map((r) => r.value).sort((a, b) => a - b)).toEqual(
      [321, load(last + 10 * I)].sort((a, b) => a - b),
    );
    const series = await h.call('GET', `/channels/${channelId}/series?${range}`, { token: viewer });
    expect(series.json.points[9]).toMatchObject({ value: 321, edited: true, codes: ['3.7.0'] });
    const audit = await h.store.audit.list({ actor: 'vee-op' });
    expect(
      audit.items.filter((a) => a.action === 'vee.edit' && a.outcome === 'succeeded').length,
    ).toBeGreaterThan(0);
  });

  it('summary per meter and day, timeliness per group and fleet, timeliness as metrics', async () => {
    const day = new Date(last).toISOString().slice(0, 10);
    const next = new Date(last + DAY).toISOString().slice(0, 10);
    const s = await h.call('GET', `/vee/summary?meterId=${meterId}&fromDay=${day}&toDay=${next}`, {
      token: viewer,
    });
    expect(s.status).toBe(200);
    expect(s.json.items).toHaveLength(1);
    expect(s.json.items[0]).toMatchObject({ day, expected: 96, estimated: 10, missing: 0 });
    const back = await h.call('GET', `/vee/summary?fromDay=${next}&toDay=${day}`, { token: viewer });
    expect(back.status).toBe(400);
    const bad = await h.call('GET', '/vee/summary?fromDay=2025-13-01&toDay=2025-01-02', { token: viewer });
    expect(bad.status).toBe(400);
    const t = await h.call('GET', `/vee/timeliness?fromDay=${day}&toDay=${next}`, { token: viewer });
    expect(t.status).toBe(200);
    const fleet = t.json.items.find((r: { groupId: string | null }) => r.groupId === null);
    // The store's clock is today's: this day of 2025 was validated long after its deadlines.
    expect(fleet).toMatchObject({ expected: 96, validatedByFinal: 0, shareByDay1: 0, shareByFinal: 0 });
    const metrics = await h.call('GET', '/metrics', { token: viewer });
    expect(metrics.text).toContain('hes_vee_timeliness_ratio{group="fleet",deadline="final"} 0');
    expect(metrics.text).toContain('hes_vee_expected_intervals{group="fleet"} 96');
  });

  it('refuses bad series queries naming the field', async () => {
    const res = await h.call('GET', `/channels/${channelId}/series?${range}&view=cooked`, { token: viewer });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toContain('raw, validated');
    expect((await h.call('GET', `/channels/999999/series?${range}`, { token: viewer })).status).toBe(404);
  });
});

describe('VEE routes without a VEE service', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  it('answer 503 VEE_UNAVAILABLE', async () => {
    const token = await h.tokenFor('operator');
    const res = await h.call('GET', '/vee/timeliness?fromDay=2025-01-01&toDay=2025-01-02', { token });
    expect([res.status, res.json.error.code]).toEqual([503, 'VEE_UNAVAILABLE']);
  });
});
