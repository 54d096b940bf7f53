import type { CalendarSpec, SetCalendarParameters, SetSpecialDaysParameters } from '@openhes/core';
import type { CalendarActivation } from '@openhes/drivers';
import type { Operation } from '../operation.ts';
import { DEFAULT_SCRIPT_TABLE, parseHhMm, parseSpecDate } from '../validate.ts';
import {
  type ActivityCalendar,
  ascii,
  type CosemDate,
  type CosemDateTime,
  inSession,
  NOT_SPECIFIED,
  need,
  notConfirmed,
  type Obis,
  parametersOf,
  type SpecialDay,
  sameBytes,
  unsupported,
  YEAR_NOT_SPECIFIED,
} from './support.ts';

function obis(text: string): Obis {
  const g = text.split('.').map(Number);
  return [g[0] ?? 0, g[1] ?? 0, g[2] ?? 0, g[3] ?? 0, g[4] ?? 0, g[5] ?? 0];
}

/** `MM-DD` (every year: year not specified) or `YYYY-MM-DD` as a COSEM date, weekday not specified. */
export function specDate(text: string, field = 'date'): CosemDate {
  const d = parseSpecDate(field, text);
  return { year: d.year ?? YEAR_NOT_SPECIFIED, month: d.month, dayOfMonth: d.day, dayOfWeek: NOT_SPECIFIED };
}

function seasonStart(text: string): CosemDateTime {
  return {
    ...specDate(text, 'season.start'),
    hour: 0,
    minute: 0,
    second: 0,
    hundredths: 0,
    deviation: null,
    clockStatus: NOT_SPECIFIED,
  };
}

/** A validated calendar spec as the activity calendar's passive attributes (6..9). */
export function activityCalendar(spec: CalendarSpec): ActivityCalendar {
  return {
    calendarName: ascii(spec.name),
    seasonProfile: spec.seasons.map((s) => ({
      name: ascii(s.name),
      start: seasonStart(s.start),
      weekName: ascii(s.week),
    })),
    weekProfileTable: spec.weeks.map((w) => ({
      name: ascii(w.name),
      monday: w.days[0],
      tuesday: w.days[1],
      wednesday: w.days[2],
      thursday: w.days[3],
      friday: w.days[4],
      saturday: w.days[5],
      sunday: w.days[6],
    })),
    dayProfileTable: spec.days.map((d) => ({
      dayId: d.id,
      schedule: d.schedule.map((a) => {
        const minutes = parseHhMm('start', a.start);
        return {
          startTime: { hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, hundredths: 0 },
          scriptLogicalName: obis(a.script ?? DEFAULT_SCRIPT_TABLE),
          scriptSelector: a.tariff,
        };
      }),
    })),
  };
}

/** The first difference between two calendars (what was written and what was read), or null. */
export function calendarDifference(want: ActivityCalendar, got: ActivityCalendar): string | null {
  if (!sameBytes(want.calendarName, got.calendarName)) return 'calendar_name';
  if (want.seasonProfile.length !== got.seasonProfile.length) return 'season_profile';
  for (const [i, s] of want.seasonProfile.entries()) {
    const g = got.seasonProfile[i];
    if (
      g === undefined ||
      !sameBytes(s.name, g.name) ||
      !sameBytes(s.weekName, g.weekName) ||
      s.start.year !== g.start.year ||
      s.start.month !== g.start.month ||
      s.start.dayOfMonth !== g.start.dayOfMonth
    )
      return `season_profile[${i}]`;
  }
  if (want.weekProfileTable.length !== got.weekProfileTable.length) return 'week_profile_table';
  for (const [i, w] of want.weekProfileTable.entries()) {
    const g = got.weekProfileTable[i];
    const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
    if (g === undefined || !sameBytes(w.name, g.name) || days.some((d) => w[d] !== g[d]))
      return `week_profile_table[${i}]`;
  }
  if (want.dayProfileTable.length !== got.dayProfileTable.length) return 'day_profile_table';
  for (const [i, d] of want.dayProfileTable.entries()) {
    const g = got.dayProfileTable[i];
    if (g === undefined || g.dayId !== d.dayId || g.schedule.length !== d.schedule.length)
      return `day_profile_table[${i}]`;
    for (const [j, a] of d.schedule.entries()) {
      const b = g.schedule[j];
      if (
        b === undefined ||
        a.startTime.hour !== b.startTime.hour ||
        a.startTime.minute !== b.startTime.minute ||
        a.scriptSelector !== b.scriptSelector ||
        a.scriptLogicalName.join('.') !== b.scriptLogicalName.join('.')
      )
        return `day_profile_table[${i}].day_schedule[${j}]`;
    }
  }
  return null;
}

