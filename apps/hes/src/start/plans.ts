import {
  allMeters,
  type Collector,
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
  /** One run of a stored plan now, outside its schedule. */
  runNow(stored: StoredPlan): void;
  /** Stops the schedule and drops the not-yet-started parts of spread runs. */
  stop(): void;
}

/**
 * Runs plans on their cron: each run submits one scheduled task per selected active meter,
 * at the meter's stable offset inside the plan's window.
 */
export function startPlanRunner(
  store: Pick<Store, 'meters'>,
  collector: Collector,
  onResult: (r: TaskResult) => void,
  onError: (e: unknown) => void,
): PlanRunner {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let scheduler = schedulePlans([], () => {});
  let scheduled = 0;
  let stopped = false;

  const run = async (plan: ReadingPlan, at: Date): Promise<void> => {
    const meters = (await allMeters(store.meters)).filter(
      (m) => m.status === 'active' && selects(plan.meters, m),
    );
    for (const m of meters) {
      if (stopped) return;
      const t = setTimeout(
        () => {
          timers.delete(t);
          void collector
            .submit({
              id: `${plan.name}@${at.toISOString()}#${m.id}`,
              meterId: m.id,
              reads: plan.reads,
              priority: 'scheduled',
            })
            .then(onResult, onError);
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
    stop() {
      stopped = true;
      scheduler.stop();
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
