import { readFileSync } from 'node:fs';
import {
  type Actor,
  CommandKind,
  CommandReason,
  CommandState,
  type Command as ControlCommand,
  type ControlPort,
  type Instant,
  type Page,
} from '@openhes/core';
import { type Command, CommanderError } from 'commander';
import { ExitCode, type Io } from '../io.ts';
import { controlOptionsFrom, controlPortFor } from '../services/control.ts';
import { type DataOptions, dataOptions, type HesContext, openContext } from './meters.ts';

// ---------------------------------------------------------------------------------------
// What the control commands (command, campaign, firmware) share

/** A usage problem: the message is printed and the command exits 2. */
export class UsageError extends Error {}

/** Commander's own usage errors end with status 2 (its default is 1); help and version keep 0. */
export function usageExits(cmd: Command): Command {
  return cmd.exitOverride((e) => {
    if (e.exitCode !== 0 && e.code.startsWith('commander.') && e.code !== 'commander.executeSubCommandAsync')
      throw new CommanderError(2, e.code, e.message);
    throw e;
  });
}

export interface ControlCliOptions extends DataOptions {
  as?: string;
  json?: boolean;
}

/**
 * `--data` / `--pg` …, `--json`, and `--as USER` when the command acts for someone. Without
 * `profilesDir` the command has no `--profiles <dir>` (firmware upload's `--profiles` names
 * device profiles).
 */
export function controlOptions(cmd: Command, acts: boolean, profilesDir = true): Command {
  if (profilesDir) dataOptions(cmd);
  else
    cmd
      .requiredOption('--data <dir>', 'data directory (SQLite store, master key)')
      .option('--pg <url>', 'PostgreSQL URL instead of the SQLite file')
      .option('--pg-schema <name>', 'PostgreSQL schema (HES_PG_SCHEMA; default public)');
  cmd.option('--json', 'print JSON instead of text');
  if (acts)
    cmd.requiredOption(
      '--as <user>',
      'the user who asks (an existing, enabled user; their approver right applies)',
    );
  return cmd;
}

const ENUM_TEXT = (values: readonly string[]): string => values.join(', ');
export const KINDS: readonly string[] = Object.values(CommandKind);
export const REASONS: readonly string[] = Object.values(CommandReason);
export const STATES: readonly string[] = Object.values(CommandState);

export function oneOf<T extends string>(name: string, value: string, values: readonly string[]): T {
  if (!values.includes(value))
    throw new UsageError(`${name} must be one of ${ENUM_TEXT(values)}, got "${value}"`);
  return value as T;
}

export function positiveId(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${name} must be a positive integer, got "${text}"`);
  return n;
}

export function idList(name: string, text: string): number[] {
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => positiveId(name, s));
  if (ids.length === 0) throw new UsageError(`${name} needs at least one id`);
  return ids;
}

export function isoInstant(name: string, text: string): Instant {
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(t))
    throw new UsageError(`${name} must be an ISO date-time (e.g. 2026-12-03T18:00:00Z), got "${text}"`);
  return t;
}

/** JSON text, or `@file` for the JSON in a file. */
export function jsonArgument(name: string, text: string): unknown {
  let source = text;
  if (text.startsWith('@')) {
    try {
      source = readFileSync(text.slice(1), 'utf8');
    } catch (e) {
      throw new UsageError(`${name}: cannot read ${text.slice(1)} (${(e as Error).message})`);
    }
  }
  try {
    return JSON.parse(source);
  } catch (e) {
    throw new UsageError(`${name} is not valid JSON: ${(e as Error).message}`);
  }
}

export function jsonObject(name: string, text: string): Record<string, unknown> {
  const v = jsonArgument(name, text);
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new UsageError(`${name} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** Collects a repeatable option. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * `--params JSON` (or `@file`) merged with each `--param key=value`; a value is read as JSON
 * when it is JSON (numbers, booleans, arrays, objects, `@file`), else as text.
 */
export function parameters(
  params: string | undefined,
  param: readonly string[] | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = params === undefined ? {} : jsonObject('--params', params);
  for (const p of param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param must be key=value, got "${p}"`);
    const key = p.slice(0, eq);
    const raw = p.slice(eq + 1);
    let value: unknown = raw;
    if (raw.startsWith('@')) value = jsonArgument(`--param ${key}`, raw);
    else {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    out[key] = value;
  }
  return out;
}

/** The user `--as` names, as the actor of a request from the command line (address `cli`). */
export async function cliActor(ctx: HesContext, name: string | undefined): Promise<Actor> {
  if (name === undefined || name === '') throw new UsageError('--as USER is required');
  const user = await ctx.store.users.getByName(name);
  if (user === null) throw Object.assign(new Error(`--as: no user "${name}"`), { code: 'CLI_UNKNOWN_USER' });
  if (user.disabled)
    throw Object.assign(new Error(`--as: user "${name}" is disabled`), { code: 'CLI_USER_DISABLED' });
  if (user.role === 'viewer')
    throw Object.assign(new Error(`--as: user "${name}" is a viewer and may not act on meters`), {
      code: 'CLI_ROLE_REFUSED',
    });
  return { name: user.name, address: 'cli', approver: user.approver };
}

/**
 * Runs a control command: opens the store (and the control service when `control` is asked),
 * prints what `work` returns, maps errors to exit statuses (2 usage, 1 refused or failed, the
 * message naming the problem and its code), and closes the store.
 */
export async function runControl(
  io: Io,
  o: ControlCliOptions,
  work: (ctx: HesContext, control: () => ControlPort) => Promise<void>,
): Promise<void> {
  let ctx: HesContext | undefined;
  try {
    ctx = await openContext(o);
    const opened = ctx;
    let port: ControlPort | undefined;
    await work(opened, () => {
      // The two-person threshold of the head end's processes (HES_CONTROL_APPROVAL_THRESHOLD).
      port ??= controlPortFor(opened, controlOptionsFrom(undefined, process.env));
      return port as ControlPort;
    });
  } catch (e) {
    if (e instanceof ExitCode) throw e;
    if (e instanceof UsageError) {
      io.err(`hes: ${e.message}`);
      throw new ExitCode(2);
    }
    const code = (e as { code?: unknown }).code;
    const field = (e as { detail?: { field?: unknown } }).detail?.field;
    io.err(
      `hes: ${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code}${typeof field === 'string' ? `, field ${field}` : ''})` : ''}`,
    );
    throw new ExitCode(1);
  } finally {
    await ctx?.close();
  }
}

