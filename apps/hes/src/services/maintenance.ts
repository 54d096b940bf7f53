import type { RetentionPolicy } from '@openhes/core';
import { Cron } from 'croner';
import type { RunningService, ServiceContext } from './context.ts';

const DAY = 86_400_000;

/** Retention when neither options nor environment say otherwise (days kept per kind). */
export const DEFAULT_RETENTION = {
  readingsDays: 1095,
  eventsDays: 1095,
  collectionDays: 90,
  auditDays: 2555,
};
/** Storage periods are created this far ahead of now. */
export const PERIODS_AHEAD_MS = 62 * DAY;
/** Outbox entries every relay has passed are kept this long. */
export const OUTBOX_KEEP_MS = 7 * DAY;
/** Daily at 03:17 UTC. */
export const DEFAULT_MAINTENANCE_CRON = '17 3 * * *';

const ENV: Readonly<Record<keyof typeof DEFAULT_RETENTION, string>> = {
  readingsDays: 'HES_RETENTION_READINGS_DAYS',
  eventsDays: 'HES_RETENTION_EVENTS_DAYS',
  collectionDays: 'HES_RETENTION_COLLECTION_DAYS',
  auditDays: 'HES_RETENTION_AUDIT_DAYS',
};

/** The retention policy: an option given wins, then the environment, then the default. */
export function retentionPolicy(
  given: Partial<Record<keyof typeof DEFAULT_RETENTION, string | undefined>>,
  env: NodeJS.ProcessEnv,
): typeof DEFAULT_RETENTION {
  const out = { ...DEFAULT_RETENTION };
  for (const k of Object.keys(DEFAULT_RETENTION) as (keyof typeof DEFAULT_RETENTION)[]) {
    const text = given[k] ?? env[ENV[k]];
    if (text === undefined || text === '') continue;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`retention ${k} (${ENV[k]}) must be a positive number of days, got "${text}"`);
    out[k] = n;
  }
  return out;
}

export interface MaintenanceReport {
  periodsEnsured: string[];
  droppedPeriods: string[];
  outboxPruned: number;
}

/** One maintenance round: periods ahead, retention, outbox prune. */
export async function runMaintenance(ctx: ServiceContext, now = Date.now()): Promise<MaintenanceReport> {
  const { store } = ctx.wired;
  const periodsEnsured = await store.maintenance.ensurePeriods({ from: now, to: now + PERIODS_AHEAD_MS });
  const policy: RetentionPolicy = ctx.options.retention;
  const { droppedPeriods } = await store.maintenance.applyRetention(policy, now);
  const outboxPruned = await store.outbox.prune(now - OUTBOX_KEEP_MS);
  ctx.io.out(
    `maintenance: retention (days) readings ${policy.readingsDays} events ${policy.eventsDays} collection ${policy.collectionDays} audit ${policy.auditDays}; dropped ${droppedPeriods.length} period(s)${droppedPeriods.length > 0 ? ` (${droppedPeriods.join(', ')})` : ''}; ${periodsEnsured.length} period(s) ensured ahead; outbox pruned ${outboxPruned}`,
  );
  return { periodsEnsured, droppedPeriods, outboxPruned };
}

/**
 * The maintenance service: retention and period housekeeping once at start and then on its
 * cron (UTC), so stored data stops growing without bound.
 */
export async function startMaintenance(
  ctx: ServiceContext,
): Promise<RunningService & { last: MaintenanceReport }> {
  const state = { last: await runMaintenance(ctx) };
  const job = new Cron(ctx.options.maintenanceCron, { timezone: 'UTC', protect: true }, async () => {
    try {
      state.last = await runMaintenance(ctx);
    } catch (e) {
      ctx.warn(e);
    }
  });
  return {
    get last() {
      return state.last;
    },
    async stop() {
      job.stop();
    },
  };
}
