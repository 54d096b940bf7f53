import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { checkPlan, MeterAccess } from '@openhes/acquisition';
import { createMetrics, type MetricsRegistry } from '@openhes/api';
import { createMemoryEventBus, createMemoryLeases, type MemoryEventBus } from '@openhes/bus';
import type { LeaderLock, MeterLease, NewReadingPlan, SecretVault, Store } from '@openhes/core';
import { connectDlmsClient, type DriverProfile, loadDriverProfiles, type PushLimits } from '@openhes/drivers';
import { createSecretVault, loadMasterKey, openPgLeases, openStore, type PgLeases } from '@openhes/storage';
import { SocketBudget } from '@openhes/transport';
import { createPrivateFile, ensureDataDir } from './datadir.ts';

export interface WireOptions {
  /** Data directory: the SQLite store (unless `pg`), the master key, the demo state. */
  data: string;
  /** PostgreSQL URL instead of the SQLite file. */
  pg?: string;
  /** PostgreSQL schema of the store and the leases; default HES_PG_SCHEMA, else `public`. */
  pgSchema?: string;
  /** Device profile directory; default the bundled profiles. */
  profiles?: string;
  timeouts?: { connectMs?: number; responseMs?: number; maxResponseMs?: number };
  env?: NodeJS.ProcessEnv;
  /** File holding the master key (64 hex digits or base64), kept outside the data directory; default HES_MASTER_KEY_FILE. */
  masterKeyFile?: string;
  /** Sockets the process may hold at once (see socketBudget); default from the descriptor limit. */
  maxSockets?: number;
  /** What a stranger may hold of the push listener; default DEFAULT_PUSH_LIMITS. */
  pushLimits?: Partial<PushLimits>;
  /**
   * What a meter's session tolerated (invoke-id mismatch, late response, link warning); default
   * one JSON line on stderr, so field tolerance is never silent.
   */
  onMeterWarning?: (meterId: number, warning: { code: string; message: string }) => void;
}

function warnOnStderr(meterId: number, warning: { code: string; message: string }): void {
  process.stderr.write(
    `${JSON.stringify({ level: 'warn', msg: 'meter session warning', meterId, code: warning.code, detail: warning.message })}\n`,
  );
}

/** The process's open-file limit (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sockets a `hes` process holds at most by default: 8192, or 60 % of a smaller descriptor
 * limit, leaving the rest to the store (SQLite's database, journal and WAL files), log files
 * and Node itself.
 */
export function defaultMaxSockets(limit = openFileLimit()): number {
  return limit === undefined ? 8192 : Math.max(64, Math.min(8192, Math.floor(limit * 0.6)));
}

/**
 * The process's socket budget: an eighth reserved for the API, a quarter for the
 * collectors' connections to meters, half for the push listener, which may never take
 * more; the last eighth is a pool the API and the collectors may borrow from. However many
 * connections strangers open on the push port, the collectors and the API keep theirs.
 */
export function socketBudget(total: number): SocketBudget {
  return new SocketBudget({
    total,
    shares: {
      api: Math.floor(total / 8),
      collector: Math.floor(total / 4),
      push: Math.floor(total / 2),
    },
    capped: ['push'],
  });
}

/** Everything a service may use, built once per process. */
export interface Wired {
  data: string;
  store: Store;
  /** Where the store is, for messages (`…/hes.db` or `postgres`). */
  storeName: string;
  vault: SecretVault;
  profiles: Map<string, DriverProfile>;
  access: MeterAccess;
  bus: MemoryEventBus;
  /** One session per meter: in-process, or across processes on PostgreSQL. */
  meterLease: MeterLease;
  /** One scheduler (and other singletons) across processes. */
  leaderLock: LeaderLock;
  /** This process, as a lease holder. */
  holder: string;
  metrics: MetricsRegistry;
  /** The process's socket budget: the collectors' connects, the API and the push listener draw from it. */
  sockets: SocketBudget;
  /** Limits of the push listener (overrides of DEFAULT_PUSH_LIMITS). */
  pushLimits: Partial<PushLimits>;
  /** Closes the store (and what else the wiring opened). */
  close(): Promise<void>;
}

interface LegacyPlan extends Partial<NewReadingPlan> {
  schedule?: string;
  target?: { meterIds?: number[] };
}

