import type { NewMeter, Role } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Access, type HttpMethod, ROUTE_ACCESS, roleAllows } from '../src/access.ts';
import { FakeControl } from './control-fake.ts';
import { type Harness, meterRow, startApi } from './helpers.ts';

const ROLES: readonly Role[] = ['viewer', 'integration', 'operator', 'admin'];
const concrete = (url: string): string => url.replace(':id', '999999').replace('*', 'index.html');

describe('role matrix (from ROUTE_ACCESS)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startApi();
  });
  afterAll(async () => h.close());

  const guarded = ROUTE_ACCESS.filter((r) => r.access !== 'public');
  for (const role of ROLES) {
    for (const r of guarded) {
      const allowed = roleAllows(role, r.access);
      it(`${role} ${r.method} ${r.url} → ${allowed ? 'allowed' : '403'}`, async () => {
        const token = await h.tokenFor(role);
        const res = await h.call(r.method, concrete(r.url), { token });
        if (allowed) {
          expect(res.status).not.toBe(401);
          expect(res.status).not.toBe(403);
        } else {
          expect([res.status, res.json?.error?.code]).toEqual([403, 'FORBIDDEN']);
        }
      });
    }
  }

  it('ranks roles viewer = integration < operator < admin', () => {
    expect(roleAllows('viewer', 'operator')).toBe(false);
    expect(roleAllows('integration', 'viewer')).toBe(true);
    expect(roleAllows('integration', 'operator')).toBe(false);
    expect(roleAllows('operator', 'admin')).toBe(false);
    expect(roleAllows('admin', 'operator')).toBe(true);
  });

  it('audits a refused write as denied', async () => {
    const token = await h.tokenFor('viewer', 'denied-viewer');
    await h.call('POST', '/plans', { token, body: {} });
    const audit = await h.store.audit.list({ actor: 'denied-viewer' });
    expect(audit.items.map((a) => [a.action, a.outcome])).toEqual([['plan.create', 'denied']]);
  });
});

/** Meter control (issue 21): the least role of each route, as the issue asks; the matrix above proves the table is enforced. */
const CONTROL_ROUTES: readonly [HttpMethod, string, Access][] = [
  ['POST', '/commands', 'operator'],
  ['GET', '/commands', 'viewer'],
  ['GET', '/commands/:id', 'viewer'],
  ['POST', '/commands/:id/approve', 'operator'],
  ['POST', '/commands/:id/reject', 'operator'],
  ['POST', '/commands/:id/cancel', 'operator'],
  ['POST', '/meters/:id/disconnect', 'operator'],
  ['POST', '/meters/:id/connect', 'operator'],
  ['POST', '/meters/:id/load-limit', 'operator'],
  ['POST', '/meters/:id/time-sync', 'operator'],
  ['POST', '/meters/:id/calendar', 'operator'],
  ['POST', '/meters/:id/special-days', 'operator'],
  ['POST', '/meters/:id/firmware', 'operator'],
  ['POST', '/meters/:id/keys/rotate', 'operator'],
  ['POST', '/meters/:id/push-setup', 'operator'],
  ['POST', '/campaigns', 'operator'],
  ['POST', '/campaigns/preview', 'viewer'],
  ['GET', '/campaigns', 'viewer'],
  ['GET', '/campaigns/:id', 'viewer'],
  ['GET', '/campaigns/:id/commands', 'viewer'],
  ['POST', '/campaigns/:id/approve', 'operator'],
  ['POST', '/campaigns/:id/reject', 'operator'],
  ['POST', '/campaigns/:id/pause', 'operator'],
  ['POST', '/campaigns/:id/resume', 'operator'],
  ['POST', '/campaigns/:id/cancel', 'operator'],
  ['POST', '/firmware/images', 'operator'],
  ['GET', '/firmware/images', 'viewer'],
  ['GET', '/firmware/images/:id', 'viewer'],
  ['DELETE', '/firmware/images/:id', 'admin'],
];

