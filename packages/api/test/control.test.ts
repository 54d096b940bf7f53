import { type Actor, CodedError, type CommandRequest, type NewMeter } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeControl } from './control-fake.ts';
import { type Harness, meterRow, startApi } from './helpers.ts';

interface Injected {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: responses are inspected field by field
  json: any;
}

async function inject(
  h: Harness,
  method: string,
  url: string,
  token: string | null,
  body?: unknown,
): Promise<Injected> {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
  return { status: res.statusCode, json: res.body === '' ? null : res.json() };
}

const FUTURE = '2030-01-01T00:00:00.000Z';

describe('meter-control routes: commands and per-meter shortcuts', () => {
  let h: Harness;
  const control = new FakeControl();
  let operator: string;
  let approver: string;
  let approverOperator: string;
  let viewer: string;
  let admin: string;
  const meters: number[] = [];
  const call = (method: string, url: string, token: string | null, body?: unknown) =>
    inject(h, method, url, token, body);

  beforeAll(async () => {
    h = await startApi({ control });
    control.store = h.store;
    operator = await h.tokenFor('operator', 'olga');
    approverOperator = await h.tokenFor('operator', 'otto');
    approver = await h.tokenFor('operator', 'ann');
    viewer = await h.tokenFor('viewer', 'vic');
    admin = await h.tokenFor('admin', 'ada');
    for (const name of ['ann', 'olga']) {
      const u = await h.store.users.getByName(name);
      await h.store.users.setApprover(u!.id, true);
    }
    for (let i = 1; i <= 3; i++)
      meters.push((await h.store.meters.create(meterRow(i) as unknown as NewMeter)).id);
  });
  afterAll(async () => h.close());

  it('POST /commands: 401 without a token, 403 for a viewer, nothing asked of the service', async () => {
    const body = { kind: 'disconnect', meterId: meters[0], reason: 'non-payment' };
    expect((await call('POST', '/commands', null, body)).status).toBe(401);
    const v = await call('POST', '/commands', viewer, body);
    expect([v.status, v.json.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(control.callsOf('requestCommand')).toHaveLength(0);
  });

  it('POST /commands: 202 with the stored command; the actor is the user, their address and right', async () => {
    const res = await call('POST', '/commands', operator, {
      kind: 'load-limit',
      meterId: meters[0],
      parameters: { thresholdNormal: 5000, minOverThresholdSeconds: 60 },
      reason: 'emergency',
      priority: 'urgent',
      deadline: FUTURE,
    });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      kind: 'load-limit',
      meterId: meters[0],
      state: 'queued',
      priority: 'urgent',
      requestedBy: 'olga',
      requestedFrom: '127.0.0.1',
      deadline: FUTURE,
    });
    const [request, actor] = control.callsOf('requestCommand').at(-1) as [CommandRequest, Actor];
    expect(request).toEqual({
      kind: 'load-limit',
      meterId: meters[0],
      parameters: { thresholdNormal: 5000, minOverThresholdSeconds: 60 },
      reason: 'emergency',
      priority: 'urgent',
      deadline: Date.parse(FUTURE),
    });
    expect(actor).toEqual({ name: 'olga', address: '127.0.0.1', approver: true });
    const stored = await h.store.commands.get(res.json.id);
    expect(stored?.state).toBe('queued');
    // The audit says the request was accepted and the state it left the command in.
    const audit = await h.store.audit.list({ actor: 'olga' });
    const entry = audit.items.find((a) => a.action === 'command.request');
    expect(entry).toMatchObject({ outcome: 'succeeded', target: `command:${res.json.id}` });
    expect(entry?.detail).toMatchObject({ kind: 'load-limit', state: 'queued', status: 202 });
  });

  it('POST /commands: a deadline in epoch ms or null passes as it is; the actor without the right says so', async () => {
    await call('POST', '/commands', approverOperator, {
      kind: 'time-sync',
      meterId: meters[1],
      reason: 'maintenance',
      deadline: Date.parse(FUTURE),
    });
    let [request, actor] = control.callsOf('requestCommand').at(-1) as [CommandRequest, Actor];
    expect(request.deadline).toBe(Date.parse(FUTURE));
    expect(actor.approver).toBe(false);
    await call('POST', '/commands', operator, {
      kind: 'time-sync',
      meterId: meters[1],
      reason: 'test',
      deadline: null,
    });
    [request, actor] = control.callsOf('requestCommand').at(-1) as [CommandRequest, Actor];
    expect(request.deadline).toBeNull();
    expect('priority' in request).toBe(false);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['unknown kind', { kind: 'explode', meterId: 1, reason: 'test' }, 'kind'],
    ['unknown reason', { kind: 'connect', meterId: 1, reason: 'boredom' }, 'reason'],
    ['missing reason', { kind: 'connect', meterId: 1 }, 'reason'],
    ['meter id zero', { kind: 'connect', meterId: 0, reason: 'test' }, 'meterId'],
    [
      'a deadline that is no date',
      { kind: 'connect', meterId: 1, reason: 'test', deadline: 'soon' },
      'deadline',
    ],
    ['unknown priority', { kind: 'connect', meterId: 1, reason: 'test', priority: 'asap' }, 'priority'],
    [
      'a negative threshold',
      { kind: 'load-limit', meterId: 1, reason: 'test', parameters: { thresholdNormal: -1 } },
      'parameters.thresholdNormal',
    ],
    [
      'a parameter the kind does not take',
      { kind: 'disconnect', meterId: 1, reason: 'test', parameters: { force: true } },
      'force',
    ],
    [
      'a calendar day not starting HH:MM',
      {
        kind: 'set-calendar',
        meterId: 1,
        reason: 'test',
        parameters: {
          calendar: {
            name: 'c',
            seasons: [{ name: 's', start: '01-01', week: 'w' }],
            weeks: [{ name: 'w', days: [1, 1, 1, 1, 1, 1, 1] }],
            days: [{ id: 1, schedule: [{ start: 'midnight', tariff: 1 }] }],
          },
        },
      },
      'parameters.calendar.days.0.schedule.0.start',
    ],
    [
      'a firmware update without an image',
      { kind: 'firmware-update', meterId: 1, reason: 'test', parameters: {} },
      'imageId',
    ],
  ];
  for (const [name, body, field] of bad) {
    it(`POST /commands refuses ${name}: 400 naming ${field}, the service not called`, async () => {
      const before = control.calls.length;
      const res = await call('POST', '/commands', operator, body);
      expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.json.error.message).toContain(field);
      expect(control.calls.length).toBe(before);
    });
  }

  it('passes the service’s coded errors on by kind with its code and field', async () => {
    control.failNext = new CodedError(
      'invalid',
      'CONTROL_UNSUPPORTED',
      'meter 1 has no disconnect_control object',
      {
        detail: { field: 'meterId', capability: 'disconnect-control' },
      },
    );
    let res = await call('POST', '/commands', operator, {
      kind: 'disconnect',
      meterId: meters[0],
      reason: 'test',
    });
    expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.json.error.detail).toMatchObject({ reason: 'CONTROL_UNSUPPORTED', field: 'meterId' });
    control.failNext = new CodedError('not-found', 'CONTROL_NOT_FOUND', 'meter 999 does not exist');
    res = await call('POST', '/commands', operator, { kind: 'disconnect', meterId: 999, reason: 'test' });
    expect([res.status, res.json.error.code, res.json.error.detail.reason]).toEqual([
      404,
      'NOT_FOUND',
      'CONTROL_NOT_FOUND',
    ]);
    const audit = await h.store.audit.list({ actor: 'olga', target: 'meter:999' });
    expect(audit.items.map((a) => [a.action, a.outcome])).toEqual([['command.request', 'failed']]);
  });

  it('the per-meter shortcuts ask for their kind on that meter, 202', async () => {
    const cases: [string, string, Record<string, unknown> | undefined][] = [
      ['disconnect', 'disconnect', { finalRead: false }],
      ['connect', 'connect', undefined],
      ['load-limit', 'load-limit', { thresholdNormal: 1000 }],
      ['time-sync', 'time-sync', { maxShiftSeconds: 60 }],
      [
        'calendar',
        'set-calendar',
        {
          calendar: {
            name: 'tou',
            seasons: [{ name: 'all', start: '01-01', week: 'wk' }],
            weeks: [{ name: 'wk', days: [1, 1, 1, 1, 1, 2, 2] }],
            days: [
              {
                id: 1,
                schedule: [
                  { start: '00:00', tariff: 1 },
                  { start: '07:00', tariff: 2 },
                ],
              },
              { id: 2, schedule: [{ start: '00:00', tariff: 1 }] },
            ],
          },
          activateAt: FUTURE,
        },
      ],
      ['special-days', 'set-special-days', { days: [{ date: '12-25', dayId: 2 }] }],
      ['keys/rotate', 'key-rotation', { keys: ['encryption'] }],
      ['push-setup', 'push-setup', { destination: 'hes.example:4059', randomisationSeconds: 30 }],
    ];
    for (const [path, kind, parameters] of cases) {
      const res = await call('POST', `/meters/${meters[2]}/${path}`, operator, {
        reason: 'test',
        ...(parameters === undefined ? {} : { parameters }),
      });
      expect([path, res.status, res.json.kind, res.json.meterId]).toEqual([path, 202, kind, meters[2]]);
      const [request] = control.callsOf('requestCommand').at(-1) as [CommandRequest];
      expect(request.kind).toBe(kind);
      if (kind === 'set-calendar') expect(request.parameters?.activateAt).toBe(Date.parse(FUTURE));
      else expect(request.parameters).toEqual(parameters ?? {});
    }
    // key rotation always waits for a second person
    const keys = await h.store.commands.list({ meterId: meters[2], kind: 'key-rotation' });
    expect(keys.items.map((c) => c.state)).toEqual(['awaiting-approval']);
  });

  it('the shortcuts check their kind’s parameters by schema, field named', async () => {
    const res = await call('POST', `/meters/${meters[0]}/load-limit`, operator, {
      reason: 'test',
      parameters: { thresholdNormal: 'lots' },
    });
    expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.json.error.message).toContain('thresholdNormal');
    const noReason = await call('POST', `/meters/${meters[0]}/connect`, operator, {});
    expect(noReason.status).toBe(400);
    expect(noReason.json.error.message).toContain('reason');
    expect((await call('POST', `/meters/${meters[0]}/disconnect`, viewer, { reason: 'test' })).status).toBe(
      403,
    );
  });

  it('GET /commands filters by meter, state list, kind; pages in both orders without loss', async () => {
    const all = await call('GET', `/commands?meterId=${meters[2]}&limit=10000`, viewer);
    expect(all.status).toBe(200);
    const ids = all.json.items.map((c: { id: number }) => c.id);
    expect(ids.length).toBe(8);
    expect(ids).toEqual([...ids].sort((a: number, b: number) => a - b));
    for (const order of ['asc', 'desc']) {
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const page: Injected = await call(
          'GET',
          `/commands?meterId=${meters[2]}&limit=3&order=${order}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          viewer,
        );
        expect(page.status).toBe(200);
        seen.push(...page.json.items.map((c: { id: number }) => c.id));
        cursor = page.json.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(order === 'asc' ? ids : [...ids].reverse());
    }
    const states = await call(
      'GET',
      `/commands?meterId=${meters[2]}&state=awaiting-approval,cancelled`,
      viewer,
    );
    expect(states.json.items.map((c: { kind: string }) => c.kind)).toEqual(['key-rotation']);
    const kinds = await call('GET', '/commands?kind=time-sync', viewer);
    expect(kinds.json.items.map((c: { meterId: number }) => c.meterId)).toEqual([
      meters[1],
      meters[1],
      meters[2],
    ]);
    const badState = await call('GET', '/commands?state=queued,lost', viewer);
    expect([badState.status, badState.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(badState.json.error.message).toContain('state');
    const badKind = await call('GET', '/commands?kind=explode', viewer);
    expect(badKind.json.error.message).toContain('kind');
    expect((await call('GET', '/commands?colour=red', viewer)).status).toBe(400);
  });

  it('GET /commands/{id}: the command with ISO instants and its history; 404 unknown', async () => {
    const list = await call('GET', `/commands?meterId=${meters[0]}&kind=load-limit`, viewer);
    const id = list.json.items[0].id;
    const res = await call('GET', `/commands/${id}`, viewer);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id, kind: 'load-limit', attempts: 0, result: null, error: null });
    expect(res.json.history[0]).toMatchObject({ state: 'queued', by: 'olga' });
    expect(res.json.createdAt).toMatch(/Z$/);
    const missing = await call('GET', '/commands/999999', viewer);
    expect([missing.status, missing.json.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('approve: the requester and a user without the right are refused (403, audited denied); a second approver queues it', async () => {
    const asked = await call('POST', `/meters/${meters[1]}/keys/rotate`, operator, { reason: 'maintenance' });
    expect(asked.json.state).toBe('awaiting-approval');
    const id = asked.json.id;
    const own = await call('POST', `/commands/${id}/approve`, operator);
    expect([own.status, own.json.error.code, own.json.error.detail.rule]).toEqual([
      403,
      'CONTROL_APPROVAL_REFUSED',
      'requester',
    ]);
    const noRight = await call('POST', `/commands/${id}/approve`, approverOperator);
    expect([noRight.status, noRight.json.error.code, noRight.json.error.detail.rule]).toEqual([
      403,
      'CONTROL_APPROVAL_REFUSED',
      'approver-right',
    ]);
    expect((await call('POST', `/commands/${id}/approve`, viewer)).status).toBe(403);
    expect((await h.store.commands.get(id))?.state).toBe('awaiting-approval');
    const ok = await call('POST', `/commands/${id}/approve`, approver);
    expect([ok.status, ok.json.state, ok.json.approvedBy]).toEqual([200, 'queued', 'ann']);
    expect((await h.store.commands.get(id))?.approvedBy).toBe('ann');
    const again = await call('POST', `/commands/${id}/approve`, approver);
    expect([again.status, again.json.error.code, again.json.error.detail.reason]).toEqual([
      409,
      'INVALID_TRANSITION',
      'CONTROL_WRONG_STATE',
    ]);
    const audit = await h.store.audit.list({ target: `command:${id}` });
    expect(
      audit.items.filter((a) => a.action === 'command.approve').map((a) => [a.actor, a.outcome]),
    ).toEqual([
      ['olga', 'denied'],
      ['otto', 'denied'],
      ['ann', 'succeeded'],
      ['ann', 'failed'],
    ]);
    // A role refusal happens before the route runs: audited under the route's pattern.
    const vic = await h.store.audit.list({ actor: 'vic', target: '/commands/:id/approve' });
    expect(vic.items.map((a) => [a.action, a.outcome])).toEqual([['command.approve', 'denied']]);
  });

  it('reject with a note or without a body; cancel; both on unknown ids 404', async () => {
    const a = await call('POST', `/meters/${meters[0]}/keys/rotate`, operator, { reason: 'test' });
    const rejected = await call('POST', `/commands/${a.json.id}/reject`, approver, { note: 'not today' });
    expect([rejected.status, rejected.json.state]).toEqual([200, 'rejected']);
    expect(control.callsOf('rejectCommand').at(-1)?.[2]).toBe('not today');
    const b = await call('POST', `/meters/${meters[0]}/keys/rotate`, operator, { reason: 'test' });
    const bare = await call('POST', `/commands/${b.json.id}/reject`, approver);
    expect([bare.status, bare.json.state]).toEqual([200, 'rejected']);
    expect(control.callsOf('rejectCommand').at(-1)?.[2]).toBeUndefined();
    const long = await call('POST', `/commands/${b.json.id}/reject`, approver, { note: 'x'.repeat(2000) });
    expect(long.json.error.message).toContain('note');
    const c = await call('POST', `/meters/${meters[0]}/connect`, operator, { reason: 'reinstatement' });
    const cancelled = await call('POST', `/commands/${c.json.id}/cancel`, approverOperator);
    expect([cancelled.status, cancelled.json.state]).toEqual([200, 'cancelled']);
    expect((await h.store.commands.get(c.json.id))?.state).toBe('cancelled');
    expect((await call('POST', `/commands/${c.json.id}/cancel`, operator)).status).toBe(409);
    expect((await call('POST', '/commands/999999/cancel', operator)).status).toBe(404);
    expect((await call('POST', `/commands/${c.json.id}/cancel`, viewer)).status).toBe(403);
    expect((await call('POST', `/commands/${c.json.id}/cancel`, admin)).status).toBe(409);
  });
});

describe('meter-control routes without a control service', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  it('writes answer 503 CONTROL_UNAVAILABLE (audited failed); reads still work from the store', async () => {
    const op = await h.tokenFor('operator', 'nora');
    const m = await h.store.meters.create(meterRow(1) as unknown as NewMeter);
    const writes: [string, string, unknown][] = [
      ['POST', '/commands', { kind: 'connect', meterId: m.id, reason: 'test' }],
      ['POST', `/meters/${m.id}/disconnect`, { reason: 'non-payment' }],
      ['POST', '/commands/1/approve', undefined],
      ['POST', '/commands/1/cancel', undefined],
      ['POST', '/campaigns', { name: 'c', kind: 'time-sync', target: { meterIds: [m.id] }, reason: 'test' }],
      ['POST', '/campaigns/preview', { target: { meterIds: [m.id] } }],
      ['POST', '/campaigns/1/pause', undefined],
    ];
    for (const [method, url, body] of writes) {
      const res = await inject(h, method, url, op, body);
      expect([url, res.status, res.json.error.code]).toEqual([url, 503, 'CONTROL_UNAVAILABLE']);
    }
    expect((await inject(h, 'GET', '/commands', op)).json).toEqual({ items: [], nextCursor: null });
    expect((await inject(h, 'GET', '/campaigns', op)).json).toEqual({ items: [], nextCursor: null });
    expect((await inject(h, 'GET', '/firmware/images', op)).json).toEqual({ items: [], nextCursor: null });
    const audit = await h.store.audit.list({ actor: 'nora' });
    expect(audit.items.find((a) => a.action === 'command.request')?.outcome).toBe('failed');
  });
});