/** Prints `value` as JSON, or the text lines. */
export function print(io: Io, o: { json?: boolean }, value: unknown, lines: () => string[]): void {
  if (o.json) io.out(JSON.stringify(value, null, 2));
  else for (const l of lines()) io.out(l);
}

export const iso = (t: Instant | null): string => (t === null ? '-' : new Date(t).toISOString());

/** Every page of a list, or one page when `limit` is given. */
export async function pages<T>(
  list: (cursor: string | null, limit: number) => Promise<Page<T>>,
  limit: number | undefined,
): Promise<T[]> {
  if (limit !== undefined) return (await list(null, limit)).items;
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await list(cursor, 1000);
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

function outcomeOf(c: ControlCommand): string {
  if (c.error !== null) return `${c.error.code}: ${c.error.message}`;
  if (c.result !== null) return JSON.stringify(c.result);
  return '';
}

export function commandLine(c: ControlCommand): string {
  return [
    `#${c.id}`,
    c.kind,
    `meter ${c.meterId}`,
    c.state,
    c.reason,
    c.priority === 'urgent' ? 'urgent' : '',
    c.campaignId === null ? '' : `campaign ${c.campaignId}`,
    `by ${c.requestedBy}`,
    outcomeOf(c),
  ]
    .filter((s) => s !== '')
    .join('  ');
}

export function commandDetail(c: ControlCommand): string[] {
  return [
    `command ${c.id}: ${c.kind} on meter ${c.meterId}, ${c.state}`,
    `  reason ${c.reason}, priority ${c.priority}, attempts ${c.attempts}, deadline ${iso(c.deadline)}`,
    `  requested by ${c.requestedBy} from ${c.requestedFrom ?? '-'} at ${iso(c.createdAt)}${c.approvedBy === null ? '' : `, approved by ${c.approvedBy}`}`,
    ...(c.campaignId === null ? [] : [`  campaign ${c.campaignId}`]),
    `  parameters ${JSON.stringify(c.parameters)}`,
    ...(c.result === null ? [] : [`  result ${JSON.stringify(c.result)}`]),
    ...(c.error === null ? [] : [`  error ${c.error.code}: ${c.error.message}`]),
    '  history:',
    ...c.history.map(
      (h) =>
        `    ${iso(h.at)}  ${h.state}  by ${h.by}${h.detail === null ? '' : `  ${JSON.stringify(h.detail)}`}`,
    ),
  ];
}

interface CreateOptions extends ControlCliOptions {
  meter: string;
  kind: string;
  param?: string[];
  params?: string;
  reason: string;
  urgent?: boolean;
  deadline?: string;
}

interface ListOptions extends ControlCliOptions {
  meter?: string;
  campaign?: string;
  state?: string;
  kind?: string;
  by?: string;
  limit?: string;
  newest?: boolean;
}

/**
 * `hes command …`: one operation on one meter, for scripting. Created commands are stored
 * (queued, or awaiting approval) and executed by the running head end, whose runner takes
 * them from the store.
 */
export function registerCommandCommands(program: Command, io: Io): void {
  const group = usageExits(
    program
      .command('command')
      .description('meter commands (connect, disconnect, limits, tariffs, time, firmware, keys, push setup)'),
  );

  controlOptions(
    group
      .command('create')
      .description('ask for one operation on one meter; the running head end executes it')
      .requiredOption('--meter <id>', 'meter id')
      .requiredOption('--kind <kind>', `one of ${ENUM_TEXT(KINDS)}`)
      .option('--param <key=value>', 'a parameter (repeatable; JSON values and @file allowed)', collect)
      .option('--params <json>', 'all parameters as a JSON object (or @file)')
      .requiredOption('--reason <reason>', `one of ${ENUM_TEXT(REASONS)}`)
      .option('--urgent', 'the fast lane: before normal commands')
      .option('--deadline <iso>', 'expires unless done by then (default: one hour)'),
    true,
  ).action((o: CreateOptions) =>
    runControl(io, o, async (ctx, control) => {
      const meterId = positiveId('--meter', o.meter);
      const kind = oneOf<CommandKind>('--kind', o.kind, KINDS);
      const reason = oneOf<CommandReason>('--reason', o.reason, REASONS);
      const params = parameters(o.params, o.param);
      const deadline = o.deadline === undefined ? undefined : isoInstant('--deadline', o.deadline);
      const actor = await cliActor(ctx, o.as);
      const c = await control().requestCommand(
        {
          kind,
          meterId,
          parameters: params,
          reason,
          ...(o.urgent ? { priority: 'urgent' as const } : {}),
          ...(deadline === undefined ? {} : { deadline }),
        },
        actor,
      );
      print(io, o, c, () => [
        `command ${c.id}: ${c.kind} on meter ${c.meterId} ${c.state}${c.state === 'awaiting-approval' ? ' (a second user with the approver right must approve it)' : ''}`,
      ]);
    }),
  );

  controlOptions(
    group
      .command('list')
      .description('commands, oldest first (filters combine)')
      .option('--meter <id>', 'of this meter')
      .option('--campaign <id>', 'of this campaign')
      .option('--state <state>', `one of ${ENUM_TEXT(STATES)}`)
      .option('--kind <kind>', 'of this kind')
      .option('--by <user>', 'requested by this user')
      .option('--newest', 'newest first')
      .option('--limit <n>', 'at most this many (default: all)'),
    false,
  ).action((o: ListOptions) =>
    runControl(io, o, async (ctx) => {
      const query = {
        ...(o.meter === undefined ? {} : { meterId: positiveId('--meter', o.meter) }),
        ...(o.campaign === undefined ? {} : { campaignId: positiveId('--campaign', o.campaign) }),
        ...(o.state === undefined ? {} : { state: oneOf<CommandState>('--state', o.state, STATES) }),
        ...(o.kind === undefined ? {} : { kind: oneOf<CommandKind>('--kind', o.kind, KINDS) }),
        ...(o.by === undefined ? {} : { requestedBy: o.by }),
        order: o.newest ? ('desc' as const) : ('asc' as const),
      };
      const limit = o.limit === undefined ? undefined : positiveId('--limit', o.limit);
      const items = await pages(
        (cursor, l) => ctx.store.commands.list({ ...query, cursor, limit: l }),
        limit,
      );
      print(io, o, items, () => (items.length === 0 ? ['no commands'] : items.map(commandLine)));
    }),
  );

  controlOptions(
    group.command('show').description('one command with its history').argument('<id>', 'command id'),
    false,
  ).action((idText: string, o: ControlCliOptions) =>
    runControl(io, o, async (ctx) => {
      const id = positiveId('command id', idText);
      const c = await ctx.store.commands.get(id);
      if (c === null)
        throw Object.assign(new Error(`command ${id} does not exist`), { code: 'CONTROL_NOT_FOUND' });
      print(io, o, c, () => commandDetail(c));
    }),
  );

  const act = (
    name: 'approve' | 'reject' | 'cancel',
    description: string,
    run: (control: ControlPort, id: number, actor: Actor, note?: string) => Promise<ControlCommand>,
  ): void => {
    const cmd = group.command(name).description(description).argument('<id>', 'command id');
    if (name === 'reject') cmd.option('--note <text>', 'why (audited)');
    controlOptions(cmd, true).action((idText: string, o: ControlCliOptions & { note?: string }) =>
      runControl(io, o, async (ctx, control) => {
        const id = positiveId('command id', idText);
        const actor = await cliActor(ctx, o.as);
        const c = await run(control(), id, actor, o.note);
        print(io, o, c, () => [`command ${c.id}: ${c.state}`]);
      }),
    );
  };
  act('approve', 'approve another user’s command (the approver right; never one’s own)', (c, id, a) =>
    c.approveCommand(id, a),
  );
  act('reject', 'reject a command awaiting approval', (c, id, a, note) => c.rejectCommand(id, a, note));
  act('cancel', 'cancel a command not yet sending', (c, id, a) => c.cancelCommand(id, a));
}
