import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownDeviceProfiles } from '@openhes/acquisition';
import { importMeters, parseMeterList } from '@openhes/core';
import {
  exportMeters,
  type Fleet,
  meterRecord,
  methodCount,
  relayState,
  startFleet,
} from '@openhes/simulator';
import { PG_URL, pgReachable, pgSchema } from '@openhes/testkit/pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningHeadEnd, type StartOptions, startHeadEnd } from '../src/commands/start.ts';
import { wire } from '../src/wire.ts';
import { capture } from './helpers.ts';

/*
 * The store is the queue: `hes start --services api` (no collector, no runner) takes a
 * disconnect through the REST API and stores it; `hes start --services collector,control` on
 * the same PostgreSQL schema runs it on the simulated meter.
 */

const reachable = await pgReachable(PG_URL);
const schema = pgSchema(PG_URL, 'hes_control_api');
const PASSWORD = 'control-api-password';
const ENV = { HES_ADMIN_PASSWORD: PASSWORD, HES_MASTER_KEY: '5c'.repeat(32) };
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

const options = (services: string): StartOptions => {
  const data = mkdtempSync(join(tmpdir(), 'hes-control-api-'));
  cleanup.push(() => rmSync(data, { recursive: true, force: true }));
  return {
    data,
    pg: PG_URL,
    pgSchema: schema.schema,
    port: '0',
    host: '127.0.0.1',
    logLevel: 'silent',
    services,
    progressEvery: '0',
  };
};

describe.skipIf(!reachable)('meter control across processes (PostgreSQL)', () => {
  it('an API-only head end stores the command; the head end with the collector runs it on the meter', async () => {
    await schema.create();
    cleanup.push(() => schema.drop());
    const fleet: Fleet = await startFleet({
      meters: 3,
      transformers: 1,
      seed: 5,
      port: 0,
      tickMs: 0,
      background: false,
    });
    cleanup.push(() => fleet.close());

    const api: RunningHeadEnd = await startHeadEnd(options('api'), capture().io, ENV);
    cleanup.push(() => api.close(0));
    {
      const w = await wire({ data: options('x').data, pg: PG_URL, pgSchema: schema.schema, env: ENV });
      try {
        await importMeters(
          { meters: w.store.meters, vault: w.vault },
          parseMeterList([...exportMeters(fleet, 'csv')].join('')),
          { profiles: knownDeviceProfiles(w.profiles), defaultStatus: 'active', allOrNothing: true },
        );
      } finally {
        await w.close();
      }
    }
    const index = 0;
    const meter = (await api.store.meters.list({ limit: 10 })).items.find(
      (m) => m.serial === meterRecord(fleet, index).serial,
    )!;
    const login = await fetch(`${api.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const asked = await fetch(`${api.url}/meters/${meter.id}/disconnect`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ reason: 'non-payment' }),
    });
    expect(asked.status).toBe(202);
    const { id } = (await asked.json()) as { id: number };
    // Nobody runs it yet: stored and queued, the meter untouched.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api.store.commands.get(id))?.state).toBe('queued');
    expect(methodCount(fleet.truth, index, 70, '0.0.96.3.10.255', 1)).toBe(0);

    const runner = await startHeadEnd(options('collector,control'), capture().io, ENV);
    cleanup.push(() => runner.close(0));
    let state = '';
    for (let i = 0; i < 200 && state !== 'confirmed' && state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await fetch(`${api.url}/commands/${id}`, { headers: auth });
      state = ((await r.json()) as { state: string }).state;
    }
    expect(state).toBe('confirmed');
    expect(relayState(fleet.truth, index, fleet.now()).output).toBe(false);
    expect(methodCount(fleet.truth, index, 70, '0.0.96.3.10.255', 1)).toBe(1);
  }, 60_000);
});
