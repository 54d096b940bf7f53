import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importMeters, KeyVault, loadMasterKey, MeterAccess, parseMeterList } from '@openhes/acquisition';
import type { Store } from '@openhes/core';
import { type DriverProfile, loadDriverProfiles } from '@openhes/drivers';
import { openStore } from '@openhes/storage';
import type { Command } from 'commander';
import { ExitCode, type Io } from '../main.ts';

export interface DataOptions {
  data: string;
  pg?: string;
  profiles?: string;
}

export interface HesContext {
  store: Store;
  vault: KeyVault;
  profiles: Map<string, DriverProfile>;
  access: MeterAccess;
}

/** The store (SQLite in the data directory, or PostgreSQL), the key vault and the device profiles. */
export async function openContext(
  o: DataOptions,
  timeouts: { connectMs?: number; responseMs?: number; maxResponseMs?: number } = {},
): Promise<HesContext> {
  mkdirSync(o.data, { recursive: true });
  const store = o.pg
    ? await openStore({ kind: 'postgres', url: o.pg })
    : await openStore({ kind: 'sqlite', path: join(o.data, 'hes.db') });
  const vault = new KeyVault(loadMasterKey(o.data));
  const profiles = o.profiles ? loadDriverProfiles(o.profiles) : loadDriverProfiles();
  const access = new MeterAccess(store, vault, profiles, {
    ...(timeouts.connectMs === undefined ? {} : { connectTimeoutMs: timeouts.connectMs }),
    ...(timeouts.responseMs === undefined ? {} : { responseTimeoutMs: timeouts.responseMs }),
    ...(timeouts.maxResponseMs === undefined ? {} : { maxResponseMs: timeouts.maxResponseMs }),
  });
  return { store, vault, profiles, access };
}

export function dataOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--data <dir>', 'data directory (SQLite store, master key)')
    .option('--pg <url>', 'PostgreSQL URL instead of the SQLite file')
    .option('--profiles <dir>', 'device profile directory (default: the bundled profiles)');
}

function failure(io: Io, e: unknown): never {
  const code = (e as { code?: unknown }).code;
  io.err(`hes: ${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code})` : ''}`);
  throw new ExitCode(1);
}

export function registerMetersCommands(program: Command, io: Io): void {
  const meters = program.command('meters').description('the meter registry');
  dataOptions(
    meters
      .command('import')
      .description(
        'import meters from a CSV or JSON meter list (the simulator export); keys are stored encrypted',
      )
      .argument('<file>', 'meter list, CSV with a header line or a JSON array'),
  ).action(async (file: string, o: DataOptions) => {
    let ctx: HesContext | undefined;
    try {
      ctx = await openContext(o);
      const entries = parseMeterList(readFileSync(file, 'utf8'));
      const r = await importMeters(ctx.store, ctx.vault, entries, ctx.profiles);
      io.out(
        `imported ${entries.length} meters: ${r.created} created, ${r.updated} updated, ${r.keysStored} keys stored encrypted`,
      );
    } catch (e) {
      if (e instanceof ExitCode) throw e;
      failure(io, e);
    } finally {
      await ctx?.store.close();
    }
  });
}
