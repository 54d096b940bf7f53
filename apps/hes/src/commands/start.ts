import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildApi, createMetrics, ensureAdminUser, filePlanStore } from '@openhes/api';
import type { Store } from '@openhes/core';
import { type Fleet, parseDuration } from '@openhes/simulator';
import type { Command } from 'commander';
import type { Io } from '../main.ts';
import { COLLECTOR_CONCURRENCY, createCollection, type Pushes, startPushes } from '../start/collection.ts';
import { DEMO_BACKFILL_MS, DEMO_PLAN, demoStateFile, ensureDemoPlan, startDemo } from '../start/demo.ts';
import { startPlanRunner } from '../start/plans.ts';
import { openContext } from './meters.ts';

export interface StartOptions {
  data: string;
  pg?: string;
  port: string;
  host: string;
  demo?: boolean;
  meters?: string;
  seed?: string;
  pushPort?: string;
  progressEvery?: string;
  logLevel: string;
  duration?: string;
}

export interface RunningHeadEnd {
  url: string;
  port: number;
  store: Store;
  fleet: Fleet | undefined;
  /**
   * Stops the schedule and the API, lets in-flight sessions finish (queued ones are given
   * `drainMs`), then closes the fleet, the push listener and the store.
   */
  close(drainMs?: number): Promise<void>;
}