describe('role matrix: meter control', () => {
  it('every control route has the least role issue 21 gives it, and every write is audited', () => {
    const table = ROUTE_ACCESS.filter(
      (r) =>
        /^\/(commands|campaigns|firmware)\b/.test(r.url) ||
        /^\/meters\/:id\/(disconnect|connect|load-limit|time-sync|calendar|special-days|firmware|keys\/rotate|push-setup)$/.test(
          r.url,
        ),
    );
    expect(table.map((r) => [r.method, r.url, r.access])).toEqual(CONTROL_ROUTES);
    for (const r of table) {
      const write = r.method !== 'GET' && r.url !== '/campaigns/preview';
      expect([r.method, r.url, r.action !== undefined]).toEqual([r.method, r.url, write]);
    }
  });

  describe('the two-person rule on top of the role (approver right, not one’s own request)', () => {
    let h: Harness;
    const control = new FakeControl();
    const tokens: Record<string, string> = {};
    beforeAll(async () => {
      h = await startApi({ control });
      control.store = h.store;
      for (const [name, role, right] of [
        ['req', 'operator', true],
        ['op', 'operator', false],
        ['appr', 'operator', true],
        ['adm', 'admin', false],
        ['vwr', 'viewer', true],
      ] as const) {
        tokens[name] = await h.tokenFor(role, name);
        const u = await h.store.users.getByName(name);
        await h.store.users.setApprover(u!.id, right);
      }
      await h.store.meters.create(meterRow(1) as unknown as NewMeter);
    });
    afterAll(async () => h.close());

    const post = async (url: string, who: string, body?: unknown) => {
      const res = await h.app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${tokens[who]}` },
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
      return [res.statusCode, res.json().error?.code ?? res.json().state];
    };

    for (const what of ['command', 'campaign'] as const) {
      for (const move of ['approve', 'reject'] as const) {
        it(`${what} ${move}: viewer (even with the right) 403 FORBIDDEN, requester and operator without the right 403 CONTROL_APPROVAL_REFUSED, admin without the right too, approver 200`, async () => {
          const created =
            what === 'command'
              ? await post('/meters/1/keys/rotate', 'req', { reason: 'maintenance' })
              : await post('/campaigns', 'req', {
                  name: 'k',
                  kind: 'key-rotation',
                  target: { meterIds: [1] },
                  reason: 'maintenance',
                });
          expect(created).toEqual([202, 'awaiting-approval']);
          const id = (
            what === 'command'
              ? await h.store.commands.list({ order: 'desc', limit: 1 })
              : await h.store.campaigns.list({ order: 'desc', limit: 1 })
          ).items[0]!.id;
          const url = `/${what}s/${id}/${move}`;
          expect(await post(url, 'vwr')).toEqual([403, 'FORBIDDEN']);
          expect(await post(url, 'req')).toEqual([403, 'CONTROL_APPROVAL_REFUSED']);
          expect(await post(url, 'op')).toEqual([403, 'CONTROL_APPROVAL_REFUSED']);
          expect(await post(url, 'adm')).toEqual([403, 'CONTROL_APPROVAL_REFUSED']);
          const done = move === 'reject' ? 'rejected' : what === 'command' ? 'queued' : 'running';
          expect(await post(url, 'appr')).toEqual([200, done]);
        });
      }
    }
  });
});

/** Meter data (issue 14): viewers read, operators run, edit and top up, admins own tariffs. */
const METER_DATA_ROUTES: readonly [HttpMethod, string, Access][] = [
  ['GET', '/channels/:id/series', 'viewer'],
  ['POST', '/channels/:id/edits', 'operator'],
  ['GET', '/vee/exceptions', 'viewer'],
  ['GET', '/vee/exceptions/:id', 'viewer'],
  ['POST', '/vee/exceptions/:id/resolve', 'operator'],
  ['GET', '/vee/summary', 'viewer'],
  ['GET', '/vee/timeliness', 'viewer'],
  ['POST', '/vee/runs', 'operator'],
  ['GET', '/billing/tariffs', 'viewer'],
  ['GET', '/billing/tariffs/:id', 'viewer'],
  ['POST', '/billing/tariffs', 'admin'],
  ['PUT', '/billing/tariffs/:id', 'admin'],
  ['DELETE', '/billing/tariffs/:id', 'admin'],
  ['GET', '/billing/groups', 'viewer'],
  ['POST', '/billing/runs', 'operator'],
  ['GET', '/billing/bills', 'viewer'],
  ['GET', '/billing/bills/export', 'viewer'],
  ['GET', '/billing/bills/:id', 'viewer'],
  ['GET', '/meters/:id/bills', 'viewer'],
  ['GET', '/prepayment/accounts', 'viewer'],
  ['POST', '/prepayment/accounts', 'operator'],
  ['GET', '/prepayment/accounts/:id', 'viewer'],
  ['POST', '/prepayment/accounts/:id/top-ups', 'operator'],
  ['POST', '/prepayment/accounts/:id/adjustments', 'operator'],
  ['GET', '/prepayment/accounts/:id/ledger', 'viewer'],
];

describe('role matrix: meter data', () => {
  it('every meter-data route has the least role issue 14 gives it, and every write is audited', () => {
    const table = ROUTE_ACCESS.filter(
      (r) =>
        /^\/(vee|billing|prepayment)\//.test(r.url) ||
        /^\/channels\/:id\/(series|edits)$/.test(r.url) ||
        r.url === '/meters/:id/bills',
    );
    expect(table.map((r) => [r.method, r.url, r.access])).toEqual(METER_DATA_ROUTES);
    for (const r of table) {
      expect([r.method, r.url, r.action !== undefined]).toEqual([r.method, r.url, r.method !== 'GET']);
    }
  });
});
