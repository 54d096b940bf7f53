import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureAdminUser, hashToken, newTokenSecret, verifyPassword } from '@openhes/api';
import type { Store } from '@openhes/core';
import { openStore } from '@openhes/storage';
import { afterAll, describe, expect, it } from 'vitest';
import { runHes } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function withStore<T>(data: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore({ kind: 'sqlite', path: join(data, 'hes.db') });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

describe('hes users and hes meters set-status (issue 13)', () => {
  const data = mkdtempSync(join(tmpdir(), 'hes-users-'));
  dirs.push(data);

  it('reset-password prints a one-time password that logs in, ends sessions and is audited as cli', async () => {
    const session = newTokenSecret();
    await withStore(data, async (s) => {
      await ensureAdminUser(s.users, 'lost-password-123');
      const admin = (await s.users.getByName('admin'))!;
      await s.tokens.create({
        userId: admin.id,
        name: 'login',
        tokenHash: hashToken(session),
        scopes: ['session'],
        expiresAt: null,
      });
    });
    const r = await runHes(['users', 'reset-password', 'admin', '--data', data, '--actor', 'cli:ops']);
    expect(r.status).toBe(0);
    const otp = /one-time password for admin: (\S+)/.exec(r.stdout)?.[1];
    expect(otp).toBeDefined();
    await withStore(data, async (s) => {
      const admin = (await s.users.getByName('admin'))!;
      expect(await verifyPassword(admin.passwordHash, otp!)).toBe(true);
      expect(await verifyPassword(admin.passwordHash, 'lost-password-123')).toBe(false);
      expect((await s.tokens.findByHash(hashToken(session)))?.revokedAt).not.toBeNull();
      const entries = (await s.audit.list({ limit: 100 })).items.filter(
        (a) => a.action === 'user.password-reset',
      );
      expect(entries).toMatchObject([
        {
          actor: 'cli:ops',
          target: `user:${admin.id}`,
          outcome: 'succeeded',
          detail: { via: 'cli', generated: true },
        },
      ]);
      expect(JSON.stringify(entries)).not.toContain(otp!);
    });
  });

  it('lists users; refuses an unknown user and a directory with no store (without creating one)', async () => {
    const list = await runHes(['users', 'list', '--data', data]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/\tadmin\tadmin\tno\tno\tset/);
    const unknown = await runHes(['users', 'reset-password', 'nobody', '--data', data]);
    expect([unknown.status, unknown.stderr]).toEqual([1, expect.stringContaining('HES_UNKNOWN_USER')]);
    const missing = join(data, 'not-here');
    const none = await runHes(['users', 'reset-password', 'admin', '--data', missing]);
    expect([none.status, none.stderr]).toEqual([1, expect.stringContaining('HES_NO_STORE')]);
    expect(existsSync(missing)).toBe(false);
  });

  it('meters set-status drives the lifecycle, refusals name from, to and allowed', async () => {
    const id = await withStore(data, async (s) => {
      const m = await s.meters.create({
        serial: 'CLI-1',
        manufacturer: 'ACME',
        model: 'X',
        deviceProfile: 'is15959-1ph',
        protocol: 'dlms-tcp',
        address: '127.0.0.1:4059',
      });
      return m.id;
    });
    const refused = await runHes(['meters', 'set-status', String(id), 'suspended', '--data', data]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('a registered meter cannot become suspended');
    expect(refused.stderr).toContain('allowed from registered: commissioned, active, decommissioned');
    const bad = await runHes(['meters', 'set-status', String(id), 'disconnected', '--data', data]);
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringContaining('status must be one of')]);
    const ok = await runHes([
      'meters',
      'set-status',
      String(id),
      'active',
      '--data',
      data,
      '--actor',
      'cli:ops',
    ]);
    expect([ok.status, ok.stdout.trim()]).toEqual([0, `meter ${id} (CLI-1): registered → active`]);
    await withStore(data, async (s) => {
      expect((await s.meters.get(id))?.status).toBe('active');
      const entries = (await s.audit.list({ limit: 100 })).items.filter(
        (a) => a.action === 'meter.set-status',
      );
      expect(entries.map((e) => [e.outcome, e.detail?.from, e.detail?.to])).toEqual([
        ['failed', 'registered', 'suspended'],
        ['succeeded', 'registered', 'active'],
      ]);
    });
  });
});
