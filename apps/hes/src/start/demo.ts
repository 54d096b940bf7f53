import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allMeters, importMeters, parseMeterList } from '@openhes/acquisition';
import type { NewReadingPlan, ReadingPlanStore } from '@openhes/api';
import { exportMeters, type Fleet, startFleet } from '@openhes/simulator';
import type { HesContext } from '../commands/meters.ts';

export interface DemoOptions {
  meters: number;
  seed: number;
  /** Where the fleet's listening port is kept, so a second start dials the same addresses. */
  stateFile: string;
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

function readState(path: string): DemoState | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DemoState;
  } catch {
    return undefined;
  }
}

/**
 * Serves a seeded fleet on a loopback port and imports it (keys encrypted under the data
 * directory's master key). A second start on the same data reuses the recorded port when it
 * is free, and then imports nothing.
 */
export async function startDemo(ctx: HesContext, o: DemoOptions): Promise<Demo> {
  const before = readState(o.stateFile);
  const same = before !== undefined && before.meters === o.meters && before.seed === o.seed;
  const fleetOptions = {
    meters: o.meters,
    seed: o.seed,
    speed: 1,
    background: true,
    ...(o.pushTo === undefined ? {} : { pushTo: o.pushTo }),
  };
  let fleet: Fleet | undefined;
  if (same) {
    fleet = await startFleet({ ...fleetOptions, port: before.port }).catch(() => undefined);
  }
  fleet ??= await startFleet({ ...fleetOptions, port: 0 });
  try {
    const known = (await allMeters(ctx.store.meters)).length;
    if (same && before.port === fleet.port && known >= fleet.size) {
      return { fleet, imported: 0, resumed: true };
    }
    const entries = parseMeterList([...exportMeters(fleet, 'csv')].join(''));
    const r = await importMeters(ctx.store, ctx.vault, entries, ctx.profiles);
    writeFileSync(o.stateFile, `${JSON.stringify({ port: fleet.port, meters: o.meters, seed: o.seed })}\n`);
    return { fleet, imported: r.created + r.updated, resumed: false };
  } catch (e) {
    await fleet.close();
    throw e;
  }
}

/** Adds the demo plan unless a plan of that name exists (the user may have changed it). */
export async function ensureDemoPlan(plans: ReadingPlanStore): Promise<void> {
  if ((await plans.list()).some((p) => p.name === DEMO_PLAN.name)) return;
  await plans.create(DEMO_PLAN);
}

export const demoStateFile = (data: string): string => join(data, 'demo-fleet.json');
