import type { Meter, MeterStore, NewReadingPlan, ReadingPlan } from '@openhes/core';
import { Cron } from 'croner';
import type { CollectTask, TaskResult } from './collector.ts';
import { type ScheduledPlan, schedulablePlans, selects, spreadOffsetMs } from './plan.ts';

export interface PlanRunnerPorts {
  meters: Pick<MeterStore, 'list'>;
  /** Hands a task to a collector; resolves when it is done. */
  submit(task: CollectTask): Promise<TaskResult>;
  onResult?: (r: TaskResult) => void;
  /** A plan refused, a meter list that could not be read, a task that threw. */
  onError?: (e: unknown) => void;
}

export interface PlanRunnerOptions {
  /** Tasks handed to the collector and not yet finished; the rest wait here. Default 512. */
  maxOutstanding?: number;
}

export interface PlanRunner {
  /** Replaces the scheduled plans (only enabled ones are scheduled); runs under way keep going. */
  reschedule(plans: readonly (NewReadingPlan | ReadingPlan)[]): void;
  readonly scheduled: number;
  /** Tasks due but not yet handed to the collector. */
  readonly waiting: number;
  /** Meters skipped by a run because the same plan's earlier task for them had not finished. */
  readonly overlapped: number;
  /**
   * One run of a plan now, outside its schedule (spread over its window unless `spread` is
   * false); resolves with its results when every task of the run is done.
   */
  runNow(plan: NewReadingPlan | ReadingPlan, options?: { spread?: boolean }): Promise<TaskResult[]>;
  /** Stops the schedule and drops the tasks not yet handed to the collector. */
  stop(): void;
}

/** Active meters a plan selects, paged through the store. */
async function selected(meters: Pick<MeterStore, 'list'>, plan: ScheduledPlan): Promise<Meter[]> {
  const out: Meter[] = [];
  let cursor: string | null = null;
  do {
    const page = await meters.list({ status: 'active', limit: 5000, cursor });
    for (const m of page.items) if (selects(plan.meters, m)) out.push(m);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/**
 * The one plan runner: runs plans on their cron (UTC); each run submits one scheduled task
 * per selected active meter at the meter's stable offset inside the plan's window. A meter
 * whose task of the same plan is still queued or being read is skipped, and at most
 * `maxOutstanding` tasks are handed to the collector at once, so a slow fleet never builds a
 * backlog and stopping drops what waits.
 */
export function startPlanRunner(ports: PlanRunnerPorts, options: PlanRunnerOptions = {}): PlanRunner {
  const maxOutstanding = options.maxOutstanding ?? 512;
  const onError = ports.onError ?? (() => {});
  const timers = new Map<ReturnType<typeof setTimeout>, () => void>();
  const waiting: { task: CollectTask; done: (r: TaskResult | undefined) => void }[] = [];
  const busy = new Set<string>();
  let jobs: Cron[] = [];
  let outstanding = 0;
  let overlapped = 0;
  let stopped = false;

  const pump = (): void => {
    while (!stopped && outstanding < maxOutstanding) {
      const next = waiting.shift();
      if (next === undefined) return;
      outstanding++;
      void ports
        .submit(next.task)
        .then(
          (r) => {
            ports.onResult?.(r);
            next.done(r);
          },
          (e: unknown) => {
            onError(e);
            next.done(undefined);
          },
        )
        .finally(() => {
          outstanding--;
          pump();
        });
    }
  };

  const run = async (plan: ScheduledPlan, at: Date, spread: boolean): Promise<TaskResult[]> => {
    const meters = await selected(ports.meters, plan);
    const runs: Promise<TaskResult | undefined>[] = [];
    for (const m of meters) {
      if (stopped) break;
      const key = `${plan.name}|${m.id}`;
      runs.push(
        new Promise<TaskResult | undefined>((done) => {
          const due = (): void => {
            if (stopped) {
              done(undefined);
              return;
            }
            if (busy.has(key)) {
              overlapped++;
              done(undefined);
              return;
            }
            busy.add(key);
            waiting.push({
              task: {
                id: `${plan.name}@${at.toISOString()}#${m.id}`,
                meterId: m.id,
                reads: plan.reads,
                priority: 'scheduled',
              },
              done: (r) => {
                busy.delete(key);
                done(r);
              },
            });
            pump();
          };
          const delay = spread ? spreadOffsetMs(plan.name, m.id, plan.windowSeconds) : 0;
          if (delay === 0) {
            due();
            return;
          }
          const t = setTimeout(() => {
            timers.delete(t);
            due();
          }, delay);
          timers.set(t, due);
        }),
      );
    }
    return (await Promise.all(runs)).filter((r): r is TaskResult => r !== undefined);
  };

  return {
    reschedule(plans) {
      if (stopped) return;
      for (const j of jobs) j.stop();
      const scheduled = schedulablePlans(plans, onError);
      jobs = scheduled.map(
        (p) =>
          new Cron(p.cron, { timezone: 'UTC', protect: true }, () => {
            run(p, new Date(), true).catch(onError);
          }),
      );
    },
    runNow(plan, o = {}) {
      const [p] = schedulablePlans([{ ...plan, enabled: true }], onError);
      if (p === undefined) return Promise.resolve([]);
      return run(p, new Date(), o.spread ?? true);
    },
    get scheduled() {
      return jobs.length;
    },
    get waiting() {
      return waiting.length;
    },
    get overlapped() {
      return overlapped;
    },
    stop() {
      stopped = true;
      for (const j of jobs) j.stop();
      jobs = [];
      for (const [t, due] of timers) {
        clearTimeout(t);
        due();
      }
      timers.clear();
      for (const w of waiting.splice(0)) w.done(undefined);
    },
  };
}
