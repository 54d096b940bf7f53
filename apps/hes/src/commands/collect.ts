import { readFileSync } from 'node:fs';
import { DEFAULT_PLANS, parsePlans } from '@openhes/acquisition';
import type { NewReadingPlan } from '@openhes/core';
import type { Command } from 'commander';
import {
  assertPortFree,
  type DataDirLock,
  lockDataDir,
  masterKeyWarning,
  requireExistingStore,
  secureDataDir,
} from '../datadir.ts';
import { ExitCode, type Io } from '../io.ts';
import { type Collection, startCollector } from '../services/collector.ts';
import type { RunningService, ServiceContext } from '../services/context.ts';
import { controlOptionsFrom, startControl } from '../services/control.ts';
import { DEFAULT_MAINTENANCE_CRON, DEFAULT_RETENTION } from '../services/maintenance.ts';
import { type RunningPush, startPush } from '../services/push.ts';
import { runPlansOnce, startScheduler } from '../services/scheduler.ts';
import { type Wired, wire } from '../wire.ts';
import { addLimitOptions, type LimitOptions, limitWireOptions } from './limits.ts';
import { type DataOptions, dataOptions } from './meters.ts';
import { reportUnusableMeters } from './start.ts';

/** A positive integer option, or a clear error naming it. */
function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer, got '${text}'`);
  return n;
}

interface CollectOptions extends DataOptions, LimitOptions {
  plan?: string;
  once?: boolean;
  concurrency: string;
  timeout: string;
  maxResponse?: string;
  pushPort: string;
  push: boolean;
  host: string;
  masterKeyFile?: string;
  approvalThreshold?: string;
}

function progressLine(c: Collection, pushes: number, startedAt: number): string {
  const t = c.tally;
  const p = c.collector.progress;
  const s = Math.max(0.001, (Date.now() - startedAt) / 1000);
  return `meters done ${t.done} failed ${t.failed} skipped ${t.skipped} pending ${p.queued + p.running} | readings ${t.readings} (${Math.round(t.readings / s)}/s) | pushes ${pushes} | flagged ${p.flagged}`;
}

/**
 * `hes collect`: the scheduler, collector and push services in the foreground, on plans from
 * a file (or the default plans) instead of the stored ones; `--once` runs each plan once now.
 */
export function registerCollectCommand(program: Command, io: Io): void {
  const command = dataOptions(
    program
      .command('collect')
      .description('run the scheduler, collector, push and control services in the foreground')
      .option(
        '--plan <file>',
        'reading plans (JSON: {"plans": [{name, cron, reads, meters, windowSeconds}]}; default: block every 15 min, daily at 00:30)',
      )
      .option('--once', 'run every plan once now, without spreading, then print the summary and exit')
      .option('--concurrency <n>', 'sessions at once', '256')
      .option(
        '--timeout <ms>',
        'connect timeout and the silence allowed from a meter (each frame re-arms it)',
        '10000',
      )
      .option('--max-response <ms>', 'cap on one whole response however steadily it arrives (default: none)')
      .option('--host <ip>', 'push listener address (0.0.0.0 for every interface)', '127.0.0.1')
      .option(
        '--master-key-file <path>',
        'master key file kept outside the data directory (HES_MASTER_KEY_FILE; or HES_MASTER_KEY)',
      )
      .option('--push-port <port>', 'push listener TCP and UDP port (0 = any free port)', '4060')
      .option('--no-push', 'do not listen for pushes')
      .option(
        '--approval-threshold <n>',
        'two-person rule: a disconnect campaign over more meters than this waits for a second user (HES_CONTROL_APPROVAL_THRESHOLD; 50)',
      ),
  );
  addLimitOptions(command).action(async (o: CollectOptions) => {
    let wired: Wired | undefined;
    let lock: DataDirLock | undefined;
    const services: RunningService[] = [];
    let progress: ReturnType<typeof setInterval> | undefined;
    try {
      const plans: readonly NewReadingPlan[] = o.plan
        ? parsePlans(JSON.parse(readFileSync(o.plan, 'utf8')))
        : DEFAULT_PLANS;
      const ms = positive('--timeout', o.timeout);
      const concurrency = positive('--concurrency', o.concurrency);
      const maxResponseMs =
        o.maxResponse === undefined ? undefined : positive('--max-response', o.maxResponse);
      const limits = limitWireOptions(o);
      const controlOptions = controlOptionsFrom(o.approvalThreshold, process.env);
      const pushPort = o.push ? Number(o.pushPort) : undefined;
      if (pushPort !== undefined && (!Number.isInteger(pushPort) || pushPort < 0 || pushPort > 65_535))
        throw new Error(`--push-port must be 0…65535, got '${o.pushPort}'`);
      // Every check before the first write: the lock (embedded store), the push port, the store.
      const warn = (m: string): void => io.err(`hes: warning: ${m}`);
      // Collect works on the meters of an existing store: a mistyped --data is named, not created.
      requireExistingStore(o.data, o.pg);
      if (o.pg === undefined) lock = lockDataDir(o.data, 'collect', warn);
      if (pushPort !== undefined) await assertPortFree('push', o.host, pushPort, true);
      secureDataDir(o.data, warn);
      const keyWarning = masterKeyWarning(o.data, process.env, o.masterKeyFile);
      if (keyWarning !== undefined) warn(keyWarning);
      wired = await wire({
        ...(o.masterKeyFile === undefined ? {} : { masterKeyFile: o.masterKeyFile }),
        data: o.data,
        ...(o.pg === undefined ? {} : { pg: o.pg }),
        ...(o.pgSchema === undefined ? {} : { pgSchema: o.pgSchema }),
        ...(o.profiles === undefined ? {} : { profiles: o.profiles }),
        timeouts: {
          connectMs: ms,
          responseMs: ms,
          ...(maxResponseMs === undefined ? {} : { maxResponseMs }),
        },
        ...limits,
      });
      const ctx: ServiceContext = {
        wired,
        io,
        options: {
          host: '127.0.0.1',
          port: 0,
          logLevel: 'silent',
          pushHost: o.host,
          pushPort,
          concurrency,
          plans,
          printAlarms: true,
          retention: DEFAULT_RETENTION,
          maintenanceCron: DEFAULT_MAINTENANCE_CRON,
        },
        plans: async () => plans,
        warn: (e) => io.err(`hes: ${e instanceof Error ? e.message : String(e)}`),
      };
      await reportUnusableMeters(wired, io);
      const collector = await startCollector(ctx);
      const { collection } = collector;
      services.push(collector);
      const startedAt = Date.now();
      const push: RunningPush | undefined = await startPush(ctx);
      if (push) {
        services.push(push);
        io.err(`push listener on ${o.host} tcp:${push.listener.tcpPort} udp:${push.listener.udpPort}`);
      }
      // Meter control: commands stored by the API or the CLI run through this collector.
      services.push(await startControl(ctx, controlOptions));
      const pushes = (): number => push?.listener.handler.stats.stored ?? 0;
      if (process.stderr.isTTY) {
        progress = setInterval(() => {
          process.stderr.write(`\r${progressLine(collection, pushes(), startedAt)}\u001b[K`);
        }, 1000);
      }
      if (o.once) {
        await runPlansOnce(ctx);
      } else {
        const scheduler = await startScheduler(ctx);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await scheduler.stop(0);
      }
      for (const s of services.reverse()) await s.stop(Number.POSITIVE_INFINITY);
      services.length = 0;
      if (progress) {
        clearInterval(progress);
        process.stderr.write('\n');
      }
      const flagged = collection.collector.flaggedMeters();
      io.out(
        `summary: ${progressLine(collection, pushes(), startedAt)} | ${collection.tally.bytes} bytes | ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
      );
      if (flagged.length > 0) io.out(`flagged meters: ${flagged.join(' ')}`);
    } catch (e) {
      if (progress) clearInterval(progress);
      for (const s of services.reverse()) await s.stop(0).catch(() => {});
      if (e instanceof ExitCode) throw e;
      const code = (e as { code?: unknown }).code;
      io.err(
        `hes: ${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code})` : ''}`,
      );
      throw new ExitCode(1);
    } finally {
      await wired?.close().finally(() => lock?.release());
      if (wired === undefined) lock?.release();
    }
  });
}
