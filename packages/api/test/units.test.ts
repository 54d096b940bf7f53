import { StorageError } from '@openhes/storage';
import { describe, expect, it } from 'vitest';
import { LoginLimiter } from '../src/auth/rate-limit.ts';
import { bearerToken } from '../src/auth/tokens.ts';
import { toHttpError } from '../src/errors.ts';

describe('LoginLimiter', () => {
  it('forgets failures older than the window and locks after maxFailures inside it', () => {
    const clock = { now: () => t };
    let t = 0;
    const l = new LoginLimiter(clock, { maxFailures: 3, windowMs: 1000, lockoutMs: 5000 });
    const k = LoginLimiter.key('Admin', '10.0.0.1');
    l.fail(k);
    l.fail(k);
    t = 1500;
    l.fail(k);
    expect(l.retryAfterMs(k)).toBe(0);
    l.fail(k);
    l.fail(k);
    expect(l.retryAfterMs(k)).toBe(5000);
    expect(l.retryAfterMs(LoginLimiter.key('admin', '10.0.0.2'))).toBe(0);
    t = 6500;
    expect(l.retryAfterMs(k)).toBe(0);
    l.succeed(k);
    expect(l.retryAfterMs(k)).toBe(0);
  });

  it('keys usernames case-insensitively and keeps at most maxKeys entries', () => {
    const l = new LoginLimiter({ now: () => 0 }, { maxFailures: 1, maxKeys: 2 });
    for (const ip of ['a', 'b', 'c']) l.fail(LoginLimiter.key('u', ip));
    expect(l.retryAfterMs(LoginLimiter.key('U', 'a'))).toBe(0);
    expect(l.retryAfterMs(LoginLimiter.key('U', 'c'))).toBeGreaterThan(0);
  });
});

describe('bearerToken', () => {
  it('accepts only the Bearer scheme with one credential', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });
});

describe('toHttpError', () => {
  it('maps storage codes to statuses and never leaks internal messages', () => {
    expect(toHttpError(new StorageError('STORAGE_BUSY', 'locked')).status).toBe(503);
    expect(toHttpError(new StorageError('STORAGE_CONFLICT', 'dup')).body.error.code).toBe('CONFLICT');
    const internal = toHttpError(new Error('secret path /etc/x'));
    expect(internal).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'internal error' } },
    });
  });
});
