import {
  allMeters,
  type Collector,
  type CollectTask,
  parsePlans,
  type ReadingPlan,
  schedulePlans,
  selects,
  spreadOffsetMs,
  type TaskResult,
} from '@openhes/acquisition';
import type { ReadingPlan as StoredPlan } from '@openhes/api';
import type { Store } from '@openhes/core';

/**
 * The one mapping between the API's stored plans and the acquisition layer's: the fields are
 * the same, `enabled` decides whether a plan is scheduled, and the id keeps names unique.
 */
export function schedulablePlans(
  stored: readonly StoredPlan[],
  onInvalid: (e: unknown) => void = () => {},
): ReadingPlan[] {
  const out: ReadingPlan[] = [];
  for (const p of stored) {
    if (!p.enabled) continue;
    try {
      out.push(
        ...parsePlans({
          plans: [
            {
              name: `${p.name}#${p.id}`,
              cron: p.cron,
              reads: p.reads,
              meters: p.meters,
              windowSeconds: p.windowSeconds,
            },
          ],
        }),
      );
    } catch (e) {
      onInvalid(e);
    }
  }
  return out;
}

export interface PlanRunner {
  /** Replaces the scheduled plans; runs already spread over their window keep going. */
  reschedule(stored: readonly StoredPlan[]): void;
  readonly scheduled: number;
  /** Tasks due but not yet handed to the collector. */
  readonly waiting: number;
  /** Meters skipped by a run because an earlier run's task had not finished. */
  readonly overlapped: number;
  /** One run of a stored plan now, outside its schedule. */
  runNow(stored: StoredPlan): void;
  /** Stops the schedule and drops the tasks not yet handed to the collector. */
  stop(): void;
}

export interface PlanRunnerOptions {
  /** Tasks handed to the collector and not yet finished; the rest wait here. */
  maxOutstanding: number;
}

/**
 * Runs plans on their cron: each run submits one scheduled task per selected active meter,
 * at the meter's stable offset inside the plan's window. A meter still queued or being read
 * for an earlier run is skipped, and at most `maxOutstanding` tasks are handed to the
 * collector at once, so a slow fleet never builds a backlog and stopping drops what waits.
 */
export function startPlanRunner(
  store: Pick<Store, 'meters'>,
  collector: Collector,
  onResult: (r: TaskResult) => void,
  onError: (e: unknown) => void,
  options: PlanRunnerOptions,
): PlanRunner {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const waiting: CollectTask[] = [];
  const busy = new Set<number>();
  let outstanding = 0;
  let scheduler = schedulePlans([], () => {});
  let scheduled = 0;
  let overlapped = 0;
  let stopped = false;

  const pump = (): void => {
    while (!stopped && outstanding < options.maxOutstanding) {
      const task = waiting.shift();
      if (task === undefined) return;
      outstanding++;
      void collector
        .submit(task)
        .then(onResult, onError)
        .finally(() => {
          outstanding--;
          busy.delete(task.meterId);
          pump();
        });
    }
  };

  const run = async (plan: ReadingPlan, at: Date): Promise<void> => {
    const meters = (await allMeters(store.meters)).filter(
      (m) => m.status === 'active' && selects(plan.meters, m),
    );
    for (const m of meters) {
      if (stopped) return;
      const t = setTimeout(
        () => {
          timers.delete(t);
          if (busy.has(m.id)) {
            overlapped++;
            return;
          }
          busy.add(m.id);
          waiting.push({
            id: `${plan.name}@${at.toISOString()}#${m.id}`,
            meterId: m.id,
            reads: plan.reads,
            priority: 'scheduled',
          });
          pump();
        },
        spreadOffsetMs(plan.name, m.id, plan.windowSeconds),
      );
      timers.add(t);
    }
  };

  return {
    reschedule(stored) {
      if (stopped) return;
      const plans = schedulablePlans(stored, onError);
      scheduler.stop();
      scheduler = schedulePlans(plans, (p, at) => void run(p, at).catch(onError));
      scheduled = plans.length;
    },
    runNow(stored) {
      for (const p of schedulablePlans([stored], onError)) void run(p, new Date()).catch(onError);
    },
    get scheduled() {
      return scheduled;
    },
    get waiting() {
      return waiting.length;
    },
    get overlapped() {
      return overlapped;
    },
    stop() {
      stopped = true;
      scheduler.stop();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      waiting.length = 0;
    },
  };
}