function integer(name: string, s: string, min: number, max: number): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be ${min}…${max}, got "${s}"`);
  return n;
}

/**
 * The composition root of `hes start`: store, key vault, collector fed by the stored reading
 * plans (rescheduled when the API changes them), push listener, API and, with `demo`, a
 * simulated fleet imported into the store. A second start on the same data directory resumes.
 */
export async function startHeadEnd(
  o: StartOptions,
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningHeadEnd> {
  const listenPort = integer('port', o.port, 0, 65_535);
  const data = resolve(o.data);
  mkdirSync(data, { recursive: true });
  const ctx = await openContext({ data, ...(o.pg === undefined ? {} : { pg: o.pg }) });
  const { store } = ctx;
  const { registry, metrics } = createMetrics();
  const collection = createCollection(ctx, metrics, o.demo ? { blockBackfillMs: DEMO_BACKFILL_MS } : {});
  const { collector, tally } = collection;
  const warn = (e: unknown): void => io.err(`hes: ${e instanceof Error ? e.message : String(e)}`);
  const runner = startPlanRunner(store, collector, collection.record, warn, {
    maxOutstanding: 2 * COLLECTOR_CONCURRENCY,
  });
  const timers: ReturnType<typeof setInterval>[] = [];
  let pushes: Pushes | undefined;
  let fleet: Fleet | undefined;
  const stop = async (drainMs: number): Promise<void> => {
    runner.stop();
    for (const t of timers) clearInterval(t);
    let waited: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      collector.drain(),
      new Promise<void>((r) => {
        waited = setTimeout(r, drainMs);
      }),
    ]);
    clearTimeout(waited);
    const left = collector.progress.queued + collector.progress.running;
    if (left > 0) io.out(`abandoned ${left} collection tasks (not started or still running)`);
    await fleet?.close();
    await pushes?.listener.close();
  };
  try {
    const admin = await ensureAdminUser(store.users, env.HES_ADMIN_PASSWORD || undefined);
    if (admin.generatedPassword !== null) {
      io.out(`created user "admin" with one-time password: ${admin.generatedPassword}`);
      io.out('  (shown once; store it now — set HES_ADMIN_PASSWORD on first start to choose it instead)');
    } else if (admin.created) {
      io.out('created user "admin" with the password from HES_ADMIN_PASSWORD');
    }
    const plans = filePlanStore(
      join(data, 'plans.json'),
      { now: () => Date.now() },
      {
        onChange: (all) => {
          runner.reschedule(all);
          io.out(`plans changed: scheduled ${runner.scheduled} reading plan(s) of ${all.length}`);
        },
      },
    );
    const pushPort = o.pushPort ?? (o.demo ? '0' : undefined);
    if (pushPort !== undefined) {
      pushes = await startPushes(
        ctx,
        { host: o.demo ? '127.0.0.1' : o.host, port: integer('push-port', pushPort, 0, 65_535) },
        (m) => io.err(m),
      );
      io.out(`push listener on tcp:${pushes.listener.tcpPort} udp:${pushes.listener.udpPort}`);
    }
    if (o.demo) {
      const tcp = pushes?.listener.tcpPort;
      const demo = await startDemo(ctx, {
        meters: integer('meters', o.meters ?? '1000', 1, 1_000_000),
        seed: integer('seed', o.seed ?? '7', 0, 2 ** 31),
        stateFile: demoStateFile(data),
        ...(tcp === undefined ? {} : { pushTo: { host: '127.0.0.1', port: tcp, transport: 'tcp' as const } }),
      });
      fleet = demo.fleet;
      await pushes?.refresh();
      io.out(
        demo.resumed
          ? `demo: ${fleet.size} simulated meters on port ${fleet.port}, already in the store`
          : `demo: ${fleet.size} simulated meters on port ${fleet.port}, imported ${demo.imported} (keys encrypted)`,
      );
      await ensureDemoPlan(plans);
    }
    const stored = await plans.list();
    runner.reschedule(stored);
    io.out(`scheduled ${runner.scheduled} reading plan(s) of ${stored.length}`);
    if (o.demo) {
      const demoPlan = stored.find((p) => p.name === DEMO_PLAN.name && p.enabled);
      if (demoPlan) runner.runNow(demoPlan);
    }
    const app = await buildApi({
      store,
      acquisition: collection.acquisition,
      metrics: { registry, metrics },
      plans,
      logger: o.logLevel === 'silent' ? false : { level: o.logLevel },
    });
    await app.listen({ port: listenPort, host: o.host });
    const address = app.server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : listenPort;
    const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${bound}`;
    io.out(
      `OpenHES API listening on ${url} (docs ${url}/docs, store ${o.pg === undefined ? join(data, 'hes.db') : 'postgres'})`,
    );
    timers.push(setInterval(() => metrics.queueDepth(collector.progress.queued + runner.waiting), 1000));
    const every = parseDuration(o.progressEvery ?? '10s');
    if (every > 0) {
      timers.push(
        setInterval(() => {
          const p = collector.progress;
          io.out(
            `progress: meters read ${tally.done} failed ${tally.failed} skipped ${tally.skipped} | readings ${tally.readings} events ${tally.events} | waiting ${runner.waiting + p.queued} running ${p.running} overlapped ${runner.overlapped} | pushes ${pushes?.listener.handler.stats.stored ?? 0}`,
          );
        }, every),
      );
    }
    let closing: Promise<void> | undefined;
    return {
      url,
      port: bound,
      store,
      fleet,
      close(drainMs = 10_000) {
        closing ??= (async () => {
          try {
            runner.stop();
            await app.close();
            await stop(drainMs);
          } finally {
            await store.close();
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await stop(0).finally(() => store.close());
    throw e;
  }
}

export function registerStartCommand(program: Command, io: Io): void {
  program
    .command('start')
    .description('run the head end (store, scheduler, collector, push listener, REST API) in one process')
    .option('--data <dir>', 'data directory for the embedded store', './data')
    .option('--pg <url>', 'use PostgreSQL at this URL instead of the embedded store')
    .option('--port <n>', 'API port (0 = any)', '8080')
    .option('--host <address>', 'API listening address (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--push-port <n>', 'push listener TCP and UDP port (0 = any; default: none, any with --demo)')
    .option('--demo', 'also serve a simulated fleet on loopback, import it and read it every minute')
    .option('--meters <n>', 'demo fleet size (consumer meters; transformer meters come on top)', '1000')
    .option('--seed <n>', 'demo fleet seed', '7')
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
