import { type PlanRunner, schedulablePlans, startPlanRunner, type TaskResult } from '@openhes/acquisition';
import type { Lease, NewReadingPlan, ReadingPlan, Subscription } from '@openhes/core';
import type { RunningService, ServiceContext } from './context.ts';

/** The scheduler's leader lock: held this long without renewal, renewed every third of it. */
export const SCHEDULER_LOCK = 'scheduler';
export const SCHEDULER_LOCK_TTL_MS = 15_000;
/** Plans changed by another process are picked up within this long. */
export const PLAN_POLL_MS = 5_000;

export interface RunningScheduler extends RunningService {
  runner: PlanRunner;
}

function signature(plans: readonly (NewReadingPlan | ReadingPlan)[]): string {
  return JSON.stringify(plans.map((p) => ('id' in p ? [p.id, p.updatedAt] : p)));
}

function runnerOf(ctx: ServiceContext): PlanRunner {
  const collection = ctx.collection;
  if (collection === undefined)
    throw new Error('the scheduler service needs the collector service in its process');
  return startPlanRunner(
    {
      meters: ctx.wired.store.meters,
      submit: (task) => collection.collector.submit(task),
      onResult: (r) => collection.record(r),
      onError: (e) => ctx.warn(e),
    },
    { maxOutstanding: 2 * ctx.options.concurrency },
  );
}

/**
 * Runs every enabled plan once now, without spreading and without the leader lock (an
 * explicit run, `hes collect --once`); resolves when all their tasks are done.
 */
export async function runPlansOnce(ctx: ServiceContext): Promise<TaskResult[]> {
  const runner = runnerOf(ctx);
  try {
    const plans = schedulablePlans(await ctx.plans(), (e) => ctx.warn(e));
    const runs = await Promise.all(
      plans.map((p) => runner.runNow({ ...p, enabled: true }, { spread: false })),
    );
    return runs.flat();
  } finally {
    runner.stop();
  }
}

/**
 * The scheduler service: runs the plans (stored, or given) on their cron through the plan
 * runner and hands their tasks to the collector of this process. Only the holder of the
 * scheduler's leader lock runs plans, so several scheduler processes on one store run each
 * plan once; plans are re-read when the API announces a change and every few seconds.
 */
export async function startScheduler(ctx: ServiceContext): Promise<RunningScheduler> {
  const { wired, io, options } = ctx;
  const runner = runnerOf(ctx);
  let lease: Lease | null = null;
  let seen: string | undefined;
  let pending: string[] = [...(options.runAtStart ?? [])];
  let stopped = false;

  const apply = async (): Promise<void> => {
    const plans = await ctx.plans();
    const sig = `${lease !== null}|${signature(plans)}`;
    if (sig === seen || stopped) return;
    const leadingBefore = seen?.startsWith('true|') === true;
    seen = sig;
    runner.reschedule(lease === null ? [] : plans);
    if (lease === null) return;
    io.out(
      `${leadingBefore ? 'plans changed: ' : ''}scheduled ${runner.scheduled} reading plan(s) of ${plans.length}`,
    );
    if (pending.length === 0) return;
    for (const name of pending) {
      const p = plans.find((x) => x.name === name && x.enabled);
      if (p !== undefined) void runner.runNow(p).catch((e: unknown) => ctx.warn(e));
    }
    pending = [];
  };
  const refresh = (): void => {
    apply().catch((e: unknown) => ctx.warn(e));
  };

  const lead = async (): Promise<void> => {
    if (stopped) return;
    if (lease !== null && !(await lease.renew())) {
      lease = null;
      io.out('scheduler: leadership lost, plans paused');
    }
    if (lease === null) {
      lease = await wired.leaderLock.tryAcquire(SCHEDULER_LOCK, wired.holder, SCHEDULER_LOCK_TTL_MS);
      if (lease !== null && seen !== undefined) io.out('scheduler: leading, plans resumed');
    }
    await apply();
  };
  await lead();
  if (lease === null) io.out('scheduler: another scheduler leads; standing by');
  const leading = setInterval(
    () => void lead().catch((e: unknown) => ctx.warn(e)),
    SCHEDULER_LOCK_TTL_MS / 3,
  );
  const polling = setInterval(refresh, PLAN_POLL_MS);
  const sub: Subscription | undefined = options.plans
    ? undefined
    : await wired.bus.subscribe('plan.changed', () => refresh());

  return {
    runner,
    async stop() {
      stopped = true;
      clearInterval(leading);
      clearInterval(polling);
      await sub?.unsubscribe();
      runner.stop();
      await lease?.release().catch(() => {});
    },
  };
}
