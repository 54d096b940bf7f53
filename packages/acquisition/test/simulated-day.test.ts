import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewReadingPlan, Store } from '@openhes/core';
import { loadDriverProfiles, profileObject, registerObjects } from '@openhes/drivers';
import { exportMeters, type Fleet, IDEAL_LINK, meterLink, meterRecord, startFleet } from '@openhes/simulator';
import { createSecretVault, loadMasterKey, openStore } from '@openhes/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Collector, createCollector, MeterAccess, nextRuns, parsePlans, selects } from '../src/index.ts';
import { importFleet } from './harness.ts';
import { compare, type Expected, expectedProfile, expectedRegisters, storedReadings } from './truth.ts';

const PROFILES = loadDriverProfiles();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 2, 9);
/*
 * As the issue asks: 300 ms latency (the simulator spreads it per meter over 150–450 ms), ± 100 ms
 * jitter per frame, 2 % of the meters' frames lost, 1 % silent meters.
 */
const LINK = { latencyMs: 300, jitterMs: 100, loss: 0.02, silent: 0.01 };
/*
 * The response timeout is the silence allowed from a meter (each HDLC segment or wrapper chunk
 * re-arms it), so a day of 3-phase block profile in dozens of HDLC segments fits in it. The
 * HDLC poll timer defaults to a quarter of it (625 ms), above the slowest one-way delay
 * (450 + 100 ms), so a lost segment is polled for again before the read gives up.
 */
const RESPONSE_TIMEOUT_MS = 2500;
/** Seed 2 makes meters 8 and 48 of 51 silent. */
const SEED = 2;

let dir: string;
let store: Store;
let fleet: Fleet;
let collector: Collector;
let simNow = START;
const ids: number[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hes-day-'));
  store = await openStore({ kind: 'sqlite', path: join(dir, 'hes.db'), durability: 'normal' });
  fleet = await startFleet({
    meters: 50,
    transformers: 1,
    mix: { residential: 0.6, commercial: 0.25, industrial: 0.15 },
    seed: SEED,
    startAt: START,
    clock: () => simNow,
    port: 0,
    tickMs: 0,
    link: LINK,
  });
  const vault = createSecretVault(store.keys, loadMasterKey(dir, {}));
  await importFleet(store, vault, [...exportMeters(fleet, 'csv')].join(''));
  for (let i = 0; i < fleet.size; i++)
    ids.push((await store.meters.getBySerial(meterRecord(fleet, i).serial))!.id);
  const access = new MeterAccess(store, vault, PROFILES, {
    responseTimeoutMs: RESPONSE_TIMEOUT_MS,
    connectTimeoutMs: 2000,
    now: () => simNow,
  });
  collector = createCollector(store, access, {
    clock: { now: () => simNow },
    policy: { blockBackfillMs: 12 * HOUR },
    collector: {
      // Every meter at once: a run lasts as long as its slowest meter (the silent ones: 8 timeouts).
      concurrency: 64,
      maxAttempts: 8,
      backoffMs: 20,
      maxBackoffMs: 200,
      flagAfter: 2,
      flaggedBackoffMs: DAY,
    },
  });
});

afterAll(async () => {
  await fleet?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const PLANS: NewReadingPlan[] = parsePlans({
  plans: [
    { name: 'block', cron: '0 */12 * * *', reads: ['block'], meters: 'all' },
    { name: 'daily', cron: '30 0 * * *', reads: ['daily', 'registers', 'events'], meters: 'all' },
  ],
});

describe('a simulated day collected by the plans over a lossy link', () => {
  it('stores every interval and register exactly as the truth; ≥ 99.9 % of reachable meters complete; silent meters flagged', async () => {
    const runs = PLANS.flatMap((plan) =>
      nextRuns(plan, new Date(START), 8)
        .filter((d) => d.getTime() <= START + DAY + HOUR)
        .map((d) => ({ plan, at: d.getTime() })),
    ).sort((a, b) => a.at - b.at);
    expect(runs.map((r) => `${r.plan.name}@${(r.at - START) / 60_000}`)).toEqual([
      'daily@30',
      'block@720',
      'block@1440',
      'daily@1470',
    ]);
    for (const run of runs) {
      simNow = run.at;
      const meters = await Promise.all(ids.map((id) => store.meters.get(id)));
      await Promise.all(
        meters
          .filter((m) => m !== null && selects(run.plan.meters, m))
          .map((m) =>
            collector.submit({
              id: `${run.plan.name}-${run.at}-${m!.id}`,
              meterId: m!.id,
              reads: run.plan.reads,
              priority: 'scheduled',
            }),
          ),
      );
    }
    const final = simNow;
    const silent = new Set<number>();
    for (let i = 0; i < fleet.size; i++)
      if (meterLink(SEED, i, { ...IDEAL_LINK, ...LINK }).behaviour === 'silent') silent.add(i);
    expect([...silent]).toEqual([8, 48]);

    const incomplete: string[] = [];
    let reachable = 0;
    let complete = 0;
    for (let i = 0; i < fleet.size; i++) {
      if (silent.has(i)) continue;
      reachable++;
      const profile = PROFILES.get(meterRecord(fleet, i).profile)!;
      const blockObject = profileObject(profile, 'block')!;
      const block = expectedProfile(fleet, i, profile, blockObject.obis, START, START + DAY);
      const registers: Expected = expectedRegisters(fleet, i, registerObjects(profile), final);
      expectedProfile(
        fleet,
        i,
        profile,
        profileObject(profile, 'daily')!.obis,
        final - 2 * DAY,
        final,
        registers,
      );
      const problems = [
        ...compare(block, await storedReadings(store, ids[i]!, ['interval'], START - DAY, final), true),
        ...compare(registers, await storedReadings(store, ids[i]!, ['register'], 0, final), false),
      ];
      expect(block.size).toBeGreaterThan(0);
      expect([...block.values()][0]!.size).toBeGreaterThanOrEqual(
        (0.9 * DAY) / 1000 / blockObject.profile!.capturePeriod,
      );
      if (problems.length === 0) complete++;
      else incomplete.push(`meter ${i}: ${problems.slice(0, 3).join('; ')}`);
    }
    expect(incomplete).toEqual([]);
    expect(complete / reachable).toBeGreaterThanOrEqual(0.999);
    const flagged = new Set(collector.flaggedMeters());
    expect(ids.filter((id) => flagged.has(id))).toEqual([...silent].map((i) => ids[i]!));
    const audit = await store.audit.list({ limit: 1000 });
    expect(
      audit.items
        .filter((a) => a.action === 'meter.flagged')
        .map((a) => a.target)
        .sort(),
    ).toEqual([...silent].map((i) => `meter:${ids[i]}`).sort());
    const stats = fleet.stats();
    expect(stats.link.dropped).toBeGreaterThan(0);
    const outcomes = await store.collection.list({ status: 'failed', limit: 1000 });
    expect(outcomes.items.some((o) => !silent.has(ids.indexOf(o.meterId)))).toBe(true);
  }, 150_000);
});
