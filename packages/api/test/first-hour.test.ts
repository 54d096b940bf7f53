import { runInNewContext } from 'node:vm';
import { EventCategory, type Meter, type NewMeter, READ_KINDS } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventTextLookup } from '../src/presenters/events.ts';
import { type Harness, startApi } from './helpers.ts';

/** The issue 13 API items a new user hit in the first hour (one test or more per item). */
describe('the first hour of a new user', () => {
  let h: Harness;
  let viewer: string;
  let op: string;
  const meters: Meter[] = [];
  const T = Date.UTC(2025, 0, 15);

  const newMeter = (i: number, deviceProfile: string): NewMeter => ({
    serial: `FH${String(i).padStart(6, '0')}`,
    manufacturer: 'Acme',
    model: 'E100',
    deviceProfile,
    protocol: 'dlms-tcp',
    address: `127.2.0.${i}:4059`,
  });

  beforeAll(async () => {
    h = await startApi({
      deviceProfiles: new Set(['is15959-1ph', 'is15959-3ph']),
      eventText: eventTextLookup(
        new Map([
          [
            'is15959-1ph',
            {
              eventLogs: { voltage: { obis: '0.0.99.98.0.255', codes: { '7': 'Over voltage' } } },
              eventStatusBits: { '3': { name: 'Cover opened' } },
            },
          ],
        ]),
      ),
    });
    viewer = await h.tokenFor('viewer');
    op = await h.tokenFor('operator');
    // Meters 1-3 of the 1-ph profile, 4 of the 3-ph one, all active; 5 registered; 6 decommissioned.
    for (const [i, profile] of [
      'is15959-1ph',
      'is15959-1ph',
      'is15959-1ph',
      'is15959-3ph',
      'is15959-1ph',
      'is15959-1ph',
    ].entries()) {
      let m = await h.store.meters.create(newMeter(i + 1, profile));
      if (i < 4) m = await h.store.meters.setStatus(m.id, 'active');
      if (i === 5) m = await h.store.meters.setStatus(m.id, 'decommissioned');
      meters.push(m);
    }
  });
  afterAll(async () => h.close());

  describe('documentation without a token', () => {
    it('serves /docs, its assets and /openapi.json without a token; data routes still need one', async () => {
      for (const path of ['/docs/', '/docs/static/swagger-initializer.js', '/docs/json', '/openapi.json']) {
        const res = await h.call('GET', path);
        expect([path, res.status]).toEqual([path, 200]);
      }
      const doc = await h.call('GET', '/openapi.json');
      expect(Object.keys(doc.json.paths)).toContain('/events');
      // The routes of the docs are the only new public ones.
      for (const path of ['/meters', '/events', '/plans', '/collection/outcomes', '/metrics', '/audit']) {
        const res = await h.call('GET', path);
        expect([path, res.status, res.json.error.code]).toEqual([path, 401, 'AUTH_REQUIRED']);
      }
    });

    it('the docs page logs in: the token POST /auth/login returns is sent with every further call', async () => {
      const script = (await h.call('GET', '/docs/static/swagger-initializer.js')).text;
      const authorized: [string, string][] = [];
      const loggedOut: string[][] = [];
      let config: Record<string, unknown> = {};
      const page: Record<string, unknown> = {
        location: { href: `${h.base}/docs/` },
        document: {
          body: {},
          createElement: () => ({ href: '' }),
          querySelector: () => null,
        },
        MutationObserver: class {
          observe() {}
          disconnect() {}
        },
        SwaggerUIBundle: Object.assign(
          (c: Record<string, unknown>) => {
            config = c;
            return {
              preauthorizeApiKey: (k: string, v: string) => authorized.push([k, v]),
              authActions: { logout: (keys: string[]) => loggedOut.push(keys) },
              initOAuth: () => {},
            };
          },
          { presets: { apis: {} }, plugins: { DownloadUrl: {} } },
        ),
        SwaggerUIStandalonePreset: {},
      };
      page.window = page;
      runInNewContext(script, page);
      (page.onload as () => void)();
      expect(config.persistAuthorization).toBe(true);
      const intercept = config.responseInterceptor as (r: unknown) => unknown;

      const login = await h.login();
      expect(login.status).toBe(200);
      const res = { url: `${h.base}/auth/login`, ok: true, status: 200, body: login.json, text: login.text };
      expect(intercept(res)).toBe(res);
      expect(authorized).toEqual([['bearer', login.json.token]]);
      // The token the page took is a working one.
      expect((await h.call('GET', '/auth/me', { token: authorized[0]![1] })).status).toBe(200);
      // A failed login or another route hands nothing over; a logout drops the token.
      intercept({ url: `${h.base}/auth/login`, ok: false, status: 401, body: {} });
      intercept({ url: `${h.base}/meters`, ok: true, status: 200, body: { token: 'not-a-login' } });
      expect(authorized).toHaveLength(1);
      intercept({ url: `${h.base}/auth/logout`, ok: true, status: 204, body: null });
      expect(loggedOut).toEqual([['bearer']]);
      // The document tells how to log in.
      const doc = (await h.call('GET', '/openapi.json')).json;
      expect(doc.info.description).toContain('POST /auth/login');
    });

    it('an unknown path is 404 naming it, with or without a token (not 401)', async () => {
      for (const token of [undefined, viewer]) {
        const res = await h.call('POST', '/auth/login/', { ...(token ? { token } : {}), body: {} });
        expect([res.status, res.json.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
        expect(res.json.error.message).toContain('/auth/login/');
      }
    });
  });

  describe('plans are checked at the API', () => {
    const plan = (over: Record<string, unknown>) => ({
      name: 'p',
      cron: '*/15 * * * *',
      reads: ['block'],
      meters: 'all',
      windowSeconds: 0,
      enabled: true,
      ...over,
    });
    const refused = async (body: unknown, field: string, message: RegExp) => {
      const before = (await h.call('GET', '/plans', { token: viewer })).json.items.length;
      const res = await h.call('POST', '/plans', { token: op, body });
      expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.json.error.detail.errors[0].field).toBe(field);
      expect(res.json.error.message).toMatch(message);
      // Nothing was stored.
      expect((await h.call('GET', '/plans', { token: viewer })).json.items.length).toBe(before);
      return res;
    };

    it('refuses an invalid cron naming the field and what is wrong', async () => {
      await refused(plan({ cron: '99 99 * * *' }), 'body/cron', /minute.*99 is outside 0-59/);
      await refused(plan({ cron: '0 0 31 2-1 *' }), 'body/cron', /month.*runs backwards/);
    });

    it('refuses unknown profiles and unknown or decommissioned meter ids, naming the item', async () => {
      const res = await refused(
        plan({ meters: { profiles: ['is15959-1ph', 'modbus-x'] } }),
        'body/meters/profiles/1',
        /"modbus-x".*known: is15959-1ph, is15959-3ph/,
      );
      expect(res.json.error.detail.errors[0].allowed).toEqual(['is15959-1ph', 'is15959-3ph']);
      await refused(plan({ meters: { ids: [meters[0]!.id, 9999] } }), 'body/meters/ids/1', /9999/);
      await refused(plan({ meters: { ids: [meters[5]!.id] } }), 'body/meters/ids/0', /decommissioned/);
      await refused(plan({ meters: {} }), 'body/meters', /"all"|profiles/);
    });

    it('replacing a plan is checked the same way', async () => {
      const created = await h.call('POST', '/plans', { token: op, body: plan({ name: 'r' }) });
      expect(created.status).toBe(201);
      const res = await h.call('PUT', `/plans/${created.json.id}`, {
        token: op,
        body: plan({ name: 'r', cron: '0 25 * * *' }),
      });
      expect([res.status, res.json.error.detail.errors[0].field]).toEqual([400, 'body/cron']);
      expect((await h.call('GET', `/plans/${created.json.id}`, { token: viewer })).json.cron).toBe(
        '*/15 * * * *',
      );
    });

    it('shows how many active meters a plan selects, and says when it selects none', async () => {
      const all = await h.call('POST', '/plans', { token: op, body: plan({ name: 'all' }) });
      expect(all.json.selection).toEqual({ activeMeters: 4, notes: [] });
      const ph3 = await h.call('POST', '/plans', {
        token: op,
        body: plan({ name: '3ph', meters: { profiles: ['is15959-3ph'] } }),
      });
      expect(ph3.json.selection).toEqual({ activeMeters: 1, notes: [] });
      // Registered meter 5 is stored but not active: accepted, selects nothing, says so.
      const idle = await h.call('POST', '/plans', {
        token: op,
        body: plan({ name: 'idle', meters: { ids: [meters[4]!.id] } }),
      });
      expect(idle.status).toBe(201);
      expect(idle.json.selection.activeMeters).toBe(0);
      expect(idle.json.selection.notes.join(' ')).toMatch(/selects no active meter/);
      const listed = (await h.call('GET', '/plans', { token: viewer })).json.items;
      expect(listed.find((p: { name: string }) => p.name === 'all').selection.activeMeters).toBe(4);
    });

    it('profiles and ids combine with AND: the answer names the ids left out, the schema says so', async () => {
      const [m1, m2, , m4] = meters;
      const res = await h.call('POST', '/plans', {
        token: op,
        body: plan({ name: 'and', meters: { profiles: ['is15959-1ph'], ids: [m1!.id, m2!.id, m4!.id] } }),
      });
      expect(res.status).toBe(201);
      expect(res.json.selection.activeMeters).toBe(2);
      expect(res.json.selection.notes).toEqual([
        expect.stringContaining(`meters ${m4!.id} are listed in ids`),
      ]);
      expect(res.json.selection.notes[0]).toContain('AND');
      const none = await h.call('POST', '/plans', {
        token: op,
        body: plan({ name: 'none', meters: { profiles: ['is15959-3ph'], ids: [m1!.id] } }),
      });
      expect(none.json.selection.activeMeters).toBe(0);
      expect(none.json.selection.notes).toHaveLength(2);
      const doc = (await h.call('GET', '/openapi.json')).json;
      expect(JSON.stringify(doc.paths['/plans'].post)).toContain('combine with AND');
    });
  });

  describe('errors that help', () => {
    it('a bad enum value lists the allowed values once', async () => {
      const res = await h.call('GET', '/events?category=gossip', { token: viewer });
      expect(res.status).toBe(400);
      const allowed = Object.values(EventCategory);
      expect(res.json.error.message).toBe(`querystring/category must be one of: ${allowed.join(', ')}`);
      expect(res.json.error.detail.errors).toEqual([
        { field: 'querystring/category', message: expect.any(String), allowed },
      ]);
      const plan = await h.call('POST', '/plans', {
        token: op,
        body: {
          name: 'p',
          cron: '* * * * *',
          reads: ['blocks'],
          meters: 'all',
          windowSeconds: 0,
          enabled: true,
        },
      });
      expect(plan.json.error.message).toBe(`body/reads/0 must be one of: ${READ_KINDS.join(', ')}`);
      expect(plan.json.error.message).not.toContain('constant');
    });

    it('login with an empty JSON body is 400 naming the missing fields, never 401', async () => {
      for (const body of ['{}', '']) {
        const res = await h.call('POST', '/auth/login', { body, contentType: 'application/json' });
        expect([res.status, res.json.error.code]).toEqual([400, 'VALIDATION_FAILED']);
        expect(res.json.error.message).toContain('username, password');
      }
      // No body and no content type at all (curl -X POST).
      const bare = await h.call('POST', '/auth/login');
      expect([bare.status, bare.json.error.message]).toEqual([
        400,
        'body must have required properties username, password',
      ]);
    });

    it('/events and /collection/outcomes with to before from are 400 like readings', async () => {
      for (const path of ['/events', '/collection/outcomes', '/collection/success-rate']) {
        const res = await h.call('GET', `${path}?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z`, {
          token: viewer,
        });
        expect([path, res.status, res.json.error.message]).toEqual([
          path,
          400,
          'querystring/to must not be before from',
        ]);
      }
    });

    it('takes date-only values and +05:30 offsets wherever a time is taken; a zoneless time is refused with the forms', async () => {
      const c = await h.store.channels.ensure(meters[0]!.id, {
        obis: '1.0.32.7.0.255',
        attribute: 2,
        kind: 'instantaneous',
        unit: 'V',
        scaler: -1,
        intervalSeconds: null,
      });
      await h.store.readings.ingest({ readings: [{ channelId: c.id, ts: T + 3_600_000, value: 230.1 }] });
      // 05:30+05:30 is 00:00Z: the reading at 01:00Z is inside [00:00Z, 02:00Z).
      const forms = [
        ['2025-01-15', '2025-01-16'],
        ['2025-01-15T05:30:00%2B05:30', '2025-01-15T07:30:00%2B05:30'],
        ['2025-01-15T05:30:00+05:30', '2025-01-15T07:30:00+0530'],
        ['2025-01-14T19:00:00-05:00', '2025-01-15T02:00Z'],
      ];
      for (const [from, to] of forms) {
        const q = `from=${from}&to=${to}`;
        const series = await h.call('GET', `/channels/${c.id}/readings?${q}`, { token: viewer });
        expect([q, series.status, series.json.items?.length]).toEqual([q, 200, 1]);
        for (const path of ['/events', '/collection/outcomes', '/collection/success-rate']) {
          expect([q, path, (await h.call('GET', `${path}?${q}`, { token: viewer })).status]).toEqual([
            q,
            path,
            200,
          ]);
        }
      }
      const early = await h.call(
        'GET',
        `/channels/${c.id}/readings?from=2025-01-15T06:30:01%2B05:30&to=2025-01-16`,
        {
          token: viewer,
        },
      );
      expect(early.json.items).toEqual([]);
      const zoneless = await h.call('GET', '/events?from=2025-01-15T10:00:00', { token: viewer });
      expect(zoneless.status).toBe(400);
      expect(zoneless.json.error.message).toContain(
        'querystring/from must be an ISO 8601 date-time with Z or an offset',
      );
      const impossible = await h.call('GET', '/events?from=2025-02-30', { token: viewer });
      expect([impossible.status, impossible.json.error.message]).toEqual([
        400,
        expect.stringContaining('calendar'),
      ]);
    });
  });

  describe('readings that read well', () => {
    it('averages are rounded to the channel resolution plus three decimals, sums to the resolution', async () => {
      const c = await h.store.channels.ensure(meters[1]!.id, {
        obis: '1.0.32.7.0.255',
        attribute: 2,
        kind: 'instantaneous',
        unit: 'V',
        scaler: -1,
        intervalSeconds: null,
      });
      const values = [249.9, 249.8, 249.7, 249.9];
      // Summed in this order the mean is 249.82500000000002 in binary floating point.
      expect(values.reduce((a, b) => a + b, 0) / values.length).not.toBe(249.825);
      await h.store.readings.ingest({
        readings: values.map((value, i) => ({ channelId: c.id, ts: T + (i + 1) * 60_000, value })),
      });
      const q = `from=2025-01-15&to=2025-01-16&bucket=hour`;
      const avg = await h.call('GET', `/channels/${c.id}/readings/aggregate?${q}&fn=avg`, { token: viewer });
      expect(avg.json.points).toEqual([
        {
          bucketStart: '2025-01-15T00:00:00.000Z',
          bucketEnd: '2025-01-15T01:00:00.000Z',
          value: 249.825,
          count: 4,
          estimated: 0,
        },
      ]);
      expect(avg.json.unit).toBe('V');
      const sum = await h.call('GET', `/channels/${c.id}/readings/aggregate?${q}&fn=sum`, { token: viewer });
      expect(sum.json.points[0].value).toBe(999.3);
      const doc = (await h.call('GET', '/openapi.json')).json;
      const described = JSON.stringify(doc.paths['/channels/{id}/readings/aggregate'].get);
      expect(described).toContain('bucketStart < ts <= bucketEnd');
      expect(described).toContain('three more decimal places');
    });

    it("events carry the device profile's text for their code", async () => {
      const [m1, , , m4] = meters;
      const ev = (meterId: number, log: string, code: number, minute: number) => ({
        meterId,
        meterTime: T + minute * 60_000,
        ts: T + minute * 60_000,
        log,
        code,
        category: 'power-quality' as const,
        raw: null,
      });
      await h.store.events.append([
        ev(m1!.id, '0.0.99.98.0.255', 7, 1),
        ev(m1!.id, '0.0.99.98.0.255', 99, 2),
        ev(m1!.id, '0.0.94.91.18.255', 3, 3),
        ev(m4!.id, '0.0.99.98.0.255', 7, 4),
      ]);
      const res = await h.call('GET', '/events?from=2025-01-15&to=2025-01-16', { token: viewer });
      expect(res.json.items.map((e: { code: number; text: string | null }) => [e.code, e.text])).toEqual([
        [7, 'Over voltage'],
        [99, null],
        [3, 'Cover opened'],
        // Meter 4's profile (3-ph) has no table here: no text rather than another profile's.
        [7, null],
      ]);
    });

    it('events and collection outcomes can be listed newest first, across pages', async () => {
      const desc = await h.call('GET', '/events?from=2025-01-15&to=2025-01-16&order=desc&limit=3', {
        token: viewer,
      });
      const next = await h.call(
        'GET',
        `/events?from=2025-01-15&to=2025-01-16&order=desc&limit=3&cursor=${desc.json.nextCursor}`,
        { token: viewer },
      );
      const ts = [...desc.json.items, ...next.json.items].map((e: { ts: string }) => e.ts);
      expect(ts).toEqual([4, 3, 2, 1].map((m) => new Date(T + m * 60_000).toISOString()));
      for (const i of [1, 2, 3]) {
        await h.store.collection.record({
          meterId: meters[0]!.id,
          taskId: `task-${i}`,
          startedAt: T + i * 60_000,
          finishedAt: T + i * 60_000 + 500,
          status: 'success',
          errorCode: null,
          readingsStored: i,
          attempt: 1,
        });
      }
      const outcomes = await h.call('GET', '/collection/outcomes?order=desc', { token: viewer });
      expect(outcomes.json.items.map((o: { taskId: string }) => o.taskId)).toEqual([
        'task-3',
        'task-2',
        'task-1',
      ]);
      const bad = await h.call('GET', '/collection/outcomes?order=newest', { token: viewer });
      expect(bad.json.error.message).toBe('querystring/order must be one of: asc, desc');
    });
  });
});

describe('values without float noise', () => {
  it('tidy keeps 15 significant digits; aggregates round to the resolution, averages three decimals finer', async () => {
    const { aggregateValue, tidy } = await import('../src/presenters/records.ts');
    expect(tidy(0.1 + 0.2)).toBe(0.3);
    expect(tidy(123456789.123)).toBe(123456789.123);
    expect(aggregateValue(249.82500000000002, 'avg', -1)).toBe(249.825);
    expect(aggregateValue(249.82549, 'avg', -1)).toBe(249.8255);
    expect(aggregateValue(999.3000000000001, 'sum', -1)).toBe(999.3);
    expect(aggregateValue(230.19999999999996, 'max', -1)).toBe(230.2);
    expect(aggregateValue(12_345, 'sum', 2)).toBe(12_300);
    expect(aggregateValue(1234.5678, 'avg', 0)).toBe(1234.568);
  });
});

describe('the OpenAPI document', () => {
  it('marks the document public and documents the time forms and the list order', async () => {
    const { generateOpenApi } = await import('../src/openapi.ts');
    // biome-ignore lint/suspicious/noExplicitAny: the document is inspected field by field
    const doc = (await generateOpenApi()) as any;
    expect(doc.paths['/openapi.json'].get.security).toEqual([]);
    const params = doc.paths['/events'].get.parameters as {
      name: string;
      description: string;
      schema: Record<string, unknown>;
    }[];
    const from = params.find((p) => p.name === 'from')!;
    expect(from.description).toContain('+05:30');
    expect(new RegExp(String(from.schema.pattern)).test('2025-01-31')).toBe(true);
    const order = params.find((p) => p.name === 'order')!;
    expect(order.schema).toMatchObject({ anyOf: [{ enum: ['asc'] }, { enum: ['desc'] }] });
    expect(order.description).toContain('newest first');
  });
});
