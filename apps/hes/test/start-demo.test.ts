import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HesProcess, spawnHes } from './helpers.ts';

const PASSWORD = 'demo-test-password';
const METERS = 12;

type Running = HesProcess;

function start(data: string): Running {
  return spawnHes(
    ['start', '--demo', '--data', data, '--port', '0', '--meters', String(METERS), '--progress-every', '2s'],
    { HES_ADMIN_PASSWORD: PASSWORD },
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  r: Running,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(`no ${what} within ${ms} ms:\n${r.lines.join('\n')}`);
}

async function listening(r: Running): Promise<string> {
  return until(
    'API address',
    async () => {
      const line = r.lines.find((l) => l.startsWith('OpenHES API listening on '));
      return line === undefined ? undefined : /(http:\/\/\S+)/.exec(line)?.[1];
    },
    r,
    30_000,
  );
}

async function login(url: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return { authorization: `Bearer ${((await res.json()) as { token: string }).token}` };
}

async function get<T>(url: string, headers: Record<string, string>): Promise<T> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

interface Latest {
  items: { obis: string; unit: string; value: number; source: string }[];
}

async function stop(r: Running): Promise<number | null> {
  r.child.kill('SIGTERM');
  return r.exited;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('hes start --demo (the command `npm start` runs)', () => {
  it('shows readings of the simulated fleet through the API within a minute, stops cleanly and resumes', async () => {
    const data = mkdtempSync(join(tmpdir(), 'hes-demo-'));
    dirs.push(data);
    const first = start(data);
    try {
      const url = await listening(first);
      expect(first.lines.some((l) => /^demo: \d+ simulated meters on port \d+, imported \d+/.test(l))).toBe(
        true,
      );
      const auth = await login(url);
      const meters = await get<{ items: { id: number; serial: string }[] }>(`${url}/meters?limit=100`, auth);
      expect(meters.items.length).toBeGreaterThan(METERS);
      const plans = await get<{ items: { name: string; cron: string; enabled: boolean }[] }>(
        `${url}/plans`,
        auth,
      );
      expect(plans.items).toMatchObject([{ name: 'demo', cron: '* * * * *', enabled: true }]);
      const firstId = meters.items[0]!.id;
      const latest = await until(
        'readings',
        async () => {
          const l = await get<Latest>(`${url}/meters/${firstId}/readings/latest`, auth);
          return l.items.length > 0 ? l : undefined;
        },
        first,
        60_000,
      );
      expect(latest.items.some((i) => i.unit === 'Wh' && i.source === 'scheduled')).toBe(true);
      const metrics = await until(
        'collection metrics',
        async () => {
          const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
          return /hes_collection_outcomes_total\{status="success"\} [1-9]/.test(text) ? text : undefined;
        },
        first,
        30_000,
      );
      expect(metrics).toMatch(/hes_store_writes_total\{kind="readings"\} [1-9]/);
      expect(metrics).toMatch(/hes_store_writes_total\{kind="outcomes"\} [1-9]/);
      expect(metrics).toMatch(/hes_session_duration_seconds_count\{status="success"\} [1-9]/);
      expect(metrics).toMatch(/hes_queue_depth \d+/);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(first.lines).toContain('stopped');

    const second = start(data);
    try {
      const url = await listening(second);
      expect(second.lines.some((l) => l.startsWith('created user'))).toBe(false);
      expect(
        second.lines.some((l) => /^demo: \d+ simulated meters on port \d+, already in the store$/.test(l)),
      ).toBe(true);
      const auth = await login(url);
      const meters = await get<{ items: { serial: string }[] }>(`${url}/meters?limit=100`, auth);
      expect(new Set(meters.items.map((m) => m.serial)).size).toBe(meters.items.length);
      expect(meters.items.length).toBe(METERS + 1);
      const plans = await get<{ items: { id: number }[] }>(`${url}/plans`, auth);
      expect(plans.items).toHaveLength(1);
      const disabled = await fetch(`${url}/plans/${plans.items[0]!.id}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'demo',
          cron: '*/5 * * * *',
          reads: ['registers'],
          meters: { ids: [1] },
          windowSeconds: 0,
          enabled: false,
        }),
      });
      expect(disabled.status).toBe(200);
      await until(
        'reschedule',
        async () => second.lines.find((l) => l === 'plans changed: scheduled 0 reading plan(s) of 1'),
        second,
        10_000,
      );
      const latest = await get<Latest>(`${url}/meters/1/readings/latest`, auth);
      expect(latest.items.length).toBeGreaterThan(0);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 150_000);
});
