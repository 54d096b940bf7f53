import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { knownDeviceProfiles } from '@openhes/acquisition';
import { importMeters, type NewReadingPlan, type PlanStore, parseMeterList } from '@openhes/core';
import { exportMeters, type Fleet, startFleet } from '@openhes/simulator';
import type { Wired } from './wire.ts';

export interface DemoOptions {
  meters: number;
  seed: number;
  pushTo?: { host: string; port: number; transport: 'tcp' | 'udp' };
}

interface DemoState {
  port: number;
  meters: number;
  seed: number;
}

export interface Demo {
  fleet: Fleet;
  imported: number;
  /** True when the store already held this fleet at these addresses. */
  resumed: boolean;
}

/** How far back the first block-profile read of a demo meter goes (24 quarter hours). */
export const DEMO_BACKFILL_MS = 6 * 3_600_000;

export const DEMO_PLAN: NewReadingPlan = {
  name: 'demo',
  cron: '* * * * *',
  reads: ['block', 'registers', 'events'],
  meters: 'all',
  windowSeconds: 20,
  enabled: true,
};

export const demoStateFile = (data: string): string => join(data, 'demo-fleet.json');

/** The demo meters' invocation counters, kept across restarts as real meters keep theirs. */
export const demoCounterFile = (data: string): string => join(data, 'demo-counters.json');

function readState(path: string): DemoState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DemoState;
  } catch {
    return undefined;
  }
}

async function meterCount(wired: Wired): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const page = await wired.store.meters.list({ limit: 5000, cursor });
    n += page.items.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return n;
}

/**
 * Serves a seeded fleet on a loopback port and imports it through the one meter importer
 * (keys through the secret vault, each meter announced on the bus). A second start on the
 * same data reuses the recorded port when it is free, and then imports nothing.
 */
export async function startDemo(wired: Wired, o: DemoOptions): Promise<Demo> {
  const stateFile = demoStateFile(wired.data);
  const before = readState(stateFile);
  const same = before !== undefined && before.meters === o.meters && before.seed === o.seed;
  const fleetOptions = {
    meters: o.meters,
    seed: o.seed,
    speed: 1,
    background: true,
    state: demoCounterFile(wired.data),
    ...(o.pushTo === undefined ? {} : { pushTo: o.pushTo }),
  };
  let fleet: Fleet | undefined;
  if (same) fleet = await startFleet({ ...fleetOptions, port: before.port }).catch(() => undefined);
  fleet ??= await startFleet({ ...fleetOptions, port: 0 });
  try {
    if (same && before.port === fleet.port && (await meterCount(wired)) >= fleet.size) {
      return { fleet, imported: 0, resumed: true };
    }
    const changed: number[] = [];
    const r = await importMeters(
      { meters: wired.store.meters, vault: wired.vault },
      parseMeterList([...exportMeters(fleet, 'csv')].join('')),
      {
        profiles: knownDeviceProfiles(wired.profiles),
        defaultStatus: 'active',
        allOrNothing: true,
        onChange: (m) => changed.push(m.id),
      },
    );
    if (r.failed.length > 0) throw new Error(`demo import refused: ${r.failed[0]!.message}`);
    await wired.bus.publish(
      changed.map((id) => ({
        id: `demo-import:${id}:${Date.now()}`,
        type: 'meter.changed',
        key: `meter:${id}`,
        at: Date.now(),
        payload: { meterId: id },
      })),
    );
    writeFileSync(stateFile, `${JSON.stringify({ port: fleet.port, meters: o.meters, seed: o.seed })}\n`);
    return { fleet, imported: r.created + r.updated, resumed: false };
  } catch (e) {
    await fleet.close();
    throw e;
  }
}

/** Adds the demo plan unless a plan of that name exists (the user may have changed it). */
export async function ensureDemoPlan(plans: PlanStore): Promise<void> {
  if ((await plans.list()).some((p) => p.name === DEMO_PLAN.name)) return;
  await plans.create(DEMO_PLAN);
}