/**
 * Imports `plans.json` (the plan file the head end kept next to the database before plans
 * moved into the store) once: each plan whose name the store does not hold yet is created,
 * then the file is renamed `plans.json.imported`. Plans of the older shape (`schedule`,
 * `target.meterIds`) are read too. Returns the names imported.
 */
export async function importPlanFile(store: Pick<Store, 'plans'>, data: string): Promise<string[]> {
  const path = join(data, 'plans.json');
  if (!existsSync(path)) return [];
  const file = JSON.parse(readFileSync(path, 'utf8')) as { plans?: LegacyPlan[] };
  const known = new Set((await store.plans.list()).map((p) => p.name));
  const imported: string[] = [];
  for (const p of file.plans ?? []) {
    const { schedule, target, ...rest } = p;
    const plan = checkPlan({
      ...rest,
      cron: p.cron ?? schedule ?? '0 0 * * *',
      meters: p.meters ?? (target?.meterIds === undefined ? 'all' : { ids: target.meterIds }),
    });
    if (known.has(plan.name)) continue;
    await store.plans.create(plan);
    known.add(plan.name);
    imported.push(plan.name);
  }
  renameSync(path, `${path}.imported`);
  return imported;
}

/** The SQLite file, created 0600 before SQLite opens it (its WAL and SHM files take its mode). */
function sqlitePath(data: string): string {
  const path = join(data, 'hes.db');
  createPrivateFile(path);
  return path;
}

/** The environment loadMasterKey reads, with the key file's text as HES_MASTER_KEY when one is named. */
function masterKeyEnv(env: NodeJS.ProcessEnv, file: string | undefined): NodeJS.ProcessEnv {
  const path = file ?? (env.HES_MASTER_KEY_FILE || undefined);
  if (path === undefined || (env.HES_MASTER_KEY ?? '') !== '') return env;
  return { ...env, HES_MASTER_KEY: readFileSync(path, 'utf8') };
}

/**
 * The composition root of every `hes` process: the store (SQLite in the data directory, or
 * PostgreSQL), the secret vault under the master key, the device profiles, meter access,
 * the bus adapters (in-process; leases on PostgreSQL when the store is), and the metrics.
 */
export async function wire(o: WireOptions): Promise<Wired> {
  const data = resolve(o.data);
  ensureDataDir(data);
  const env = o.env ?? process.env;
  const schema = o.pgSchema ?? (env.HES_PG_SCHEMA || undefined);
  const store = o.pg
    ? await openStore({ kind: 'postgres', url: o.pg, ...(schema === undefined ? {} : { schema }) })
    : await openStore({ kind: 'sqlite', path: sqlitePath(data) });
  let pgLeases: PgLeases | undefined;
  try {
    const vault = createSecretVault(store.keys, loadMasterKey(data, masterKeyEnv(env, o.masterKeyFile)));
    const profiles = o.profiles ? loadDriverProfiles(o.profiles) : loadDriverProfiles();
    const t = o.timeouts ?? {};
    const sockets = socketBudget(o.maxSockets ?? defaultMaxSockets());
    const access = new MeterAccess(store, vault, profiles, {
      // Every session with a meter takes a socket of the collectors' share.
      connect: (options) =>
        connectDlmsClient({
          ...options,
          transport: { ...options.transport, sockets: { budget: sockets, use: 'collector' } },
        }),
      ...(t.connectMs === undefined ? {} : { connectTimeoutMs: t.connectMs }),
      ...(t.responseMs === undefined ? {} : { responseTimeoutMs: t.responseMs }),
      ...(t.maxResponseMs === undefined ? {} : { maxResponseMs: t.maxResponseMs }),
      onWarning: o.onMeterWarning ?? warnOnStderr,
    });
    // One process: in-process leases; on PostgreSQL every process shares the leases table.
    if (o.pg) pgLeases = await openPgLeases({ url: o.pg, ...(schema === undefined ? {} : { schema }) });
    const leases = pgLeases ?? createMemoryLeases();
    return {
      data,
      store,
      storeName: o.pg === undefined ? join(data, 'hes.db') : 'postgres',
      vault,
      profiles,
      access,
      bus: createMemoryEventBus(),
      meterLease: leases.meters,
      leaderLock: leases.leader,
      holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      metrics: createMetrics(),
      sockets,
      pushLimits: o.pushLimits ?? {},
      async close() {
        try {
          await pgLeases?.close();
        } finally {
          await store.close();
        }
      },
    };
  } catch (e) {
    await pgLeases?.close();
    await store.close();
    throw e;
  }
}
