import type { Instant } from '../paging.ts';

/** What a reading task reads from a meter; the acquisition layer maps each to driver calls. */
export const ReadKind = {
  registers: 'registers',
  instantaneous: 'instantaneous',
  block: 'block',
  daily: 'daily',
  billing: 'billing',
  events: 'events',
} as const;
export type ReadKind = (typeof ReadKind)[keyof typeof ReadKind];
export const READ_KINDS: readonly ReadKind[] = Object.values(ReadKind);

/**
 * Which meters a plan reads: `'all'` active meters, or the active meters matching the
 * selector. The criteria given combine with AND (a meter must match every one given); a
 * list matches any of its values (OR) — as in campaign targets. So `{profiles: ['a'], ids:
 * [5]}` reads meter 5 only if its profile is `a`; meters of profile `a` plus meter 5 are two
 * plans. A selector names at least one criterion.
 */
export interface MeterSelector {
  /** Device profile ids: a meter of any of them. */
  profiles?: string[];
  /** Meter ids: any of them. */
  ids?: number[];
}

/** The one meaning of a plan's selector for a meter (the runner reads it when it is active). */
export function planSelects(
  selector: MeterSelector | 'all',
  meter: { id: number; deviceProfile: string },
): boolean {
  if (selector === 'all') return true;
  if (selector.ids !== undefined && !selector.ids.includes(meter.id)) return false;
  if (selector.profiles !== undefined && !selector.profiles.includes(meter.deviceProfile)) return false;
  return true;
}

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const CRON_SECOND: CronField = { name: 'second', min: 0, max: 59 };
const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

function cronValue(f: CronField, text: string): number | string {
  if (/^[0-9]{1,2}$/.test(text)) {
    const v = Number(text);
    return v < f.min || v > f.max ? `${v} is outside ${f.min}-${f.max}` : v;
  }
  const i = f.names?.indexOf(text.toUpperCase()) ?? -1;
  if (i >= 0) return f.name === 'month' ? i + 1 : i;
  return `"${text}" is not a ${f.name}${f.names ? ` (a number or ${f.names[0]}…${f.names.at(-1)})` : ''}`;
}

function cronItemProblem(f: CronField, item: string): string | null {
  if (item === '') return 'an empty list item';
  if (item === '?')
    return f.name === 'day of month' || f.name === 'day of week' ? null : '"?" only in the day fields';
  if (f.name === 'day of month' && item === 'L') return null;
  if (f.name === 'day of week') {
    const nth = /^([^#]+)#([1-5L])$/.exec(item);
    if (nth) {
      const v = cronValue(f, nth[1]!);
      return typeof v === 'string' ? v : null;
    }
    if (item.includes('#')) return `"${item}": a weekday#n needs n 1-5 or L`;
    const last = /^([^L]+)L$/i.exec(item);
    if (last) {
      const v = cronValue(f, last[1]!);
      return typeof v === 'string' ? v : null;
    }
  }
  const [base = '', step, extra] = item.split('/');
  if (extra !== undefined) return `"${item}" has two steps`;
  if (step !== undefined && !/^[0-9]+$/.test(step)) return `"${item}": the step must be a number`;
  if (step !== undefined && Number(step) < 1) return `"${item}": the step must be at least 1`;
  // A step spans at most the field's count of values (7 weekdays, though 7 also names Sunday).
  const most = f.name === 'day of week' ? 7 : f.max - f.min + 1;
  if (step !== undefined && Number(step) > most) return `"${item}": the step must be at most ${most}`;
  if (base === '*') return null;
  const range = base.split('-');
  if (range.length > 2) return `"${item}" is not a range`;
  const values = range.map((r) => cronValue(f, r));
  const problem = values.find((v) => typeof v === 'string');
  if (problem !== undefined) return problem as string;
  if (values.length === 2 && (values[0] as number) > (values[1] as number))
    return `the range "${base}" runs backwards`;
  return null;
}

/**
 * Why a cron expression cannot be scheduled, or null when it can: 5 fields (minute hour
 * day-of-month month day-of-week) or 6 with seconds first, evaluated in UTC. Fields take `*`,
 * numbers, ranges `a-b`, steps `/n`, lists `a,b`, month and weekday names (JAN, MON), `?`
 * in the day fields, `L` (last day of the month), `5L` (last Friday) and `5#2` (second Friday).
 * Never lets through what the scheduler refuses (a test holds it to croner).
 */
export function cronProblem(cron: string): string | null {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    return `needs 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${parts.length}`;
  const fields = parts.length === 6 ? [CRON_SECOND, ...CRON_FIELDS] : CRON_FIELDS;
  for (const [i, part] of parts.entries()) {
    const f = fields[i]!;
    for (const item of part.split(',')) {
      const problem = cronItemProblem(f, item);
      if (problem !== null) return `field ${i + 1} (${f.name}) "${part}": ${problem}`;
    }
  }
  return null;
}

/** The one reading-plan type: stored by the plan store, run by the scheduler. */
export interface NewReadingPlan {
  name: string;
  /** Cron expression (5 or 6 fields), evaluated in UTC. */
  cron: string;
  reads: ReadKind[];
  meters: MeterSelector | 'all';
  /** Each run is spread over this many seconds, each meter at a stable offset. */
  windowSeconds: number;
  enabled: boolean;
}

export interface ReadingPlan extends NewReadingPlan {
  id: number;
  createdAt: Instant;
  updatedAt: Instant;
}
