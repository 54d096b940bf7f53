import type { Role } from '@openhes/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS, roleAllows } from '../src/access.ts';
import { type Harness, startApi } from './helpers.ts';

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
