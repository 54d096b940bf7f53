import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCollector, READ_KINDS, type ReadKind, readMeterNow } from '@openhes/acquisition';
import { type AcquisitionPort, buildApi, createMetrics, ensureAdminUser, filePlanStore } from '@openhes/api';
import type { Store } from '@openhes/core';
import { parseDuration } from '@openhes/simulator';
import type { Command } from 'commander';
import type { Io } from '../main.ts';
import { openContext } from './meters.ts';

export interface StartOptions {
  data: string;
  pg?: string;
  port: string;
  host: string;
  demo?: boolean;
  logLevel: string;
  duration?: string;
}

export interface RunningHeadEnd {
  url: string;
  port: number;
  store: Store;
  /** Stops taking requests, lets in-flight ones finish, then closes the store. */
  close(): Promise<void>;
}

function port(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error(`--port must be 0…65535, got "${s}"`);
  return n;
}

/**
 * The composition root of `hes start`: store, key vault, on-demand collector and API. A
 * second start on the same data directory resumes.
 */
export async function startHeadEnd(
  o: StartOptions,
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunningHeadEnd> {
  const listenPort = port(o.port);
  const data = resolve(o.data);
  mkdirSync(data, { recursive: true });
  const ctx = await openContext({ data, ...(o.pg === undefined ? {} : { pg: o.pg }) });
  const { store } = ctx;
  const collector = createCollector(store, ctx.access);
  const { registry, metrics } = createMetrics();
  const acquisition: AcquisitionPort = {
    async readNow(meterId, reads) {
      const kinds = (reads ?? READ_KINDS).filter((r): r is ReadKind =>
        (READ_KINDS as readonly string[]).includes(r),
      );
      const r = await readMeterNow(collector, meterId, kinds);
      metrics.collectionOutcome(r);
      metrics.sessionLatency(r.durationMs / 1000, r.status);
      metrics.storeWrites('readings', r.readingsStored);
      metrics.storeWrites('events', r.eventsStored);
      return {
        status: r.status,
        errorCode: r.errorCode,
        readingsStored: r.readingsStored,
        eventsStored: r.eventsStored,
        durationMs: r.durationMs,
      };
    },
  };
  try {
    const admin = await ensureAdminUser(store.users, env.HES_ADMIN_PASSWORD || undefined);
    if (admin.generatedPassword !== null) {
      io.out(`created user "admin" with one-time password: ${admin.generatedPassword}`);
      io.out('  (shown once; store it now — set HES_ADMIN_PASSWORD on first start to choose it instead)');
    } else if (admin.created) {
      io.out('created user "admin" with the password from HES_ADMIN_PASSWORD');
    }
    if (o.demo) {
      io.out(
        'demo: the simulated fleet and scheduled plans are not wired into `hes start` yet; running the API with on-demand reads only',
      );
    }
    const app = await buildApi({
      store,
      acquisition,
      metrics: { registry, metrics },
      plans: filePlanStore(join(data, 'plans.json'), { now: () => Date.now() }),
      logger: o.logLevel === 'silent' ? false : { level: o.logLevel },
    });
    await app.listen({ port: listenPort, host: o.host });
    const address = app.server.address();
    const bound = typeof address === 'object' && address !== null ? address.port : listenPort;
    const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${bound}`;
    io.out(
      `OpenHES API listening on ${url} (docs ${url}/docs, store ${o.pg === undefined ? join(data, 'hes.db') : 'postgres'})`,
    );
    let closing: Promise<void> | undefined;
    return {
      url,
      port: bound,
      store,
      close() {
        closing ??= (async () => {
          try {
            await app.close();
            await collector.drain();
          } finally {
            await store.close();
          }
        })();
        return closing;
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}

export function registerStartCommand(program: Command, io: Io): void {
  program
    .command('start')
    .description('run the head end (store + REST API) in one process')
    .option('--data <dir>', 'data directory for the embedded store', './data')
    .option('--pg <url>', 'use PostgreSQL at this URL instead of the embedded store')
    .option('--port <n>', 'API port (0 = any)', '8080')
    .option('--host <address>', 'API listening address (0.0.0.0 for every interface)', '127.0.0.1')
    .option('--demo', 'also run a simulated fleet and read it (needs the acquisition package)')
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
