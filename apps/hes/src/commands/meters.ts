import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { AcquisitionErrorCode, knownDeviceProfiles, resyncAudit } from '@openhes/acquisition';
import { importMeters, MeterStatus, parseMeterList } from '@openhes/core';
import type { Command } from 'commander';
import { requireExistingStore } from '../datadir.ts';
import { ExitCode, type Io } from '../io.ts';
import { type Wired, wire } from '../wire.ts';

export interface DataOptions {
  data: string;
  pg?: string;
  pgSchema?: string;
  profiles?: string;
}

/** What a one-shot command opens: the wiring of `hes` (store, vault, profiles, meter access). */
export type HesContext = Wired;

/** The store (SQLite in the data directory, or PostgreSQL), the secret vault and the device profiles. */
export async function openContext(
  o: DataOptions,
  timeouts: { connectMs?: number; responseMs?: number; maxResponseMs?: number } = {},
  create = false,
): Promise<HesContext> {
  if (!create) requireExistingStore(o.data, o.pg);
  return wire({
    data: o.data,
    ...(o.pg === undefined ? {} : { pg: o.pg }),
    ...(o.pgSchema === undefined ? {} : { pgSchema: o.pgSchema }),
    ...(o.profiles === undefined ? {} : { profiles: o.profiles }),
    timeouts,
  });
}

export function dataOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--data <dir>', 'data directory (SQLite store, master key)')
    .option('--pg <url>', 'PostgreSQL URL instead of the SQLite file')
    .option('--pg-schema <name>', 'PostgreSQL schema (HES_PG_SCHEMA; default public)')
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
        'import meters from a CSV or JSON meter list (the simulator export or the registry fields); keys are stored encrypted, known serials updated',
      )
      .argument('<file>', 'meter list, CSV with a header line or a JSON array'),
  ).action(async (file: string, o: DataOptions) => {
    let ctx: HesContext | undefined;
    try {
      const rows = parseMeterList(readFileSync(file, 'utf8'));
      ctx = await openContext(o, {}, true);
      const r = await importMeters({ meters: ctx.store.meters, vault: ctx.vault }, rows, {
        profiles: knownDeviceProfiles(ctx.profiles),
        allOrNothing: true,
      });
      if (r.failed.length > 0) {
        for (const p of r.failed) io.err(`  ${p.message} (${p.code})`);
        throw Object.assign(new Error(`meter list has ${r.failed.length} invalid row(s); nothing imported`), {
          code: AcquisitionErrorCode.InvalidMeterList,
        });
      }
      io.out(
        `imported ${rows.length} meters: ${r.created} created, ${r.updated} updated, ${r.keysStored} keys stored encrypted`,
      );
    } catch (e) {
      if (e instanceof ExitCode) throw e;
      failure(io, e);
    } finally {
      await ctx?.close();
    }
  });

  dataOptions(
    meters
      .command('set-status')
      .description(
        `move a meter through its lifecycle (${Object.values(MeterStatus).join(', ')}): registered → commissioned/active → suspended ⇄ active → decommissioned; only active meters are read on schedule; audited`,
      )
      .argument('<id>', 'meter id')
      .argument('<status>', 'the new status')
      .option('--actor <name>', 'who asks, for the audit log (default: cli:<login name>)'),
  ).action(async (idText: string, status: string, o: DataOptions & { actor?: string }) => {
    const id = Number(idText);
    if (!Number.isSafeInteger(id) || id < 1)
      failure(io, new Error(`meter id must be a positive integer, got "${idText}"`));
    if (!Object.values(MeterStatus).includes(status as MeterStatus))
      failure(
        io,
        new Error(`status must be one of ${Object.values(MeterStatus).join(', ')}, got "${status}"`),
      );
    const actor = o.actor ?? `cli:${cliUser()}`;
    let ctx: HesContext | undefined;
    try {
      ctx = await openContext(o);
      const before = await ctx.store.meters.get(id);
      if (before === null)
        throw Object.assign(new Error(`meter ${id} does not exist`), {
          code: AcquisitionErrorCode.UnknownMeter,
        });
      const detail = { via: 'cli', serial: before.serial, from: before.status, to: status };
      try {
        const m = await ctx.store.meters.setStatus(id, status as MeterStatus);
        await ctx.store.audit.append({
          actor,
          action: 'meter.set-status',
          target: `meter:${id}`,
          outcome: 'succeeded',
          detail,
        });
        io.out(`meter ${id} (${m.serial}): ${before.status} → ${m.status}`);
      } catch (e) {
        await ctx.store.audit.append({
          actor,
          action: 'meter.set-status',
          target: `meter:${id}`,
          outcome: 'failed',
          detail,
        });
        throw e;
      }
    } catch (e) {
      if (e instanceof ExitCode) throw e;
      failure(io, e);
    } finally {
      await ctx?.close();
    }
  });

  dataOptions(
    meters
      .command('resync')
      .description(
        "reset the head end's replay floor for a meter whose invocation counter went back (replacement, factory reset): reads the meter's counter object over an authenticated association and stores its counter; audited",
      )
      .argument('<id>', 'meter id')
      .option('--actor <name>', 'who asks, for the audit log (default: cli:<login name>)'),
  ).action(async (idText: string, o: DataOptions & { actor?: string }) => {
    const id = Number(idText);
    if (!Number.isSafeInteger(id) || id < 1)
      failure(io, new Error(`meter id must be a positive integer, got "${idText}"`));
    const actor = o.actor ?? `cli:${cliUser()}`;
    let ctx: HesContext | undefined;
    try {
      ctx = await openContext(o);
      const opened = ctx;
      if ((await opened.store.meters.get(id)) === null)
        throw Object.assign(new Error(`meter ${id} does not exist`), {
          code: AcquisitionErrorCode.UnknownMeter,
        });
      try {
        const r = await opened.access.resyncReceivedCounter(id);
        await opened.store.audit.append(resyncAudit(actor, id, { ok: r }, { via: 'cli' }));
        io.out(
          `meter ${id}: counter ${r.meterCounter} read from ${r.counterObject} over ${r.association}; replay floor ${r.previous ?? 'none'} → ${r.floor}`,
        );
      } catch (e) {
        await opened.store.audit.append(resyncAudit(actor, id, { error: e }, { via: 'cli' }));
        io.err(`hes: meter ${id}: resync refused, nothing changed`);
        throw e;
      }
    } catch (e) {
      if (e instanceof ExitCode) throw e;
      failure(io, e);
    } finally {
      await ctx?.close();
    }
  });
}

function cliUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
