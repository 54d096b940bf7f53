import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, meterRow, startApi } from './helpers.ts';

describe('bad requests', () => {
  let h: Harness;
  let op: string;
  let admin: string;
  beforeAll(async () => {
    h = await startApi();
    op = await h.tokenFor('operator');
    admin = await h.tokenFor('admin');
    await h.call('POST', '/meters/import', { token: op, body: [meterRow(1)] });
  });
  afterAll(async () => h.close());

  const cases: [string, string, string, unknown?, string?][] = [
    ['bad path id', 'GET', '/meters/abc'],
    ['zero id', 'GET', '/meters/0'],
    ['limit too small', 'GET', '/meters?limit=0'],
    ['limit too large', 'GET', '/meters?limit=10001'],
    ['unknown query field', 'GET', '/meters?colour=red'],
    ['unknown status', 'GET', '/meters?status=lost'],
    ['malformed cursor', 'GET', '/meters?cursor=%7B%7D'],
    ['series without range', 'GET', '/channels/1/readings'],
    ['series with a non-date', 'GET', '/channels/1/readings?from=yesterday&to=2025-01-01T00:00:00Z'],
    [
      'series with to before from',
      'GET',
      '/channels/1/readings?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z',
    ],
    [
      'unknown bucket',
      'GET',
      '/channels/1/readings/aggregate?from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&bucket=week&fn=sum',
    ],
    ['unknown event category', 'GET', '/events?category=gossip'],
    ['bad read kinds', 'POST', '/meters/1/read?reads=everything'],
    ['empty patch', 'PATCH', '/meters/1', {}],
    ['patch of the serial', 'PATCH', '/meters/1', { serial: 'X' }],
    ['patch with a wrong type', 'PATCH', '/meters/1', { servicePointId: 'seven' }],
    ['import of an object', 'POST', '/meters/import', { serial: 'x' }],
    ['import of an empty list', 'POST', '/meters/import', []],
    [
      'plan with a bad schedule',
      'POST',
      '/plans',
      { name: 'p', cron: 'often', reads: ['block'], meters: 'all', windowSeconds: 0, enabled: true },
    ],
    [
      'plan reading nothing',
      'POST',
      '/plans',
      { name: 'p', cron: '* * * * *', reads: [], meters: 'all', windowSeconds: 0, enabled: true },
    ],
    ['user with a short password', 'POST', '/users', { name: 'u', role: 'viewer', password: 'short' }],
    ['user with an unknown role', 'POST', '/users', { name: 'u', role: 'root' }],
    [
      'token for a past instant',
      'POST',
      '/tokens',
      { userId: 1, name: 't', expiresAt: '2001-01-01T00:00:00Z' },
    ],
    ['login without password', 'POST', '/auth/login', { username: 'admin' }],
  ];

  for (const [name, method, path, body] of cases) {
    it(`${name}: 400 VALIDATION_FAILED`, async () => {
      const res = await h.call(method, path, { token: admin, ...(body === undefined ? {} : { body }) });
      expect([res.status, res.json?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(res.json.error.message).not.toBe('');
    });
  }

  it('rejects malformed JSON with BAD_REQUEST_BODY', async () => {
    const res = await h.call('PATCH', '/meters/1', {
      token: op,
      body: '{"tariff":',
      contentType: 'application/json',
    });
    expect([res.status, res.json.error.code]).toEqual([400, 'BAD_REQUEST_BODY']);
  });

  it('rejects an unsupported body type with UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await h.call('PATCH', '/meters/1', {
      token: op,
      body: '<x/>',
      contentType: 'application/xml',
    });
    expect([res.status, res.json.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('answers unknown routes with ROUTE_NOT_FOUND', async () => {
    const res = await h.call('GET', '/nowhere', { token: op });
    expect([res.status, res.json.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });
});
