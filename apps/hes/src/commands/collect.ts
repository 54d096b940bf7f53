import { readFileSync } from 'node:fs';
import {
  allMeters,
  type Collector,
  createCollector,
  DEFAULT_PLANS,
  parsePlans,
  pushDirectoryFrom,
  type ReadingPlan,
  schedulePlans,
  selects,
  spreadOffsetMs,
  startPushListener,
  type TaskResult,
} from '@openhes/acquisition';
import { ReadingIngestService } from '@openhes/core';
import type { Command } from 'commander';
import { ExitCode, type Io } from '../main.ts';
import { type DataOptions, dataOptions, type HesContext, openContext } from './meters.ts';

/** A positive integer option, or a clear error naming it. */
function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new Error(`${name} must be a positive integer, got '${text}'`);
  return n;
}

interface CollectOptions extends DataOptions {
  plan?: string;
  once?: boolean;
  concurrency: string;
  timeout: string;
  maxResponse?: string;
  pushPort: string;
  push: boolean;
  host: string;
}

interface Tally {
  done: number;
  failed: number;
  skipped: number;
  pending: number;
  readings: number;
  bytes: number;
  pushes: number;
}

function progressLine(t: Tally, flagged: number, startedAt: number): string {
  const s = Math.max(0.001, (Date.now() - startedAt) / 1000);
  return `meters done ${t.done} failed ${t.failed} skipped ${t.skipped} pending ${t.pending} | readings ${t.readings} (${Math.round(t.readings / s)}/s) | pushes ${t.pushes} | flagged ${flagged}`;
}

/** Submits one run of a plan: each selected meter at its offset inside the plan's window. */
async function runPlan(
  ctx: HesContext,
  collector: Collector,
  plan: ReadingPlan,
  at: Date,
  spread: boolean,
  tally: Tally,
  timers: Set<ReturnType<typeof setTimeout>>,
): Promise<Promise<TaskResult>[]> {
  const meters = (await allMeters(ctx.store.meters)).filter(
    (m) => m.status === 'active' && selects(plan.meters, m),
  );
  const runs: Promise<TaskResult>[] = [];
  for (const m of meters) {
    tally.pending++;
    const delay = spread ? spreadOffsetMs(plan.name, m.id, plan.windowSeconds) : 0;
    runs.push(
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, delay);
        timers.add(t);
      })
        .then(() =>
          collector.submit({
            id: `${plan.name}@${at.toISOString()}#${m.id}`,
            meterId: m.id,
            reads: plan.reads,
            priority: 'scheduled',
          }),
        )
        .then((r) => {
          tally.pending--;
          if (r.status === 'success') tally.done++;
          else if (r.status === 'skipped') tally.skipped++;
          else tally.failed++;
          tally.readings += r.readingsStored;
          tally.bytes += r.bytes;
          return r;
        }),
    );
  }
  return runs;
}

export function registerCollectCommand(program: Command, io: Io): void {
  dataOptions(
    program
      .command('collect')
      .description('run reading plans, collectors and the push listener in the foreground')
      .option(
        '--plan <file>',
        'reading plans (JSON: {"plans": [{name, cron, reads, meters, windowSeconds}]})',
      )
      .option('--once', 'run every plan once now, without spreading, then print the summary and exit')
      .option('--concurrency <n>', 'sessions at once', '256')
      .option(
        '--timeout <ms>',
        'connect timeout and the silence allowed from a meter (each frame re-arms it)',
        '10000',
      )
      .option('--max-response <ms>', 'cap on one whole response however steadily it arrives (default: none)')
      .option('--host <ip>', 'push listener address', '0.0.0.0')
      .option('--push-port <port>', 'push listener TCP and UDP port (0 = any free port)', '4060')
      .option('--no-push', 'do not listen for pushes'),
  ).action(async (o: CollectOptions) => {
    let ctx: HesContext | undefined;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    let progress: ReturnType<typeof setInterval> | undefined;
    try {
      const plans = o.plan ? parsePlans(JSON.parse(readFileSync(o.plan, 'utf8'))) : [...DEFAULT_PLANS];
      const ms = positive('--timeout', o.timeout);
      const concurrency = positive('--concurrency', o.concurrency);
      ctx = await openContext(o, {
        connectMs: ms,
        responseMs: ms,
        ...(o.maxResponse === undefined ? {} : { maxResponseMs: positive('--max-response', o.maxResponse) }),
      });
      const c = ctx;
      const collector = createCollector(c.store, c.access, {
        collector: { concurrency },
      });
      await collector.restoreFlags();
      const tally: Tally = { done: 0, failed: 0, skipped: 0, pending: 0, readings: 0, bytes: 0, pushes: 0 };
      const startedAt = Date.now();
      const listener = o.push
        ? await startPushListener(
            { host: o.host, tcpPort: Number(o.pushPort), udpPort: Number(o.pushPort) },
            {
              directory: await pushDirectoryFrom(c.store.meters, c.access),
              ingest: new ReadingIngestService(c.store.channels, c.store.readings),
              events: c.store.events,
              counters: c.store.counters,
              liveReceived: (meterId) => c.access.receivedInSession(meterId),
              onAlarm: (meterId, events) =>
                io.err(
                  `alarm meter ${meterId}: ${events.map((e) => e.description ?? `${e.log}/${e.code}`).join(', ')}`,
                ),
              onError: (e, from) => io.err(`push from ${from} dropped: ${e.message}`),
              now: Date.now,
            },
          )
        : undefined;
      if (listener) io.err(`push listener on ${o.host} tcp:${listener.tcpPort} udp:${listener.udpPort}`);
      if (process.stderr.isTTY) {
        progress = setInterval(() => {
          tally.pushes = listener?.handler.stats.stored ?? 0;
          process.stderr.write(`\r${progressLine(tally, collector.progress.flagged, startedAt)}\u001b[K`);
        }, 1000);
      }
      if (o.once) {
        const all: Promise<TaskResult>[] = [];
        for (const p of plans)
          all.push(...(await runPlan(c, collector, p, new Date(), false, tally, timers)));
        await Promise.all(all);
      } else {
        const runs: Promise<unknown>[] = [];
        const scheduler = schedulePlans(plans, (p, at) => {
          runs.push(runPlan(c, collector, p, at, true, tally, timers).then((r) => Promise.all(r)));
        });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        scheduler.stop();
        for (const t of timers) clearTimeout(t);
        await collector.drain();
      }
      await listener?.close();
      if (progress) {
        clearInterval(progress);
        process.stderr.write('\n');
      }
      tally.pushes = listener?.handler.stats.stored ?? 0;
      const flagged = collector.flaggedMeters();
      io.out(
        `summary: ${progressLine(tally, flagged.length, startedAt)} | ${tally.bytes} bytes | ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
      );
      if (flagged.length > 0) io.out(`flagged meters: ${flagged.join(' ')}`);
    } catch (e) {
      if (progress) clearInterval(progress);
      for (const t of timers) clearTimeout(t);
      if (e instanceof ExitCode) throw e;
      const code = (e as { code?: unknown }).code;
      io.err(
        `hes: ${e instanceof Error ? e.message : String(e)}${typeof code === 'string' ? ` (${code})` : ''}`,
      );
      throw new ExitCode(1);
    } finally {
      await ctx?.store.close();
    }
  });
}