/**
 * The passive calendar written (6 → 7 → 8 → 9), activated now (method 1) or at a time
 * (attribute 10), read back and compared: the passive always, the active when activated now.
 * Writing the passive set is idempotent, so a retry simply writes it again.
 */
export const setCalendar: Operation = async (ctx) => {
  const p = parametersOf<SetCalendarParameters>(ctx.command);
  const calendar = activityCalendar(p.calendar);
  const activation: CalendarActivation =
    p.activateAt === undefined || p.activateAt <= ctx.now()
      ? { kind: 'now' }
      : { kind: 'at', time: p.activateAt };
  return inSession(ctx, async (driver) => {
    const tariff = need(driver.tariff, ctx.meter.id, 'no activity calendar');
    const out = await tariff.programCalendar(calendar, activation);
    const passive = calendarDifference(calendar, out.passive);
    if (passive !== null)
      throw notConfirmed(`meter ${ctx.meter.id}: passive ${passive} differs from what was written`, {
        attribute: passive,
      });
    if (activation.kind === 'now') {
      const active = calendarDifference(calendar, out.active);
      if (active !== null)
        throw notConfirmed(`meter ${ctx.meter.id}: active ${active} differs after activation`, {
          attribute: active,
        });
    }
    return {
      result: {
        calendar: p.calendar.name,
        activated: activation.kind,
        ...(p.activateAt !== undefined && activation.kind === 'at' ? { activateAt: p.activateAt } : {}),
        seasons: calendar.seasonProfile.length,
        weeks: calendar.weekProfileTable.length,
        days: calendar.dayProfileTable.length,
      },
    };
  });
};

/** Special days as the table's entries: index 0 … n−1 in the order given. */
export function specialDays(p: SetSpecialDaysParameters): SpecialDay[] {
  return p.days.map((d, index) => ({ index, date: specDate(d.date, `days[${index}].date`), dayId: d.dayId }));
}

function sameDay(a: SpecialDay, b: SpecialDay): boolean {
  return (
    a.index === b.index &&
    a.dayId === b.dayId &&
    a.date.year === b.date.year &&
    a.date.month === b.date.month &&
    a.date.dayOfMonth === b.date.dayOfMonth
  );
}

/** The whole special days table written (class 11 attribute 2), read back, compared. */
export const setSpecialDays: Operation = async (ctx) => {
  const days = specialDays(parametersOf<SetSpecialDaysParameters>(ctx.command));
  return inSession(ctx, async (driver) => {
    const tariff = driver.tariff;
    if (tariff?.setSpecialDays === undefined)
      throw unsupported(`meter ${ctx.meter.id}: no special days table`, { meterId: ctx.meter.id });
    const read = await tariff.setSpecialDays(days);
    const byIndex = new Map(read.map((d) => [d.index, d]));
    const bad = days.find((d) => {
      const r = byIndex.get(d.index);
      return r === undefined || !sameDay(d, r);
    });
    if (bad !== undefined || read.length !== days.length)
      throw notConfirmed(
        `meter ${ctx.meter.id}: the special days table reads ${read.length} entries that differ from the ${days.length} written`,
        {
          index: bad?.index ?? null,
        },
      );
    return { result: { entries: read.length } };
  });
};
