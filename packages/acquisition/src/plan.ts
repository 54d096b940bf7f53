import { createHash } from 'node:crypto';
import { type NewReadingPlan, planSelects, READ_KINDS, type ReadingPlan } from '@openhes/core';
import { Cron } from 'croner';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';

/**
 * A plan as the scheduler runs it: core's reading plan without its switch (only enabled
 * plans are scheduled) and with a name unique among the scheduled plans.
 */
export type ScheduledPlan = Omit<NewReadingPlan, 'enabled'>;

export interface PlanFile {
  plans: Partial<NewReadingPlan>[];
}

function invalid(message: string): AcquisitionError {
  return new AcquisitionError(AcquisitionErrorCode.InvalidPlan, message);
}

/** Throws ACQ_INVALID_PLAN unless croner accepts the expression (5 or 6 fields, UTC). */
export function checkCron(cron: string, where = 'plan'): void {
  try {
    new Cron(cron, { paused: true, timezone: 'UTC' }).stop();
  } catch (e) {
    throw invalid(`${where}: cron '${cron}': ${(e as Error).message}`);
  }
}

/** Checks one plan, filling the defaults (all meters, no window, enabled). */
export function checkPlan(p: Partial<NewReadingPlan> | null | undefined, where = 'plan'): NewReadingPlan {
  if (typeof p?.name !== 'string' || p.name === '') throw invalid(`${where}: name missing`);
  if (typeof p.cron !== 'string') throw invalid(`${where}: cron missing`);
  checkCron(p.cron, where);
  if (!Array.isArray(p.reads) || p.reads.length === 0 || p.reads.some((r) => !READ_KINDS.includes(r)))
    throw invalid(`${where}: reads must be some of ${READ_KINDS.join(', ')}`);
  const meters = p.meters ?? 'all';
  if (meters !== 'all' && (typeof meters !== 'object' || meters === null))
    throw invalid(`${where}: meters must be "all" or {profiles, ids}`);
  const windowSeconds = p.windowSeconds ?? 0;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 0) throw invalid(`${where}: windowSeconds`);
  return {
    name: p.name,
    cron: p.cron,
    reads: p.reads,
    meters,
    windowSeconds,
    enabled: p.enabled ?? true,
  };
}

/** Plans of a plan file (`{"plans": [...]}`), checked. */
export function parsePlans(json: unknown): NewReadingPlan[] {
  const plans = (json as PlanFile | null)?.plans;
  if (!Array.isArray(plans) || plans.length === 0)
    throw invalid('a plan file needs a non-empty "plans" array');
  return plans.map((p, i) => checkPlan(p, `plan ${i + 1}`));
}

/** Plans used when none is given: block profile every 15 min, daily, billing and events once a day. */
export const DEFAULT_PLANS: readonly NewReadingPlan[] = [
  { name: 'block', cron: '*/15 * * * *', reads: ['block'], meters: 'all', windowSeconds: 600, enabled: true },
  {
    name: 'daily',
    cron: '30 0 * * *',
    reads: ['daily', 'registers', 'events', 'billing'],
    meters: 'all',
    windowSeconds: 3600,
    enabled: true,
  },
];

/**
 * The plans to schedule: the enabled ones, each named `name#id` when it has an id (stored
 * plans), checked; a plan the scheduler refuses is left out and reported.
 */
export function schedulablePlans(
  plans: readonly (NewReadingPlan | ReadingPlan)[],
  onInvalid: (e: unknown) => void = () => {},
): ScheduledPlan[] {
  const out: ScheduledPlan[] = [];
  for (const p of plans) {
    if (!p.enabled) continue;
    const name = 'id' in p ? `${p.name}#${p.id}` : p.name;
    try {
      const { enabled: _, ...checked } = checkPlan({ ...p, name }, `plan ${name}`);
      out.push(checked);
    } catch (e) {
      onInvalid(e);
    }
  }
  return out;
}

/**
 * Offset of one meter inside a run's window: stable per (plan, meter) and spread evenly
 * over the fleet, so the same meter is read at the same point of every run.
 */
export function spreadOffsetMs(plan: string, meterId: number, windowSeconds: number): number {
  if (windowSeconds <= 0) return 0;
  const h = createHash('sha256').update(`${plan}|${meterId}`).digest();
  return Math.floor((h.readUInt32BE(0) / 0x100000000) * windowSeconds * 1000);
}

/**
 * Whether a plan's selector takes a meter: core's one meaning ({@link planSelects}) — the
 * criteria given combine with AND, a list matches any of its values.
 */
export function selects(
  selector: NewReadingPlan['meters'],
  meter: { id: number; deviceProfile: string },
): boolean {
  return planSelects(selector, meter);
}

/** The next `count` run times of a plan after `from`. */
export function nextRuns(plan: Pick<NewReadingPlan, 'cron'>, from: Date, count: number): Date[] {
  const c = new Cron(plan.cron, { paused: true, timezone: 'UTC' });
  try {
    return c.nextRuns(count, from);
  } finally {
    c.stop();
  }
}
