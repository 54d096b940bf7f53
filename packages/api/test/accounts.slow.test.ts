import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type Harness, startApi } from './helpers.ts';

describe('accounts (issue 13): password change, admin reset, role and approver', () => {
  let h: Harness;
  let admin: string;
  let adminId: number;

  beforeAll(async () => {
    h = await startApi();
    const login = await h.login();
    admin = login.json.token;
    adminId = login.json.user.userId;
  });
  afterAll(async () => h.close());

  const audit = async (action: string) =>
    (await h.store.audit.list({ limit: 500 })).items.filter((a) => a.action === action);

  it('changes one’s own password: current one required, at least 12 characters, other sessions end', async () => {
    const created = await h.call('POST', '/users', {
      token: admin,
      body: { name: 'vera', role: 'viewer', password: 'first-password-1' },
    });
    expect(created.status).toBe(201);
    const s1 = (await h.login('vera', 'first-password-1')).json.token;
    const s2 = (await h.login('vera', 'first-password-1')).json.token;
    const wrong = await h.call('POST', '/auth/password', {
      token: s1,
      body: { currentPassword: 'not-my-password', newPassword: 'second-password-2' },
    });
    expect([wrong.status, wrong.json.error.code]).toEqual([403, 'AUTH_INVALID_CREDENTIALS']);
    const short = await h.call('POST', '/auth/password', {
      token: s1,
      body: { currentPassword: 'first-password-1', newPassword: 'short' },
    });
    expect([short.status, short.json.error.detail]).toEqual([
      400,
      { field: 'newPassword', reason: 'PASSWORD_POLICY' },
    ]);
    const ok = await h.call('POST', '/auth/password', {
      token: s1,
      body: { currentPassword: 'first-password-1', newPassword: 'second-password-2' },
    });
    expect([ok.status, ok.json.sessionsRevoked]).toEqual([200, 1]);
    expect((await h.call('GET', '/auth/me', { token: s1 })).status).toBe(200);
    expect((await h.call('GET', '/auth/me', { token: s2 })).status).toBe(401);
    expect((await h.login('vera', 'first-password-1')).status).toBe(401);
    expect((await h.login('vera', 'second-password-2')).status).toBe(200);
    const entries = await audit('auth.password-change');
    expect(entries.map((e) => [e.actor, e.outcome])).toEqual([
      ['vera', 'denied'],
      ['vera', 'failed'],
      ['vera', 'succeeded'],
    ]);
    expect(JSON.stringify(entries)).not.toContain('second-password-2');
  });

  it('an admin resets a password: a one-time password returned once, or the one given', async () => {
    const u = await h.store.users.getByName('vera');
    const reset = await h.call('POST', `/users/${u!.id}/password`, { token: admin, body: {} });
    expect(reset.status).toBe(200);
    const otp = reset.json.oneTimePassword as string;
    expect(otp.length).toBeGreaterThanOrEqual(12);
    expect((await h.login('vera', 'second-password-2')).status).toBe(401);
    expect((await h.login('vera', otp)).status).toBe(200);
    const noBody = await h.call('POST', `/users/${u!.id}/password`, { token: admin });
    expect([noBody.status, typeof noBody.json.oneTimePassword]).toEqual([200, 'string']);
    const given = await h.call('POST', `/users/${u!.id}/password`, {
      token: admin,
      body: { password: 'chosen-by-admin-3' },
    });
    expect([given.status, given.json.oneTimePassword]).toEqual([200, null]);
    expect((await h.login('vera', 'chosen-by-admin-3')).status).toBe(200);
    const tooShort = await h.call('POST', `/users/${u!.id}/password`, {
      token: admin,
      body: { password: 'x' },
    });
    expect(tooShort.status).toBe(400);
    const viewer = (await h.login('vera', 'chosen-by-admin-3')).json.token;
    expect((await h.call('POST', `/users/${adminId}/password`, { token: viewer, body: {} })).status).toBe(
      403,
    );
    const entries = await audit('user.password-reset');
    expect(entries.map((e) => [e.actor, e.outcome, e.detail?.generated])).toEqual([
      ['admin', 'succeeded', true],
      ['admin', 'succeeded', true],
      ['admin', 'succeeded', false],
      ['admin', 'failed', undefined],
      ['vera', 'denied', undefined],
    ]);
    expect(JSON.stringify(entries)).not.toContain(otp);
    expect(JSON.stringify(entries)).not.toContain('chosen-by-admin-3');
  });

  it('changes role and approver right (audited); the last enabled admin stays admin', async () => {
    const u = (await h.store.users.getByName('vera'))!;
    const promoted = await h.call('PATCH', `/users/${u.id}`, {
      token: admin,
      body: { role: 'operator', approver: true },
    });
    expect(promoted.json).toMatchObject({ role: 'operator', approver: true });
    expect(await h.store.users.get(u.id)).toMatchObject({ role: 'operator', approver: true });
    const last = await h.call('PATCH', `/users/${adminId}`, { token: admin, body: { role: 'viewer' } });
    expect([last.status, last.json.error.detail]).toEqual([409, { reason: 'LAST_ADMIN' }]);
    expect((await h.store.users.get(adminId))?.role).toBe('admin');
    await h.call('PATCH', `/users/${u.id}`, { token: admin, body: { role: 'admin' } });
    const demoted = await h.call('PATCH', `/users/${adminId}`, { token: admin, body: { role: 'operator' } });
    expect(demoted.json.role).toBe('operator');
    const vera = (await h.login('vera', 'chosen-by-admin-3')).json.token;
    const self = await h.call('PATCH', `/users/${u.id}`, { token: vera, body: { role: 'viewer' } });
    expect([self.status, self.json.error.detail]).toEqual([409, { reason: 'LAST_ADMIN' }]);
    const updates = await audit('user.update');
    expect(updates.at(0)?.detail).toMatchObject({
      role: { from: 'viewer', to: 'operator' },
      approver: { from: false, to: true },
    });
    expect(updates.map((e) => e.outcome)).toEqual([
      'succeeded',
      'failed',
      'succeeded',
      'succeeded',
      'failed',
    ]);
    expect(ADMIN_PASSWORD).toBeTruthy();
  });

  it('lists users with their approver right', async () => {
    const vera = (await h.login('vera', 'chosen-by-admin-3')).json.token;
    const list = await h.call('GET', '/users', { token: vera });
    expect(list.json.items.find((x: { name: string }) => x.name === 'vera')).toMatchObject({
      role: 'admin',
      approver: true,
    });
  });
});
