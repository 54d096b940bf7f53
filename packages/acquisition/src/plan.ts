import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { AcquisitionError, AcquisitionErrorCode } from './errors.ts';
import { READ_KINDS, type ReadKind } from './session.ts';

/** Which meters a plan covers: all, by device profile, or by id. */
export interface MeterSelector {
  profiles?: string[];
  ids?: number[];
}

export interface ReadingPlan {
  name: string;
  /** Cron expression (5 or 6 fields, croner syntax), evaluated in UTC. */
  cron: string;
  reads: ReadKind[];
  meters: MeterSelector | 'all';
  /** Each run is spread over this many seconds, per meter at a stable offset. */
  windowSeconds: number;
}

export interface PlanFile {
  plans: ReadingPlan[];
}

function invalid(message: string): AcquisitionError {
  return new AcquisitionError(AcquisitionErrorCode.InvalidPlan, message);
}

export function parsePlans(json: unknown): ReadingPlan[] {
  const plans = (json as PlanFile | null)?.plans;
  if (!Array.isArray(plans) || plans.length === 0)
    throw invalid('a plan file needs a non-empty "plans" array');
  return plans.map((p, i) => {
    const where = `plan ${i + 1}`;
    if (typeof p?.name !== 'string' || p.name === '') throw invalid(`${where}: name missing`);
    if (typeof p.cron !== 'string') throw invalid(`${where}: cron missing`);
    try {
      new Cron(p.cron, { paused: true, timezone: 'UTC' }).stop();
    } catch (e) {
      throw invalid(`${where}: cron '${p.cron}': ${(e as Error).message}`);
    }
    if (!Array.isArray(p.reads) || p.reads.length === 0 || p.reads.some((r) => !READ_KINDS.includes(r)))
      throw invalid(`${where}: reads must be some of ${READ_KINDS.join(', ')}`);
    const windowSeconds = p.windowSeconds ?? 0;
    if (!Number.isInteger(windowSeconds) || windowSeconds < 0) throw invalid(`${where}: windowSeconds`);
    return { name: p.name, cron: p.cron, reads: p.reads, meters: p.meters ?? 'all', windowSeconds };
  });
}

/** Plans used when none is given: block profile every 15 min, daily, billing and events once a day. */
export const DEFAULT_PLANS: readonly ReadingPlan[] = [
  { name: 'block', cron: '*/15 * * * *', reads: ['block'], meters: 'all', windowSeconds: 600 },
  {
    name: 'daily',
    cron: '30 0 * * *',
    reads: ['daily', 'registers', 'events', 'billing'],
    meters: 'all',
    windowSeconds: 3600,
  },
];

/**
 * Offset of one meter inside a run's window: stable per (plan, meter) and spread evenly
 * over the fleet, so the same meter is read at the same point of every run.
 */
export function spreadOffsetMs(plan: string, meterId: number, windowSeconds: number): number {
  if (windowSeconds <= 0) return 0;
  const h = createHash('sha256').update(`${plan}|${meterId}`).digest();
  return Math.floor((h.readUInt32BE(0) / 0x100000000) * windowSeconds * 1000);
}

export function selects(
  selector: ReadingPlan['meters'],
  meter: { id: number; deviceProfile: string },
): boolean {
  if (selector === 'all') return true;
  if (selector.ids !== undefined && !selector.ids.includes(meter.id)) return false;
  if (selector.profiles !== undefined && !selector.profiles.includes(meter.deviceProfile)) return false;
  return true;
}

/** The next `count` run times of a plan after `from`. */
export function nextRuns(plan: ReadingPlan, from: Date, count: number): Date[] {
  const c = new Cron(plan.cron, { paused: true, timezone: 'UTC' });
  try {
    return c.nextRuns(count, from);
  } finally {
    c.stop();
  }
}

export interface PlanScheduler {
  stop(): void;
}

/** Fires `run(plan, at)` on each plan's schedule until stopped. */
export function schedulePlans(
  plans: readonly ReadingPlan[],
  run: (plan: ReadingPlan, at: Date) => void,
): PlanScheduler {
  const jobs = plans.map(
    (p) => new Cron(p.cron, { timezone: 'UTC', protect: true }, () => run(p, new Date())),
  );
  return {
    stop: () => {
      for (const j of jobs) j.stop();
    },
  };
}
