import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagUnusableMeters } from '@openhes/acquisition';
import type { Store } from '@openhes/core';
import { exportMeters, type Fleet, parseDuration } from '@openhes/simulator';
import type { Command } from 'commander';
import {
  assertPortFree,
  type DataDirLock,
  lockDataDir,
  masterKeyWarning,
  secureDataDir,
} from '../datadir.ts';
import { DEMO_BACKFILL_MS, DEMO_PLAN, ensureDemoPlan, startDemo } from '../demo.ts';
import type { Io } from '../io.ts';
import { type RunningApi, startApi } from '../services/api.ts';
import { type Collection, startCollector } from '../services/collector.ts';
import type { RunningService, ServiceContext, ServiceOptions } from '../services/context.ts';
import {
  controlOptionsFrom,
  controlPortFor,
  type RunningControl,
  startControl,
} from '../services/control.ts';
import { parseServices } from '../services/index.ts';
import { DEFAULT_MAINTENANCE_CRON, retentionPolicy, startMaintenance } from '../services/maintenance.ts';
import { startMeterData } from '../services/meter-data.ts';
import { type RunningPush, startPush } from '../services/push.ts';
import { type RunningScheduler, startScheduler } from '../services/scheduler.ts';
import { importPlanFile, type Wired, wire } from '../wire.ts';
import { addLimitOptions, type LimitOptions, limitWireOptions } from './limits.ts';

/** The demo's meter list (the simulator's export, with credentials) in the data directory. */
export const DEMO_METER_LIST = 'demo-meters.csv';

export interface StartOptions extends LimitOptions {
  data: string;
  pg?: string;
  pgSchema?: string;
  port: string;
  host: string;
  /** Comma-separated services to run; all when absent. */
  services?: string;
  demo?: boolean;
  meters?: string;
  seed?: string;
  pushPort?: string;
  concurrency?: string;
  progressEvery?: string;
  logLevel: string;
  duration?: string;
  retainReadings?: string;
  retainEvents?: string;
  retainCollection?: string;
  retainAudit?: string;
  maintenanceCron?: string;
  /** Master key file kept outside the data directory (else HES_MASTER_KEY, HES_MASTER_KEY_FILE, or the data directory's). */
  masterKeyFile?: string;
  /** Two-person rule: a disconnect campaign over more meters than this waits for approval (else HES_CONTROL_APPROVAL_THRESHOLD, else 50). */
  approvalThreshold?: string;
}

export interface RunningHeadEnd {
  /** The API's address; empty when the api service does not run here. */
  url: string;
  port: number;
  store: Store;
  fleet: Fleet | undefined;
  /**
   * Stops the services in reverse order: the API and the schedule first, then lets in-flight
   * sessions finish (queued ones are given `drainMs`), then the fleet, the push listener, the
   * maintenance schedule and the store.
   */
  close(drainMs?: number): Promise<void>;
}

export const COLLECTOR_CONCURRENCY = 256;

