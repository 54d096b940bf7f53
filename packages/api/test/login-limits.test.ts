import { afterEach, describe, expect, it } from 'vitest';
import { parseTrustProxy } from '../src/app.ts';
import { FAILED_AUTH_ACTION } from '../src/auth/failed-auth.ts';
import { LoginLimiter } from '../src/auth/rate-limit.ts';
import { ADMIN_PASSWORD, type Harness, startApi } from './helpers.ts';

const from = (ip: string) => ({ headers: { 'x-forwarded-for': ip } });

describe('login limits', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('limits one address across usernames: spraying one password over many users is slowed down', async () => {
    h = await startApi({ loginLimit: { address: { maxFailures: 5, lockoutMs: 2_000 } } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await h.call('POST', '/auth/login', {
        body: { username: `user-${i}`, password: 'Winter2025!' },
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const held = await h.login();
    expect([held.status, held.json.error.code]).toEqual([429, 'AUTH_RATE_LIMITED']);
    expect(Number(held.headers.get('retry-after'))).toBe(2);
  });

  it('grows the delay exponentially per user and per address, up to a cap', () => {
    let t = 0;
    const l = new LoginLimiter(
      { now: () => t },
      { maxFailures: 2, lockoutMs: 1_000, maxDelayMs: 8_000, address: { maxFailures: 100 } },
    );
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      l.failed('alice', `10.0.0.${i}`);
      const w = l.check('alice', '10.9.9.9').retryAfterMs;
      waits.push(w);
      t += w;
    }
    expect(waits).toEqual([0, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    let u = 0;
    const a = new LoginLimiter(
      { now: () => u },
      { maxFailures: 1_000, address: { maxFailures: 3, lockoutMs: 500, maxDelayMs: 1_500 } },
    );
    const byAddress: number[] = [];
    for (let i = 0; i < 6; i++) {
      a.failed(`user-${i}`, '192.0.2.1');
      const v = a.check('someone-else', '192.0.2.1');
      byAddress.push(v.retryAfterMs);
      u += v.retryAfterMs;
    }
    expect(byAddress).toEqual([0, 0, 500, 1_000, 1_500, 1_500]);
    expect(a.check('someone-else', '192.0.2.2').retryAfterMs).toBe(0);
  });

  it('cannot lock a user out: failures from elsewhere only delay (capped), and a known address is exempt', async () => {
    h = await startApi();
    // Behind one address (no proxy configured, or a shared NAT): the user logged in from here
    // before; five wrong passwords by someone else no longer lock them out for 15 minutes.
    expect((await h.login()).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await h.login('admin', `guess-${i}`)).status).toBe(401);
    expect((await h.login()).status).toBe(200);
    await h.close();
    h = await startApi({ trustProxy: '127.0.0.1' });
    expect(
      (
        await h.call('POST', '/auth/login', {
          body: { username: 'admin', password: ADMIN_PASSWORD },
          ...from('198.51.100.7'),
        })
      ).status,
    ).toBe(200);
    // A stranger fails 30 times from 30 addresses.
    for (let i = 0; i < 30; i++) {
      await h.call('POST', '/auth/login', {
        body: { username: 'admin', password: `guess-${i}` },
        ...from(`203.0.113.${i}`),
      });
    }
    // The admin's usual address is not held back by the per-user delay.
    const usual = await h.call('POST', '/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
      ...from('198.51.100.7'),
    });
    expect(usual.status).toBe(200);
    // From a new address the user waits at most the per-user cap (a minute), never 15 minutes.
    const fresh = await h.call('POST', '/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
      ...from('198.51.100.99'),
    });
    if (fresh.status === 429) expect(Number(fresh.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    h.clock.t += 60_000;
    const later = await h.call('POST', '/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
      ...from('198.51.100.99'),
    });
    expect(later.status).toBe(200);
  });

  it('reads HES_TRUST_PROXY-style settings: off unless set', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('')).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('10.0.0.1, 10.1.0.0/16')).toEqual(['10.0.0.1', '10.1.0.0/16']);
  });

  it('trusts X-Forwarded-For only when configured', async () => {
    h = await startApi({
      loginLimit: { maxFailures: 1_000, address: { maxFailures: 2, lockoutMs: 10_000 } },
    });
    // Not configured: a forged header does not give each attempt a new address.
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push(
        (
          await h.call('POST', '/auth/login', {
            body: { username: `u${i}`, password: 'x' },
            ...from(`203.0.113.${i}`),
          })
        ).status,
      );
    }
    expect(codes).toEqual([401, 401, 429, 429]);
    await h.close();
    h = await startApi({
      trustProxy: '127.0.0.1',
      loginLimit: { maxFailures: 1_000, address: { maxFailures: 2, lockoutMs: 10_000 } },
    });
    const behindProxy: number[] = [];
    for (let i = 0; i < 4; i++) {
      behindProxy.push(
        (
          await h.call('POST', '/auth/login', {
            body: { username: `u${i}`, password: 'x' },
            ...from(`203.0.113.${i}`),
          })
        ).status,
      );
    }
    expect(behindProxy).toEqual([401, 401, 401, 401]);
    const audit = await h.store.audit.list({ limit: 100 });
    expect(audit.items.filter((a) => a.action === 'auth.login').length).toBe(0);
  });

  it('audits refused credentials in aggregate: one entry per source per period, with a count', async () => {
    h = await startApi({ trustProxy: 'true', failedAuthAudit: { periodMs: 60_000 } });
    for (let i = 0; i < 25; i++)
      await h.call('GET', '/meters', { token: 'hes_bogus', ...from('203.0.113.5') });
    for (let i = 0; i < 10; i++) await h.call('GET', '/meters', from('203.0.113.5'));
    for (let i = 0; i < 3; i++) await h.call('GET', '/meters', from('203.0.113.6'));
    for (let i = 0; i < 4; i++) await h.login('admin', `wrong-${i}`);
    const before = await h.store.audit.list({ limit: 1_000 });
    expect(before.items.filter((a) => a.action === FAILED_AUTH_ACTION)).toEqual([]);
    h.clock.t += 60_000;
    await h.call('GET', '/meters', from('203.0.113.7'));
    await new Promise((r) => setTimeout(r, 50));
    const entries = (await h.store.audit.list({ limit: 1_000 })).items.filter(
      (a) => a.action === FAILED_AUTH_ACTION,
    );
    const byIp = Object.fromEntries(entries.map((a) => [a.detail?.ip, a.detail]));
    expect(entries.length).toBe(3);
    expect(byIp['203.0.113.5']).toMatchObject({
      count: 35,
      reasons: { AUTH_INVALID_TOKEN: 25, AUTH_REQUIRED: 10 },
    });
    expect(byIp['203.0.113.6']).toMatchObject({ count: 3 });
    expect(byIp['127.0.0.1']).toMatchObject({
      count: 4,
      reasons: { AUTH_INVALID_CREDENTIALS: 4 },
      usernames: { admin: 4 },
    });
    expect(entries.every((a) => a.outcome === 'denied' && a.actor === 'anonymous')).toBe(true);
    // The open period is written on close.
    const store = h.store;
    await h.app.close();
    const closed = (await store.audit.list({ limit: 1_000 })).items.filter(
      (a) => a.action === FAILED_AUTH_ACTION,
    );
    expect(closed.length).toBe(4);
  });
});
