import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectionOutcome } from '@openhes/core';
import { openStore } from '@openhes/storage';
import { PG_URL, pgReachable, pgSchema } from '@openhes/testkit/pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HesProcess, spawnHes } from './helpers.ts';

/*
 * `hes start --services api` and `hes start --services scheduler,collector,push` as two
 * processes on one PostgreSQL schema read a demo fleet together; then two `hes collect`
 * processes read the same meters side by side. The meter lease (PostgreSQL) must keep every
 * meter to one session at a time across all of them: the stored outcomes' time spans of one
 * meter never overlap (a session's span starts once its lease is held and ends before the
 * lease is released).
 */

const PASSWORD = 'two-process-password';
const MASTER_KEY = '7f'.repeat(32);
const METERS = 6;
const reachable = await pgReachable(PG_URL);
const schema = pgSchema(PG_URL, 'hes_two_proc');
const dirs: string[] = [];

interface Child extends HesProcess {
  name: string;
}

function hes(name: string, args: string[]): Child {
  const data = mkdtempSync(join(tmpdir(), `hes-2p-${name}-`));
  dirs.push(data);
  const env = { HES_ADMIN_PASSWORD: PASSWORD, HES_MASTER_KEY: MASTER_KEY };
  return { name, ...spawnHes([...args, '--pg', PG_URL, '--pg-schema', schema.schema, '--data', data], env) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms: number,
  who: Child[],
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(250);
  }
  throw new Error(
    `no ${what} within ${ms} ms:\n${who.map((c) => `[${c.name}]\n${c.lines.join('\n')}`).join('\n')}`,
  );
}

const line = (c: Child, pattern: RegExp) => async () => c.lines.find((l) => pattern.test(l));

/** Pairs of sessions of one meter whose spans overlap (skipped tasks had no session). */
function overlaps(outcomes: readonly CollectionOutcome[]): string[] {
  const byMeter = new Map<number, CollectionOutcome[]>();
  for (const o of outcomes) {
    if (o.status === 'skipped') continue;
    const list = byMeter.get(o.meterId) ?? [];
    list.push(o);
    byMeter.set(o.meterId, list);
  }
  const found: string[] = [];
  for (const [meterId, list] of byMeter) {
    list.sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!;
      const b = list[i]!;
      if (b.startedAt < a.finishedAt)
        found.push(
          `meter ${meterId}: ${a.taskId} [${a.startedAt}, ${a.finishedAt}] and ${b.taskId} from ${b.startedAt}`,
        );
    }
  }
  return found;
}

beforeAll(async () => {
  if (reachable) await schema.create();
});

afterAll(async () => {
  if (reachable) await schema.drop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!reachable)('two hes processes on one PostgreSQL database', () => {
  it('an api process and a scheduler/collector/push process read the demo fleet together, one session per meter at a time, also with two collectors side by side', async () => {
    const api = hes('api', ['start', '--services', 'api', '--port', '0', '--log-level', 'silent']);
    const children: Child[] = [api];
    try {
      const listening = await until('API address', line(api, /^OpenHES API listening on /), 60_000, children);
      const url = /(http:\/\/\S+)/.exec(listening)![1]!;
      await until('services line', line(api, /^services: api \(/), 10_000, children);

      const collector = hes('collector', [
        'start',
        '--services',
        'scheduler,collector,push',
        '--demo',
        '--meters',
        String(METERS),
        '--progress-every',
        '0',
      ]);
      children.push(collector);
      await until(
        'demo import',
        line(collector, /^demo: \d+ simulated meters on port \d+, imported \d+/),
        60_000,
        children,
      );
      await until(
        'the demo plan scheduled',
        line(collector, /^scheduled 1 reading plan\(s\) of 1$/),
        30_000,
        children,
      );
      expect(collector.lines.some((l) => l.startsWith('OpenHES API listening'))).toBe(false);

      const login = await fetch(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: PASSWORD }),
      });
      expect(login.status).toBe(200);
      const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
      const meters = (await (await fetch(`${url}/meters?limit=100`, { headers: auth })).json()) as {
        items: { id: number }[];
      };
      expect(meters.items.length).toBeGreaterThan(METERS);
      // Readings stored by the collector process, served by the API process.
      for (const m of meters.items) {
        await until(
          `readings of meter ${m.id} through the API`,
          async () => {
            const r = await fetch(`${url}/meters/${m.id}/readings/latest`, { headers: auth });
            const body = (await r.json()) as { items: { source: string }[] };
            return body.items.some((i) => i.source === 'scheduled') ? true : undefined;
          },
          60_000,
          children,
        );
      }
      // The API process has no collector: an on-demand read is refused clearly.
      const readNow = await fetch(`${url}/meters/${meters.items[0]!.id}/read`, {
        method: 'POST',
        headers: auth,
      });
      expect(readNow.status).toBe(503);

      // Two collectors side by side over the same meters (three plans each, so each process
      // holds sessions for a while), while the collector process keeps its schedule.
      const planFile = join(dirs[0]!, 'plans.json');
      const reads = ['registers', 'events'];
      writeFileSync(
        planFile,
        JSON.stringify({
          plans: ['a', 'b', 'c'].map((name) => ({ name, cron: '0 0 1 1 *', reads, windowSeconds: 0 })),
        }),
      );
      const c1 = hes('collect-1', ['collect', '--once', '--no-push', '--plan', planFile]);
      const c2 = hes('collect-2', ['collect', '--once', '--no-push', '--plan', planFile]);
      children.push(c1, c2);
      expect(await c1.exited).toBe(0);
      expect(await c2.exited).toBe(0);
      for (const c of [c1, c2]) expect(c.lines.some((l) => l.startsWith('summary: meters done'))).toBe(true);
    } finally {
      for (const c of children.slice().reverse()) {
        if (c.child.exitCode === null) c.child.kill('SIGTERM');
      }
      for (const c of children) await c.exited;
    }
    expect(api.lines).toContain('stopped');

    const store = await openStore({ kind: 'postgres', url: PG_URL, schema: schema.schema });
    try {
      const outcomes: CollectionOutcome[] = [];
      let cursor: string | null = null;
      do {
        const page = await store.collection.list({ limit: 1000, cursor });
        outcomes.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== null);
      const sessions = outcomes.filter((o) => o.status !== 'skipped');
      const fromCollectRuns = sessions.filter((o) => /^[abc]@/.test(o.taskId));
      const busy = outcomes.filter((o) => o.errorCode === 'ACQ_METER_BUSY');
      // Every meter was read by the side-by-side collectors, and none ever had two sessions at once.
      expect(new Set(fromCollectRuns.filter((o) => o.status === 'success').map((o) => o.meterId)).size).toBe(
        new Set(sessions.map((o) => o.meterId)).size,
      );
      expect(overlaps(outcomes)).toEqual([]);
      console.log(
        `two-process run: ${sessions.length} sessions over ${new Set(sessions.map((o) => o.meterId)).size} meters, ${busy.length} tasks skipped because another process held the meter`,
      );
    } finally {
      await store.close();
    }
  }, 240_000);
});
