import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { receivedCounterKey } from '@openhes/acquisition';
import { hashToken } from '@openhes/api';
import { importMeters, parseMeterList, Role } from '@openhes/core';
import { exportMeters, type Fleet, startFleet } from '@openhes/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { startHeadEnd } from '../src/commands/start.ts';
import { wire } from '../src/wire.ts';
import { capture, runHes } from './helpers.ts';

const PASSWORD = 'resync-test-password';
const ENV = { HES_ADMIN_PASSWORD: PASSWORD };
const SEED = 31;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The fleet with its meters' counters back at zero (no state file): as if each were factory reset. */
const fleetAt = (port: number): Promise<Fleet> =>
  startFleet({ meters: 2, transformers: 1, seed: SEED, port, tickMs: 0 });

async function floorOf(data: string, meterId: number): Promise<number | null> {
  const w = await wire({ data, env: ENV });
  try {
    return await w.store.counters.current(receivedCounterKey(meterId));
  } finally {
    await w.close();
  }
}

async function auditOf(data: string, meterId: number) {
  const w = await wire({ data, env: ENV });
  try {
    // A refused role never reaches the handler that names the meter: its entry names the route.
    return (await w.store.audit.list({ limit: 500 })).items.filter(
      (a) =>
        a.action === 'meter.security.resync' &&
        (a.target === `meter:${meterId}` || a.target === '/meters/:id/security/resync'),
    );
  } finally {
    await w.close();
  }
}

describe('operator resync of a meter whose invocation counter went back', () => {
  it('through the API (admin only) and the CLI: reads the meter’s counter, lowers the floor, audited with who asked; refused when the meter cannot be read', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-resync-'));
    dirs.push(data);
    let fleet = await fleetAt(0);
    let before = 0;
    const port = fleet.port;
    try {
      const w = await wire({ data, env: ENV });
      try {
        const r = await importMeters(
          { meters: w.store.meters, vault: w.vault },
          parseMeterList([...exportMeters(fleet, 'csv')].join('')),
          { defaultStatus: 'active', allOrNothing: true },
        );
        expect(r.failed).toEqual([]);
      } finally {
        await w.close();
      }

      const { io } = capture();
      const h = await startHeadEnd(
        { data, port: '0', host: '127.0.0.1', logLevel: 'silent', services: 'collector,api' },
        io,
        ENV,
      );
      try {
        const post = async (path: string, token?: string) =>
          fetch(`${h.url}${path}`, {
            method: 'POST',
            headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
          });
        const login = await fetch(`${h.url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: PASSWORD }),
        });
        const admin = ((await login.json()) as { token: string }).token;
        const read = async (id: number) =>
          (await (await post(`/meters/${id}/read?reads=registers`, admin)).json()) as {
            status: string;
            errorCode: string | null;
          };

        expect(await read(1)).toMatchObject({ status: 'success' });
        expect(await read(1)).toMatchObject({ status: 'success' });
        expect(await read(2)).toMatchObject({ status: 'success' });
        before = (await h.store.counters.current(receivedCounterKey(1)))!;

        // The meters come back with their counters at zero: every read is a replay.
        await fleet.close();
        fleet = await fleetAt(port);
        expect(await read(1)).toMatchObject({ status: 'failed', errorCode: 'DRIVER_REPLAY' });

        // Operators may read meters but not lower a replay floor.
        const op = await h.store.users.create({
          name: 'op',
          displayName: 'Operator',
          role: Role.operator,
          passwordHash: null,
        });
        const opToken = 'op-token-for-resync-test-0123456789';
        await h.store.tokens.create({
          userId: op.id,
          name: 'op',
          tokenHash: hashToken(opToken),
          scopes: [],
          expiresAt: null,
        });
        const denied = await post('/meters/1/security/resync', opToken);
        expect(denied.status).toBe(403);

        const res = await post('/meters/1/security/resync', admin);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { previous: number; floor: number; counterObject: string };
        expect(body).toMatchObject({ previous: before, counterObject: '0.0.43.1.3.255' });
        expect(body.floor).toBeLessThan(before);
        expect(await h.store.counters.current(receivedCounterKey(1))).toBe(body.floor);
        expect(await read(1)).toMatchObject({ status: 'success' });

        const unknown = await post('/meters/999/security/resync', admin);
        expect(unknown.status).toBe(404);
      } finally {
        await h.close();
      }

      // The CLI, with the head end stopped: meter 2 was locked out by the same reset.
      const cliBefore = (await floorOf(data, 2))!;
      const ok = await runHes(['meters', 'resync', '2', '--data', data, '--actor', 'alice']);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(
        /^meter 2: counter \d+ read from 0\.0\.43\.1\.3\.255 over management; replay floor \d+ → \d+$/m,
      );
      const cliFloor = (await floorOf(data, 2))!;
      expect(cliFloor).toBeLessThan(cliBefore);

      // A meter that cannot be read: refused, the floor kept.
      await fleet.close();
      const refused = await runHes(['meters', 'resync', '2', '--data', data, '--actor', 'alice']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/resync refused, nothing changed/);
      expect(await floorOf(data, 2)).toBe(cliFloor);

      const api = await auditOf(data, 1);
      expect(api).toContainEqual(
        expect.objectContaining({
          actor: 'admin',
          outcome: 'succeeded',
          detail: expect.objectContaining({ previous: before }),
        }),
      );
      expect(api).toContainEqual(expect.objectContaining({ actor: 'op', outcome: 'denied' }));
      const cli = await auditOf(data, 2);
      expect(cli).toContainEqual(
        expect.objectContaining({
          actor: 'alice',
          outcome: 'succeeded',
          detail: expect.objectContaining({ via: 'cli', previous: cliBefore }),
        }),
      );
      expect(cli).toContainEqual(
        expect.objectContaining({
          actor: 'alice',
          outcome: 'failed',
          detail: expect.objectContaining({ code: 'DRIVER_TRANSPORT' }),
        }),
      );
    } finally {
      await fleet.close().catch(() => {});
    }
  }, 60_000);
});
