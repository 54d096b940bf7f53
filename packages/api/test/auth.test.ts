import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROUTE_ACCESS } from '../src/access.ts';
import { hashToken } from '../src/auth/tokens.ts';
import { ADMIN_PASSWORD, type Harness, startApi } from './helpers.ts';

const concrete = (url: string): string => url.replace(':id', '1').replace('*', 'index.html');

describe('authentication', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startApi({ loginLimit: { maxFailures: 3, windowMs: 60_000, lockoutMs: 300_000 } });
  });
  afterEach(async () => h.close());

  it('serves /health without a token and refuses every other route without one', async () => {
    expect((await h.call('GET', '/health')).status).toBe(200);
    for (const r of ROUTE_ACCESS.filter((x) => x.access !== 'public')) {
      const res = await h.call(r.method, concrete(r.url));
      expect([r.method, r.url, res.status, res.json?.error?.code]).toEqual([
        r.method,
        r.url,
        401,
        'AUTH_REQUIRED',
      ]);
    }
    const bogus = await h.call('GET', '/meters', { token: 'hes_not-a-real-token' });
    expect([bogus.status, bogus.json.error.code]).toEqual([401, 'AUTH_INVALID_TOKEN']);
    const basic = await h.call('GET', '/meters', { headers: { authorization: 'Basic YWRtaW46eA==' } });
    expect(basic.json.error.code).toBe('AUTH_REQUIRED');
  });

  it('logs in with username and password; the token works until logout', async () => {
    const login = await h.login();
    expect(login.status).toBe(200);
    expect(login.json.tokenType).toBe('Bearer');
    expect(login.json.user).toMatchObject({ name: 'admin', role: 'admin' });
    const token = login.json.token as string;
    expect(token).toMatch(/^hes_[A-Za-z0-9_-]{43}$/);
    const stored = await h.store.tokens.findByHash(hashToken(token));
    expect(stored?.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    const me = await h.call('GET', '/auth/me', { token });
    expect(me.json).toMatchObject({ name: 'admin', role: 'admin' });
    expect((await h.call('POST', '/auth/logout', { token })).status).toBe(204);
    expect((await h.call('GET', '/auth/me', { token })).status).toBe(401);
  });

  it('expires login tokens after the session lifetime', async () => {
    const token = (await h.login()).json.token as string;
    h.clock.t += 12 * 3_600_000 + 1;
    expect((await h.call('GET', '/auth/me', { token })).json.error.code).toBe('AUTH_INVALID_TOKEN');
  });

  it('refuses wrong passwords and unknown users alike', async () => {
    const wrong = await h.login('admin', 'wrong-password!');
    const unknown = await h.login('nobody', ADMIN_PASSWORD);
    expect([wrong.status, wrong.json.error.code]).toEqual([401, 'AUTH_INVALID_CREDENTIALS']);
    expect([unknown.status, unknown.json.error.code]).toEqual([401, 'AUTH_INVALID_CREDENTIALS']);
  });

  it('locks a username after repeated failures, even for the right password, until the lockout ends', async () => {
    for (let i = 0; i < 3; i++) expect((await h.login('admin', `bad-${i}`)).status).toBe(401);
    const locked = await h.login();
    expect([locked.status, locked.json.error.code]).toEqual([429, 'AUTH_RATE_LIMITED']);
    expect(Number(locked.headers.get('retry-after'))).toBe(300);
    expect((await h.login('other-user', 'x')).status).toBe(401);
    h.clock.t += 300_000;
    expect((await h.login()).status).toBe(200);
  });

  it('shows an API token once; it works, is listed without its secret, and stops working when revoked', async () => {
    const admin = (await h.login()).json.token as string;
    const user = await h.call('POST', '/users', {
      token: admin,
      body: { name: 'scada', role: 'integration' },
    });
    expect(user.status).toBe(201);
    expect(user.json).toMatchObject({ name: 'scada', role: 'integration', hasPassword: false });
    const created = await h.call('POST', '/tokens', {
      token: admin,
      body: { userId: user.json.id, name: 'scada feed' },
    });
    expect(created.status).toBe(201);
    const secret = created.json.token as string;
    expect((await h.call('GET', '/meters', { token: secret })).status).toBe(200);
    const list = await h.call('GET', `/users/${user.json.id}/tokens`, { token: admin });
    expect(list.json.items).toHaveLength(1);
    expect(list.json.items[0]).toMatchObject({ id: created.json.id, name: 'scada feed', revokedAt: null });
    expect(list.text).not.toContain(secret);
    expect(list.text).not.toContain(hashToken(secret));
    expect((await h.call('DELETE', `/tokens/${created.json.id}`, { token: admin })).status).toBe(204);
    expect((await h.call('GET', '/meters', { token: secret })).json.error.code).toBe('AUTH_INVALID_TOKEN');
  });

  it('stops a disabled user’s tokens and keeps an admin from disabling themself', async () => {
    const admin = (await h.login()).json.token as string;
    const viewer = await h.tokenFor('viewer', 'vera');
    const vera = await h.store.users.getByName('vera');
    expect(
      (await h.call('PATCH', `/users/${vera!.id}`, { token: admin, body: { disabled: true } })).status,
    ).toBe(200);
    expect((await h.call('GET', '/meters', { token: viewer })).status).toBe(401);
    const me = (await h.call('GET', '/auth/me', { token: admin })).json;
    const self = await h.call('PATCH', `/users/${me.userId}`, { token: admin, body: { disabled: true } });
    expect([self.status, self.json.error.code]).toEqual([409, 'CONFLICT']);
  });
});
