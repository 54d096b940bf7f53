import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startHeadEnd } from '../src/commands/start.ts';
import { APPROVAL_THRESHOLD_ENV, controlOptionsFrom } from '../src/services/control.ts';
import { wire } from '../src/wire.ts';
import { capture, runHes } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'hes-threshold-'));
  dirs.push(d);
  return d;
};

async function addMeters(store: Awaited<ReturnType<typeof wire>>['store'], n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = await store.meters.create({
      serial: `THR-${i}`,
      manufacturer: 'x',
      model: 'is15959-1ph',
      deviceProfile: 'is15959-1ph',
      protocol: 'dlms-tcp',
      address: `192.0.2.${i + 1}:4059?logical=1`,
      status: 'active',
    });
    ids.push(m.id);
  }
  return ids;
}

describe('the two-person threshold is configurable in the head end', () => {
  it('--approval-threshold wins over HES_CONTROL_APPROVAL_THRESHOLD; neither: the default; bad values refused naming where they came from', () => {
    expect(controlOptionsFrom(undefined, {})).toEqual({});
    expect(controlOptionsFrom(undefined, { [APPROVAL_THRESHOLD_ENV]: '' })).toEqual({});
    expect(controlOptionsFrom(undefined, { [APPROVAL_THRESHOLD_ENV]: '7' })).toEqual({
      approvalThreshold: 7,
    });
    expect(controlOptionsFrom('0', { [APPROVAL_THRESHOLD_ENV]: '7' })).toEqual({ approvalThreshold: 0 });
    for (const bad of ['-1', '2.5', 'many', ' ', '1e12'])
      expect(() => controlOptionsFrom(bad, {})).toThrow(
        expect.objectContaining({
          code: 'CONTROL_INVALID',
          message: expect.stringContaining('--approval-threshold'),
        }),
      );
    expect(() => controlOptionsFrom(undefined, { [APPROVAL_THRESHOLD_ENV]: 'x' })).toThrow(
      /HES_CONTROL_APPROVAL_THRESHOLD must be a whole number/,
    );
  });

  it('the CLI’s control port honours HES_CONTROL_APPROVAL_THRESHOLD: a disconnect campaign over 3 meters waits for approval with 2, runs with the default', async () => {
    const data = tempDir();
    let ids: number[] = [];
    const w = await wire({ data, env: {} });
    try {
      await w.store.users.create({ name: 'alice', displayName: 'A', role: 'operator', passwordHash: null });
      ids = await addMeters(w.store, 3);
    } finally {
      await w.close();
    }
    const create = (name: string) =>
      runHes([
        'campaign',
        'create',
        '--name',
        name,
        '--kind',
        'disconnect',
        '--ids',
        ids.join(','),
        '--reason',
        'non-payment',
        '--as',
        'alice',
        '--json',
        '--data',
        data,
      ]);
    const before = process.env[APPROVAL_THRESHOLD_ENV];
    try {
      process.env[APPROVAL_THRESHOLD_ENV] = '2';
      const held = await create('arrears a');
      expect(held.stderr).toBe('');
      expect(JSON.parse(held.stdout)).toMatchObject({ state: 'awaiting-approval', meterCount: 3 });
      process.env[APPROVAL_THRESHOLD_ENV] = 'lots';
      const bad = await create('arrears b');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/HES_CONTROL_APPROVAL_THRESHOLD must be a whole number.*CONTROL_INVALID/);
      delete process.env[APPROVAL_THRESHOLD_ENV];
      const runs = await create('arrears c');
      expect(JSON.parse(runs.stdout)).toMatchObject({ state: 'running', meterCount: 3 });
    } finally {
      if (before === undefined) delete process.env[APPROVAL_THRESHOLD_ENV];
      else process.env[APPROVAL_THRESHOLD_ENV] = before;
    }
  });

  it('hes start --approval-threshold: the API-only process holds a disconnect campaign over more meters for approval; a bad value stops the start before anything is written', async () => {
    const PASSWORD = 'threshold-password';
    const env = { HES_ADMIN_PASSWORD: PASSWORD, HES_MASTER_KEY: '3c'.repeat(32) };
    const base = { port: '0', host: '127.0.0.1', logLevel: 'silent', progressEvery: '0', services: 'api' };
    const refused = tempDir();
    await expect(
      startHeadEnd({ ...base, data: refused, approvalThreshold: 'x' }, capture().io, env),
    ).rejects.toThrow(/--approval-threshold must be a whole number/);

    const campaignState = async (threshold: string | undefined, envThreshold?: string): Promise<string> => {
      const running = await startHeadEnd(
        { ...base, data: tempDir(), ...(threshold === undefined ? {} : { approvalThreshold: threshold }) },
        capture().io,
        envThreshold === undefined ? env : { ...env, [APPROVAL_THRESHOLD_ENV]: envThreshold },
      );
      try {
        const ids = await addMeters(running.store, 3);
        const login = await fetch(`${running.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: PASSWORD }),
        });
        const { token } = (await login.json()) as { token: string };
        const r = await fetch(`${running.url}/campaigns`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'arrears',
            kind: 'disconnect',
            target: { meterIds: ids },
            reason: 'non-payment',
          }),
        });
        const body = (await r.json()) as { state: string };
        expect(r.status, JSON.stringify(body)).toBe(202);
        return body.state;
      } finally {
        await running.close(0);
      }
    };
    expect(await campaignState('2')).toBe('awaiting-approval');
    expect(await campaignState(undefined, '2')).toBe('awaiting-approval');
    expect(await campaignState('5', '2')).toBe('running');
  }, 30_000);
});
