import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi, hashToken, newTokenSecret } from '@openhes/api';
import { exportMeters, startFleet } from '@openhes/simulator';
import { afterAll, describe, expect, it } from 'vitest';
import { wire } from '../src/wire.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("the simulator's export imported over the API (issue 13)", () => {
  it('CSV and JSON exports import as the CLI imports them: meters active, every key stored encrypted, none echoed', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-import-export-'));
    dirs.push(data);
    const fleet = await startFleet({ meters: 3, transformers: 1, seed: 5, port: 0, tickMs: 0 });
    const w = await wire({ data, env: {} });
    const app = await buildApi({
      store: w.store,
      vault: w.vault,
      deviceProfiles: new Set(w.profiles.keys()),
    });
    try {
      const user = await w.store.users.create({
        name: 'op',
        displayName: 'op',
        role: 'operator',
        passwordHash: null,
      });
      const secret = newTokenSecret();
      await w.store.tokens.create({
        userId: user.id,
        name: 't',
        tokenHash: hashToken(secret),
        scopes: ['api'],
        expiresAt: null,
      });
      const headers = { authorization: `Bearer ${secret}` };
      const csv = [...exportMeters(fleet, 'csv')].join('');
      const ek = csv.split('\n')[1]!.split(',')[13]!;
      expect(ek).toMatch(/^[0-9A-Fa-f]{32}$/);
      const res = await app.inject({
        method: 'POST',
        url: '/meters/import',
        headers: { ...headers, 'content-type': 'text/csv' },
        payload: csv,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ created: fleet.size, failed: [], keysStored: fleet.size * 4 });
      expect(res.body.toLowerCase()).not.toContain(ek.toLowerCase());
      const json = [...exportMeters(fleet, 'json')].join('');
      const again = await app.inject({
        method: 'POST',
        url: '/meters/import',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: json,
      });
      expect(again.json()).toMatchObject({ created: 0, existing: fleet.size, failed: [] });
      const page = await w.store.meters.list({ limit: 100 });
      expect(page.items.map((m) => m.status)).toEqual(Array(fleet.size).fill('active'));
      const first = page.items[0]!;
      expect(Object.keys(first.keyRefs).sort()).toEqual(['gak', 'guek', 'kek', 'lls-password']);
      expect(Buffer.from((await w.vault.get(first.id, 'guek'))!).toString('hex')).toBe(ek.toLowerCase());
    } finally {
      await app.close();
      await w.close();
      await fleet.close();
    }
  });
});
