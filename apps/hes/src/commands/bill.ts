import { existsSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Store } from '@openhes/core';
import { openStore } from '@openhes/storage';
import type { Command } from 'commander';
import { ExitCode, type Io } from '../io.ts';
import { createMeterData, type MeterData, readMeterDataConfig } from '../services/meter-data.ts';
import { registerPrepayCommands } from './prepay.ts';
import { registerVeeCommands } from './vee.ts';

export interface StoreOptions {
  data: string;
  pg?: string;
  pgSchema?: string;
  actor?: string;
  json?: boolean;
}

/** `cli:<login name>` unless --actor names someone (the audit log's actor). */
export function cliActor(o: { actor?: string }): string {
  if (o.actor !== undefined && o.actor.trim() !== '') return o.actor.trim();
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
}

/** --data (the head end's SQLite store), or --pg; plus --actor and --json. */
export function meterDataOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--data <dir>', 'data directory of the head end (its store and meter-data.json)')
    .option('--pg <url>', 'PostgreSQL URL instead of the SQLite file')
    .option('--pg-schema <name>', 'PostgreSQL schema (HES_PG_SCHEMA; default public)')
    .option('--actor <name>', 'who acts, for the audit log (default: cli:<login name>)')
    .option('--json', 'print the result as JSON');
}

async function openExisting(o: StoreOptions): Promise<Store> {
  if (o.pg !== undefined) {
    const schema = o.pgSchema ?? process.env.HES_PG_SCHEMA;
    return openStore({ kind: 'postgres', url: o.pg, ...(schema === undefined ? {} : { schema }) });
  }
  const path = join(resolve(o.data), 'hes.db');
  if (!existsSync(path)) {
    throw Object.assign(
      new Error(`no head-end store at ${path} (is --data the head end's data directory?)`),
      {
        code: 'HES_NO_STORE',
      },
    );
  }
  return openStore({ kind: 'sqlite', path });
}

/**
 * Runs `fn` with the meter-data services over the store of --data (no control port: a
 * reconnect after a top-up is requested by the running head end's prepayment sweep).
 * Errors print as `hes: message (CODE)` with exit status 1.
 */
export async function withMeterData(
  io: Io,
  o: StoreOptions,
  fn: (md: MeterData, store: Store) => Promise<void>,
): Promise<void> {
  let store: Store | undefined;
  try {
    const config = readMeterDataConfig(resolve(o.data));
    store = await openExisting(o);
    await fn(createMeterData(store, { config }), store);
  } catch (e) {
    if (e instanceof ExitCode) throw e;
    const code = (e as { code?: unknown }).code;
    const field = (e as { detail?: { field?: unknown } }).detail?.field;
    io.err(
      `hes: ${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code}${typeof field === 'string' ? `, field ${field}` : ''})` : ''}`,
    );
    throw new ExitCode(1);
  } finally {
    await store?.close();
  }
}

export function positiveInt(name: string, v: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(v)) throw new Error(`${name} must be a positive integer (got ${v})`);
  return Number(v);
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `hes bill`: run a billing cycle and export bills. */
export function registerBillCommands(program: Command, io: Io): void {
  const bill = program.command('bill').description('time-of-use billing: bill a cycle, export bills');

  meterDataOptions(
    bill
      .command('run')
      .description(
        'bill a cycle: one bill per meter of the group(s) with a tariff; estimated bills flagged; a rebill after edits is a new version (exit 1 when a meter failed)',
      )
      .requiredOption('--cycle <YYYY-MM>', 'billing cycle, e.g. 2026-11')
      .option('--group <id>', 'one billing group (default: every group)')
      .option('--meter <id>', 'only this meter (repeatable)', collect)
      .option('--no-rebill', 'leave meters already billed for the cycle alone')
      .option('--final', "the cycle's final run: the billed values become final (no more estimates or edits)")
      .option('--reason <text>', 'why (stored on each bill)'),
  ).action(
    async (
      o: StoreOptions & {
        cycle: string;
        group?: string;
        meter?: string[];
        rebill: boolean;
        final?: boolean;
        reason?: string;
      },
    ) =>
      withMeterData(io, o, async (md) => {
        const r = await md.billing.run(o.cycle, {
          actor: cliActor(o),
          rebill: o.rebill,
          ...(o.final === true ? { final: true } : {}),
          ...(o.group === undefined ? {} : { group: o.group }),
          ...(o.meter === undefined ? {} : { meterIds: o.meter.map((m) => positiveInt('--meter', m)) }),
          ...(o.reason === undefined ? {} : { reason: o.reason }),
        });
        if (o.json) io.out(JSON.stringify(r, null, 2));
        else {
          io.out(`cycle ${r.cycle} groups ${r.groups.join(',')}: ${r.meters} meter(s)`);
          io.out(
            `created ${r.created} rebilled ${r.rebilled} unchanged ${r.unchanged} | estimated ${r.estimated} no-data ${r.noData} register-mismatch ${r.registerMismatches}`,
          );
          for (const s of r.skipped) io.out(`skipped meter ${s.meterId}: ${s.reason}`);
          for (const f of r.failed) io.err(`failed meter ${f.meterId}: ${f.message} (${f.code})`);
        }
        if (r.failed.length > 0) throw new ExitCode(1);
      }),
  );

  meterDataOptions(
    bill
      .command('export')
      .description(
        'export bills (newest version of each) as CSV or JSON; estimated bills say so on every row',
      )
      .option('--cycle <YYYY-MM>', 'only this cycle')
      .option('--group <id>', 'only this billing group')
      .option('--meter <id>', 'only this meter')
      .option('--format <csv|json>', 'csv (default) or json', 'csv')
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(
    async (
      o: StoreOptions & { cycle?: string; group?: string; meter?: string; format: string; out?: string },
    ) =>
      withMeterData(io, o, async (md) => {
        if (o.format !== 'csv' && o.format !== 'json')
          throw new Error(`--format must be csv or json (got ${o.format})`);
        const text = await md.billing.exportBills(
          {
            ...(o.cycle === undefined ? {} : { cycle: o.cycle }),
            ...(o.group === undefined ? {} : { groupId: o.group }),
            ...(o.meter === undefined ? {} : { meterId: positiveInt('--meter', o.meter) }),
          },
          o.format,
        );
        if (o.out === undefined) io.out(text);
        else {
          writeFileSync(o.out, text);
          io.err(`wrote ${o.out}`);
        }
      }),
  );
}

/** `hes bill`, `hes vee` and `hes prepay` (issue 14). */
export function registerMeterDataCommands(program: Command, io: Io): void {
  registerBillCommands(program, io);
  registerVeeCommands(program, io);
  registerPrepayCommands(program, io);
}
