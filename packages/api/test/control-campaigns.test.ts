import type { Actor, CampaignRequest, NewMeter } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeControl } from './control-fake.ts';
import { type Harness, meterRow, startApi } from './helpers.ts';

interface Injected {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
  json: any;
}

describe('meter-control routes: campaigns', () => {
  let h: Harness;
  const control = new FakeControl();
  let operator: string;
  let approver: string;
  let viewer: string;
  const e100: number[] = [];
  const e300: number[] = [];
  const call = async (
    method: string,
    url: string,
    token: string | null,
    body?: unknown,
  ): Promise<Injected> => {
    const res = await h.app.inject({
      method: method as 'GET',
      url,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: res.statusCode, json: res.body === '' ? null : res.json() };
  };

  beforeAll(async () => {
    h = await startApi({ control });
    control.store = h.store;
    operator = await h.tokenFor('operator', 'olga');
    approver = await h.tokenFor('operator', 'ann');
    viewer = await h.tokenFor('viewer', 'vic');
    const ann = await h.store.users.getByName('ann');
    await h.store.users.setApprover(ann!.id, true);
    for (let i = 1; i <= 7; i++) {
      const model = i <= 5 ? 'E100' : 'E300';
      const m = await h.store.meters.create(meterRow(i, { model }) as unknown as NewMeter);
      (model === 'E100' ? e100 : e300).push(m.id);
    }
  });
  afterAll(async () => h.close());

  it('POST /campaigns/preview: count and ids of the target, for a viewer too; an empty target is refused', async () => {
    const res = await call('POST', '/campaigns/preview', viewer, { target: { models: ['E100'] } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ count: 5, meterIds: e100 });
    expect(control.callsOf('previewTarget').at(-1)).toEqual([{ models: ['E100'] }]);
    const empty = await call('POST', '/campaigns/preview', viewer, { target: {} });
    expect([empty.status, empty.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(empty.json.error.message).toContain('target');
    const unknown = await call('POST', '/campaigns/preview', viewer, { target: { colour: ['red'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toContain('colour');
  });

  it('POST /campaigns: 202 running with its commands; the request as the service gets it', async () => {
    const res = await call('POST', '/campaigns', operator, {
      name: 'night sync',
      kind: 'time-sync',
      target: { models: ['E100'] },
      parameters: { maxShiftSeconds: 30 },
      reason: 'maintenance',
      throttle: { maxInFlight: 2, perSegment: 1 },
      deadline: '2030-01-01T00:00:00Z',
      dryRun: true,
    });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      name: 'night sync',
      kind: 'time-sync',
      state: 'running',
      dryRun: true,
      meterCount: 5,
      requestedBy: 'olga',
      requestedFrom: '127.0.0.1',
      throttle: { maxInFlight: 2, perSegment: 1 },
    });
    const [request, actor] = control.callsOf('requestCampaign').at(-1) as [CampaignRequest, Actor];
    expect(request).toEqual({
      name: 'night sync',
      kind: 'time-sync',
      target: { models: ['E100'] },
      parameters: { maxShiftSeconds: 30 },
      reason: 'maintenance',
      throttle: { maxInFlight: 2, perSegment: 1 },
      deadline: Date.parse('2030-01-01T00:00:00Z'),
      dryRun: true,
    });
    expect(actor).toEqual({ name: 'olga', address: '127.0.0.1', approver: false });
    const audit = await h.store.audit.list({ actor: 'olga', target: `campaign:${res.json.id}` });
    expect(audit.items.map((a) => [a.action, a.outcome, a.detail?.state, a.detail?.meterCount])).toEqual([
      ['campaign.request', 'succeeded', 'running', 5],
    ]);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no name', { kind: 'connect', target: { meterIds: [1] }, reason: 'test' }, 'name'],
    ['an unknown kind', { name: 'x', kind: 'explode', target: { meterIds: [1] }, reason: 'test' }, 'kind'],
    ['an empty target', { name: 'x', kind: 'connect', target: {}, reason: 'test' }, 'target'],
    [
      'a throttle of zero in flight',
      { name: 'x', kind: 'connect', target: { meterIds: [1] }, reason: 'test', throttle: { maxInFlight: 0 } },
      'maxInFlight',
    ],
    [
      'parameters of another kind',
      { name: 'x', kind: 'time-sync', target: { meterIds: [1] }, reason: 'test', parameters: { imageId: 1 } },
      'imageId',
    ],
  ];
  for (const [name, body, field] of bad) {
    it(`POST /campaigns refuses ${name}: 400 naming ${field}`, async () => {
      const before = control.calls.length;
      const res = await call('POST', '/campaigns', operator, body);
      expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.json.error.message).toContain(field);
      expect(control.calls.length).toBe(before);
    });
  }

  it('POST /campaigns: a viewer is refused; the service refusing a target is 400 with its field', async () => {
    const body = { name: 'x', kind: 'connect', target: { models: ['E999'] }, reason: 'test' };
    expect((await call('POST', '/campaigns', viewer, body)).status).toBe(403);
    const res = await call('POST', '/campaigns', operator, body);
    expect([res.status, res.json.error.detail]).toEqual([
      400,
      { field: 'target', reason: 'CONTROL_INVALID' },
    ]);
  });

  it('GET /campaigns/{id}: progress by state from the store; 404 unknown', async () => {
    const list = await call('GET', '/campaigns?kind=time-sync', viewer);
    const id = list.json.items[0].id;
    const one = (await h.store.commands.list({ campaignId: id, limit: 1 })).items[0]!;
    await h.store.commands.transition(one.id, 'queued', 'sending', 'runner');
    await h.store.commands.transition(one.id, 'sending', 'confirmed', 'runner', {
      attempts: 1,
      result: { driftMs: 1200, corrected: 'shift' },
    });
    const res = await call('GET', `/campaigns/${id}`, viewer);
    expect(res.status).toBe(200);
    expect(res.json.progress).toMatchObject({ queued: 4, confirmed: 1, failed: 0, sending: 0 });
    expect(Object.keys(res.json.progress).length).toBe(9);
    expect((await call('GET', '/campaigns/999999', viewer)).status).toBe(404);
  });

  it('GET /campaigns/{id}/commands: per-meter results (meter serial, state, attempts, result), state filter, paging', async () => {
    const id = (await call('GET', '/campaigns?kind=time-sync', viewer)).json.items[0].id;
    const all = await call('GET', `/campaigns/${id}/commands`, viewer);
    expect(all.status).toBe(200);
    expect(all.json.items.map((r: { meter: { id: number } }) => r.meter.id)).toEqual(e100);
    const confirmed = await call('GET', `/campaigns/${id}/commands?state=confirmed`, viewer);
    expect(confirmed.json.items).toEqual([
      expect.objectContaining({
        meter: { id: e100[0], serial: 'SN000001' },
        state: 'confirmed',
        attempts: 1,
        result: { driftMs: 1200, corrected: 'shift' },
        error: null,
      }),
    ]);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await call('GET', `/campaigns/${id}/commands?limit=2&order=desc${q}`, viewer);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.items.map((r: { meter: { id: number } }) => r.meter.id));
      cursor = page.json.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...e100].reverse());
    expect((await call('GET', `/campaigns/${id}/commands?limit=1001`, viewer)).status).toBe(400);
    expect((await call('GET', `/campaigns/${id}/commands?state=done`, viewer)).status).toBe(400);
    expect((await call('GET', '/campaigns/999999/commands', viewer)).status).toBe(404);
  });

  it('pause, resume, cancel move the campaign (cancel takes its unsent commands along); wrong moves are 409', async () => {
    const c = await call('POST', '/campaigns', operator, {
      name: 'cut',
      kind: 'disconnect',
      target: { models: ['E300'] },
      reason: 'non-payment',
    });
    const id = c.json.id;
    expect((await call('POST', `/campaigns/${id}/pause`, viewer)).status).toBe(403);
    const paused = await call('POST', `/campaigns/${id}/pause`, operator);
    expect([paused.status, paused.json.state]).toEqual([200, 'paused']);
    expect((await h.store.campaigns.get(id))?.state).toBe('paused');
    const twice = await call('POST', `/campaigns/${id}/pause`, operator);
    expect([twice.status, twice.json.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await call('POST', `/campaigns/${id}/resume`, operator)).json.state).toBe('running');
    const cancelled = await call('POST', `/campaigns/${id}/cancel`, operator);
    expect(cancelled.json.state).toBe('cancelled');
    const progress = await h.store.commands.progress(id);
    expect([progress.cancelled, progress.queued]).toEqual([2, 0]);
    expect((await call('POST', '/campaigns/999999/resume', operator)).status).toBe(404);
  });

  it('a key campaign waits for approval: requester and non-approver refused 403, a second approver starts it; reject takes a note', async () => {
    const c = await call('POST', '/campaigns', operator, {
      name: 'rotate',
      kind: 'key-rotation',
      target: { meterIds: [e100[0], e300[0]] },
      reason: 'maintenance',
    });
    expect([c.status, c.json.state]).toEqual([202, 'awaiting-approval']);
    const id = c.json.id;
    const own = await call('POST', `/campaigns/${id}/approve`, operator);
    expect([own.status, own.json.error.code]).toEqual([403, 'CONTROL_APPROVAL_REFUSED']);
    const vic = await call('POST', `/campaigns/${id}/approve`, viewer);
    expect([vic.status, vic.json.error.code]).toEqual([403, 'FORBIDDEN']);
    const ok = await call('POST', `/campaigns/${id}/approve`, approver);
    expect([ok.status, ok.json.state, ok.json.approvedBy]).toEqual([200, 'running', 'ann']);
    const approveActor = control.callsOf('approveCampaign').at(-1)?.[1] as Actor;
    expect(approveActor).toEqual({ name: 'ann', address: '127.0.0.1', approver: true });

    const d = await call('POST', '/campaigns', operator, {
      name: 'rotate 2',
      kind: 'key-rotation',
      target: { meterIds: [e100[1]] },
      reason: 'maintenance',
    });
    const rejected = await call('POST', `/campaigns/${d.json.id}/reject`, approver, { note: 'wrong group' });
    expect([rejected.status, rejected.json.state]).toEqual([200, 'rejected']);
    expect(control.callsOf('rejectCampaign').at(-1)?.[2]).toBe('wrong group');
    const audit = await h.store.audit.list({ target: `campaign:${id}` });
    expect(
      audit.items.filter((a) => a.action === 'campaign.approve').map((a) => [a.actor, a.outcome]),
    ).toEqual([
      ['olga', 'denied'],
      ['ann', 'succeeded'],
    ]);
  });

  it('GET /campaigns: filters (state list, kind, dryRun, requestedBy) and paging', async () => {
    const states = await call('GET', '/campaigns?state=running,rejected', viewer);
    expect(states.json.items.map((c: { name: string }) => c.name)).toEqual([
      'night sync',
      'rotate',
      'rotate 2',
    ]);
    const dry = await call('GET', '/campaigns?dryRun=true', viewer);
    expect(dry.json.items.map((c: { name: string }) => c.name)).toEqual(['night sync']);
    const kind = await call('GET', '/campaigns?kind=disconnect&requestedBy=olga', viewer);
    expect(kind.json.items.map((c: { state: string }) => c.state)).toEqual(['cancelled']);
    const first = await call('GET', '/campaigns?limit=2&order=desc', viewer);
    expect(first.json.items.map((c: { name: string }) => c.name)).toEqual(['rotate 2', 'rotate']);
    const next = await call(
      'GET',
      `/campaigns?limit=2&order=desc&cursor=${encodeURIComponent(first.json.nextCursor)}`,
      viewer,
    );
    expect(next.json.items.map((c: { name: string }) => c.name)).toEqual(['cut', 'night sync']);
    expect(next.json.nextCursor).toBeNull();
    const bad = await call('GET', '/campaigns?state=sleeping', viewer);
    expect([bad.status, bad.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(bad.json.error.message).toContain('state');
    expect((await call('GET', '/campaigns', null)).status).toBe(401);
  });
});