function integer(name: string, s: string, min: number, max: number): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be ${min}…${max}, got "${s}"`);
  return n;
}

/**
 * `hes start`: the services chosen with `--services` (all by default) over one wiring. With
 * `demo`, a simulated fleet is served, imported and read every minute. A later start on the
 * same data directory resumes; a second one while the first runs is refused (the data
 * directory's lock names the holder). Every check comes before the first write: the options,
 * the lock, the ports, then the store; only then is anything imported, created or listened on.
 */
export async function startHeadEnd(
  o: StartOptions,
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningHeadEnd> {
  const services = parseServices(o.services);
  const limits = limitWireOptions(o);
  const controlOptions = controlOptionsFrom(o.approvalThreshold, env);
  const listenPort = integer('port', o.port, 0, 65_535);
  const pushPortText = o.pushPort ?? (o.demo ? '0' : undefined);
  const options: ServiceOptions = {
    host: o.host,
    port: listenPort,
    logLevel: o.logLevel,
    pushHost: o.demo ? '127.0.0.1' : o.host,
    pushPort: pushPortText === undefined ? undefined : integer('push-port', pushPortText, 0, 65_535),
    concurrency: integer('concurrency', o.concurrency ?? String(COLLECTOR_CONCURRENCY), 1, 100_000),
    ...(o.demo ? { blockBackfillMs: DEMO_BACKFILL_MS, runAtStart: [DEMO_PLAN.name] } : {}),
    retention: retentionPolicy(
      {
        readingsDays: o.retainReadings,
        eventsDays: o.retainEvents,
        collectionDays: o.retainCollection,
        auditDays: o.retainAudit,
      },
      env,
    ),
    maintenanceCron: o.maintenanceCron ?? env.HES_MAINTENANCE_CRON ?? DEFAULT_MAINTENANCE_CRON,
  };
  const warn = (m: string): void => io.err(`hes: warning: ${m}`);
  // The data directory is this process's alone while it runs: always with the embedded store;
  // on PostgreSQL (several processes share the database, each with its own directory) when
  // the demo writes its state and fleet there.
  const lock: DataDirLock | undefined =
    o.pg === undefined || o.demo ? lockDataDir(o.data, 'start', warn) : undefined;
  let wired: Wired;
  try {
    if (services.has('api')) await assertPortFree('API', options.host, options.port);
    if (services.has('push') && options.pushPort !== undefined)
      await assertPortFree('push', options.pushHost, options.pushPort, true);
    secureDataDir(o.data, warn);
    const keyWarning = masterKeyWarning(o.data, env, o.masterKeyFile);
    if (keyWarning !== undefined) warn(keyWarning);
    wired = await wire({
      data: o.data,
      ...(o.pg === undefined ? {} : { pg: o.pg }),
      ...(o.pgSchema === undefined ? {} : { pgSchema: o.pgSchema }),
      ...(o.masterKeyFile === undefined ? {} : { masterKeyFile: o.masterKeyFile }),
      ...limits,
      env,
    });
  } catch (e) {
    lock?.release();
    throw e;
  }
  const ctx: ServiceContext = {
    wired,
    io,
    options,
    plans: () => wired.store.plans.list(),
    warn: (e) => io.err(`hes: ${e instanceof Error ? e.message : String(e)}`),
  };
  let maintenance: RunningService | undefined;
  let collectorService: RunningService | undefined;
  let collection: Collection | undefined;
  let push: RunningPush | undefined;
  let scheduler: RunningScheduler | undefined;
  let control: RunningControl | undefined;
  let api: RunningApi | undefined;
  let meterData: RunningService | undefined;
  let fleet: Fleet | undefined;
  const timers: ReturnType<typeof setInterval>[] = [];
  const stopAll = async (drainMs: number): Promise<void> => {
    for (const t of timers) clearInterval(t);
    await api?.stop(drainMs);
    await meterData?.stop(drainMs);
    await scheduler?.stop(drainMs);
    await control?.stop(drainMs);
    await collectorService?.stop(drainMs);
    await fleet?.close();
    await push?.stop(drainMs);
    await maintenance?.stop(drainMs);
  };
  try {
    const imported = await importPlanFile(wired.store, wired.data);
    if (imported.length > 0) io.out(`imported ${imported.length} plan(s) from plans.json into the store`);
    if (services.has('collector') || services.has('push')) await reportUnusableMeters(wired, io);
    if (services.has('maintenance')) maintenance = await startMaintenance(ctx);
    if (services.has('collector')) {
      const c = await startCollector(ctx);
      collection = c.collection;
      collectorService = c;
    }
    if (services.has('push')) {
      push = await startPush(ctx);
      if (push !== undefined)
        io.out(`push listener on tcp:${push.listener.tcpPort} udp:${push.listener.udpPort}`);
    }
    if (o.demo) {
      const tcp = push?.listener.tcpPort;
      const demo = await startDemo(wired, {
        meters: integer('meters', o.meters ?? '1000', 1, 1_000_000),
        seed: integer('seed', o.seed ?? '7', 0, 2 ** 31),
        ...(tcp === undefined ? {} : { pushTo: { host: '127.0.0.1', port: tcp, transport: 'tcp' as const } }),
      });
      fleet = demo.fleet;
      // The simulator's own list of the demo meters, with their passwords and keys, for the
      // field tools (`hes read --host …`): the store keeps the keys encrypted and never shows them.
      const demoList = join(wired.data, DEMO_METER_LIST);
      writeFileSync(demoList, [...exportMeters(fleet, 'csv')].join(''), { mode: 0o600 });
      // The demo's state files (written by demo.ts and the simulator) are the owner's only too.
      secureDataDir(wired.data, () => {});
      io.out(
        demo.resumed
          ? `demo: ${fleet.size} simulated meters on port ${fleet.port}, already in the store`
          : `demo: ${fleet.size} simulated meters on port ${fleet.port}, imported ${demo.imported} (keys encrypted)`,
      );
      io.out(`demo: the meter list with addresses, passwords and keys is ${demoList}`);
      await ensureDemoPlan(wired.store.plans);
    }
    if (services.has('scheduler')) scheduler = await startScheduler(ctx);
    // Meter control: the runner where the collector is; elsewhere the API only stores requests.
    if (services.has('control')) control = await startControl(ctx, controlOptions);
    else if (services.has('api')) ctx.control = controlPortFor(wired, controlOptions);
    // VEE after each ingest, then prepayment charging (after control: it switches supply).
    if (services.has('collector') || services.has('push')) meterData = await startMeterData(ctx);
    if (services.has('api')) api = await startApi(ctx, env);
    io.out(`services: ${[...services].join(', ')} (${wired.holder})`);
    const every = o.progressEvery === '0' ? 0 : parseDuration(o.progressEvery ?? '10s');
    if (every > 0 && collection !== undefined) {
      const { collector, tally } = collection;
      timers.push(
        setInterval(() => {
          const p = collector.progress;
          const runner = scheduler?.runner;
          io.out(
            `progress: meters read ${tally.done} failed ${tally.failed} skipped ${tally.skipped} | readings ${tally.readings} events ${tally.events} | waiting ${(runner?.waiting ?? 0) + p.queued} running ${p.running} overlapped ${runner?.overlapped ?? 0} | pushes ${push?.listener.handler.stats.stored ?? 0}`,
          );
        }, every),
      );
    }
    let closing: Promise<void> | undefined;
    return {
      url: api?.url ?? '',
      port: api?.port ?? 0,
      store: wired.store,
      fleet,
      close(drainMs = 10_000) {
        closing ??= (async () => {
          try {
            await stopAll(drainMs);
          } finally {
            await wired.close().finally(() => lock?.release());
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await stopAll(0)
      .finally(() => wired.close())
      .finally(() => lock?.release());
    throw e;
  }
}

/** Most unusable meters named one by one at start; the rest are counted. */
const UNUSABLE_SHOWN = 20;

/**
 * Checks the stored meter records before the collectors start: each one no driver can use
 * (written before the import checked it, or by SQL) is named on stderr, flagged in the
 * health store and audited, and skipped by the collectors and the push directory; the head
 * end starts all the same.
 */
export async function reportUnusableMeters(wired: Wired, io: Io): Promise<number> {
  const bad = await flagUnusableMeters(
    {
      meters: wired.store.meters,
      health: wired.store.health,
      audit: wired.store.audit,
      clock: { now: Date.now },
    },
    wired.profiles,
  );
  for (const { meter, problem } of bad.slice(0, UNUSABLE_SHOWN))
    io.err(
      `hes: warning: meter ${meter.id} (${meter.serial}) skipped: ${problem.message} (${problem.code}); flagged until its record is fixed (PATCH /meters/${meter.id} or hes meters import)`,
    );
  if (bad.length > UNUSABLE_SHOWN)
    io.err(
      `hes: warning: ${bad.length - UNUSABLE_SHOWN} more meter(s) skipped for unusable records (audit: meter.record-invalid)`,
    );
  return bad.length;
}

export function registerStartCommand(program: Command, io: Io): void {
  addLimitOptions(
    program
      .command('start')
      .description('run the head end: the services chosen with --services (all by default) in one process'),
  )
    .option('--data <dir>', 'data directory for the embedded store', './data')
    .option('--pg <url>', 'use PostgreSQL at this URL instead of the embedded store')
    .option('--pg-schema <name>', 'PostgreSQL schema (HES_PG_SCHEMA; default public)')
    .option(
      '--master-key-file <path>',
      'master key file kept outside the data directory (HES_MASTER_KEY_FILE; or HES_MASTER_KEY)',
    )
    .option(
      '--services <list>',
      'comma-separated services to run: api, scheduler, collector, push, control, maintenance (default: all)',
    )
    .option('--port <n>', 'API port (0 = any)', '8080')
    .option('--host <address>', 'API listening address (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--push-port <n>', 'push listener TCP and UDP port (0 = any; default: none, any with --demo)')
    .option('--concurrency <n>', 'collector sessions at once', String(COLLECTOR_CONCURRENCY))
    .option('--demo', 'also serve a simulated fleet on loopback, import it and read it every minute')
    .option('--meters <n>', 'demo fleet size (consumer meters; transformer meters come on top)', '1000')
    .option('--seed <n>', 'demo fleet seed', '7')
    .option(
      '--retain-readings <days>',
      'maintenance: days of readings kept (HES_RETENTION_READINGS_DAYS; 1095)',
    )
    .option('--retain-events <days>', 'maintenance: days of events kept (HES_RETENTION_EVENTS_DAYS; 1095)')
    .option(
      '--retain-collection <days>',
      'maintenance: days of collection outcomes kept (HES_RETENTION_COLLECTION_DAYS; 90)',
    )
    .option('--retain-audit <days>', 'maintenance: days of audit log kept (HES_RETENTION_AUDIT_DAYS; 2555)')
    .option('--maintenance-cron <cron>', 'when maintenance runs, UTC (HES_MAINTENANCE_CRON; "17 3 * * *")')
    .option(
      '--approval-threshold <n>',
      'two-person rule: a disconnect campaign over more meters than this waits for a second user (HES_CONTROL_APPROVAL_THRESHOLD; 50)',
    )
    .option('--progress-every <d>', 'print a progress line this often (0 = never)', '10s')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|silent', 'warn')
    .option('--duration <d>', 'stop after this long (default: until SIGINT/SIGTERM)')
    .action(async (o: StartOptions) => {
      const running = await startHeadEnd(o, io);
      let onSignal = (): void => {};
      const signalled = await new Promise<string>((done) => {
        onSignal = () => done('signal');
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        if (o.duration !== undefined) setTimeout(() => done('duration'), parseDuration(o.duration)).unref();
      });
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      io.out(`stopping (${signalled})…`);
      await running.close();
      io.out('stopped');
    });
}
