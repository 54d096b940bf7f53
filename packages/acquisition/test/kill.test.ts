import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDriverProfiles, profileObject } from '@openhes/drivers';
import { exportMeters, type Fleet, meterRecord, startFleet } from '@openhes/simulator';
import { createSecretVault, loadMasterKey, openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastStoredInterval } from '../src/index.ts';
import { importFleet } from './harness.ts';
import { compare, expectedProfile, storedReadings } from './truth.ts';

const CHILD = fileURLToPath(new URL('./fixtures/collect-child.ts', import.meta.url));
const PROFILES = loadDriverProfiles();
const DAY = 86_400_000;
const START = Date.UTC(2026, 2, 9);
const NOW = START + 3 * DAY;
const BACKFILL = 3 * DAY;

let dir: string;
let dbPath: string;
let fleet: Fleet;
const ids: number[] = [];

interface Ack {
  readings: number;
  last: number;
}

/** Runs the collector child; with `killAfter`, SIGKILLs it once that many tasks are acknowledged. */
function runChild(killAfter?: number): Promise<{ acks: Map<number, Ack>; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, dbPath, dir, String(NOW), String(BACKFILL)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const acks = new Map<number, Ack>();
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.stdout.on('data', (d) => {
      buf += String(d);
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ACK (\d+) (\d+) (\d+)$/.exec(line);
        if (m) acks.set(Number(m[1]), { readings: Number(m[2]), last: Number(m[3]) });
      }
      if (killAfter !== undefined && acks.size >= killAfter && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ acks, killed: true });
      else if (code === 0) resolve({ acks, killed: false });
      else reject(new Error(`collector child exited ${code}: ${stderr}`));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hes-kill-'));
  dbPath = join(dir, 'hes.db');
  fleet = await startFleet({
    meters: 14,
    transformers: 1,
    mix: { residential: 0.6, commercial: 0.2, industrial: 0.2 },
    seed: 11,
    startAt: START,
    clock: () => NOW,
    port: 0,
    tickMs: 0,
    latency: 5,
  });
  const store = await openStore({ kind: 'sqlite', path: dbPath, durability: 'normal' });
  const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
  await importFleet(store, vault, [...exportMeters(fleet, 'csv')].join(''));
  for (let i = 0; i < fleet.size; i++)
    ids.push((await store.meters.getBySerial(meterRecord(fleet, i).serial))!.id);
  await store.close();
});

afterAll(async () => {
  await fleet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function problemsOf(index: number): Promise<string[]> {
  const store = await openStore({ kind: 'sqlite', path: dbPath, durability: 'normal' });
  try {
    const profile = PROFILES.get(meterRecord(fleet, index).profile)!;
    const obis = profileObject(profile, 'block')!.obis;
    const expected = expectedProfile(fleet, index, profile, obis, NOW - BACKFILL, NOW);
    return compare(expected, await storedReadings(store, ids[index]!, ['interval'], 0, NOW), true);
  } finally {
    await store.close();
  }
}

describe('collector killed mid-run', () => {
  it('loses nothing acknowledged, duplicates nothing, and resumes from where the data ends', async () => {
    const first = await runChild(4);
    expect(first.killed).toBe(true);
    expect(first.acks.size).toBeGreaterThanOrEqual(4);
    expect(first.acks.size).toBeLessThan(fleet.size);
    const store = await openStore({ kind: 'sqlite', path: dbPath, durability: 'normal' });
    for (const [meterId, ack] of first.acks) {
      expect(ack.readings).toBeGreaterThan(0);
      expect(await lastStoredInterval(store, meterId)).toBe(ack.last);
    }
    await store.close();
    for (const meterId of first.acks.keys()) expect(await problemsOf(ids.indexOf(meterId))).toEqual([]);

    const second = await runChild();
    expect(second.killed).toBe(false);
    expect([...second.acks.keys()].sort()).toEqual([...ids].sort());
    for (const [meterId, ack] of first.acks)
      expect(second.acks.get(meterId)).toEqual({ ...ack, readings: 0 });
    expect([...second.acks.values()].some((a) => a.readings > 0)).toBe(true);
    for (let i = 0; i < fleet.size; i++) expect(await problemsOf(i)).toEqual([]);
  }, 60_000);
});
