import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { knownDeviceProfiles } from '@openhes/acquisition';
import type { ControlOptions } from '@openhes/control';
import {
  type Actor,
  type Command,
  type ControlPort,
  importMeters,
  isTerminalCommandState,
  parseMeterList,
} from '@openhes/core';
import { exportMeters, type Fleet, type FleetOptions, meterRecord, startFleet } from '@openhes/simulator';
import { startCollector } from '../src/services/collector.ts';
import type { ServiceContext } from '../src/services/context.ts';
import { type RunningControl, startControl } from '../src/services/control.ts';
import { DEFAULT_MAINTENANCE_CRON, DEFAULT_RETENTION } from '../src/services/maintenance.ts';
import { type Wired, wire } from '../src/wire.ts';
import { capture } from './helpers.ts';

/**
 * An in-process head end for the meter-control end-to-end tests: a simulator fleet, its
 * meters imported (keys in the vault), the collector and the control service of `hes start`
 * wired as there (services/collector.ts, services/control.ts), users alice (operator) and
 * bob (operator with the approver right).
 */
export interface ControlHarness {
  fleet: Fleet;
  data: string;
  wired: Wired;
  ctx: ServiceContext;
  running: RunningControl;
  control: ControlPort;
  alice: Actor;
  bob: Actor;
  lines: string[];
  /** Store id of the fleet's meter `index`, and back. */
  idOf(index: number): number;
  indexOf(meterId: number): number;
  /** Resolves with the command once it is in a final state. */
  settled(id: number, timeoutMs?: number): Promise<Command>;
  close(): Promise<void>;
}

export async function controlHarness(
  fleetOptions: Partial<FleetOptions> & { meters: number },
  o: {
    timeoutMs?: number;
    concurrency?: number;
    control?: ControlOptions;
    /** Something between the head end and the fleet (a proxy): the port meters are imported with. */
    through?: (fleet: Fleet) => Promise<{ port: number; close(): Promise<void> }>;
  } = {},
): Promise<ControlHarness> {
  const fleet = await startFleet({
    transformers: 1,
    seed: 11,
    port: 0,
    tickMs: 0,
    background: false,
    ...fleetOptions,
  });
  const via = await o.through?.(fleet);
  const data = mkdtempSync(join(tmpdir(), 'hes-control-e2e-'));
  const { io, lines } = capture();
  const ms = o.timeoutMs ?? 3000;
  const wired = await wire({ data, env: {}, timeouts: { connectMs: ms, responseMs: ms } });
  try {
    const r = await importMeters(
      { meters: wired.store.meters, vault: wired.vault },
      parseMeterList(
        [...exportMeters(fleet, 'csv')]
          .join('')
          .replaceAll(`,${fleet.port},`, via === undefined ? `,${fleet.port},` : `,${via.port},`),
      ),
      { profiles: knownDeviceProfiles(wired.profiles), defaultStatus: 'active', allOrNothing: true },
    );
    if (r.failed.length > 0) throw new Error(r.failed[0]!.message);
    await wired.store.users.create({
      name: 'alice',
      displayName: 'Alice',
      role: 'operator',
      passwordHash: null,
    });
    await wired.store.users.create({
      name: 'bob',
      displayName: 'Bob',
      role: 'operator',
      passwordHash: null,
      approver: true,
    });
  } catch (e) {
    await wired.close();
    await via?.close();
    await fleet.close();
    throw e;
  }
  const bySerial = new Map<string, number>();
  for (let i = 0; i < fleet.size; i++) bySerial.set(meterRecord(fleet, i).serial, i);
  const ids = new Map<number, number>();
  const indexes = new Map<number, number>();
  let cursor: string | null = null;
  do {
    const page = await wired.store.meters.list({ limit: 1000, cursor });
    for (const m of page.items) {
      const i = bySerial.get(m.serial)!;
      ids.set(i, m.id);
      indexes.set(m.id, i);
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  const ctx: ServiceContext = {
    wired,
    io,
    options: {
      host: '127.0.0.1',
      port: 0,
      logLevel: 'silent',
      pushHost: '127.0.0.1',
      pushPort: undefined,
      concurrency: o.concurrency ?? 64,
      retention: DEFAULT_RETENTION,
      maintenanceCron: DEFAULT_MAINTENANCE_CRON,
    },
    plans: async () => [],
    warn: (e) => io.err(String(e)),
  };
  const collector = await startCollector(ctx);
  const running = await startControl(ctx, o.control);
  return {
    fleet,
    data,
    wired,
    ctx,
    running,
    control: running.service,
    alice: { name: 'alice', address: '127.0.0.9', approver: false },
    bob: { name: 'bob', address: '127.0.0.10', approver: true },
    lines,
    idOf: (i) => ids.get(i)!,
    indexOf: (id) => indexes.get(id)!,
    async settled(id, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const c = await wired.store.commands.get(id);
        if (c !== null && isTerminalCommandState(c.state)) return c;
        if (Date.now() > until) throw new Error(`command ${id} still ${c?.state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      try {
        await running.stop(1000);
        await collector.stop(1000);
      } finally {
        await wired.close();
        await via?.close();
        await fleet.close();
        rmSync(data, { recursive: true, force: true });
      }
    },
  };
}
