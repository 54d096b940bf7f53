import type { CosemDate, CosemDateTime, CosemTime, DlmsData } from '@openhes/dlms';
import { SingleActionScheduleTypeNames } from '../classes/time.ts';
import type { Obis } from '../obis.ts';
import {
  array,
  dateOctets,
  dateTimeOctets,
  int,
  logicalName,
  octets,
  structure,
  timeOctets,
} from './encode.ts';
import { decodeScriptRef, encodeScriptRef, type ScriptRef } from './objects.ts';
import {
  element,
  expectDate,
  expectDateTime,
  expectInteger,
  expectLogicalName,
  expectOctets,
  expectStructure,
  expectTime,
  mapArray,
  type NamedValue,
  named,
  type Path,
} from './shape.ts';

/** season_profile element: {season_profile_name, season_start (date-time), week_name}. */
export interface Season {
  name: Uint8Array;
  start: CosemDateTime;
  weekName: Uint8Array;
}

/** week_profile_table element: {week_profile_name, monday … sunday (day_id)}. */
export interface WeekProfile {
  name: Uint8Array;
  monday: number;
  tuesday: number;
  wednesday: number;
  thursday: number;
  friday: number;
  saturday: number;
  sunday: number;
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** day_profile_action: {start_time (time), script_logical_name, script_selector}. */
export interface DayProfileAction {
  startTime: CosemTime;
  scriptLogicalName: Obis;
  scriptSelector: number;
}

export interface DayProfile {
  dayId: number;
  schedule: DayProfileAction[];
}

export function decodeSeasonProfile(d: DlmsData, path: Path = 'season_profile'): Season[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 3, p);
    return {
      name: expectOctets(element(v, 0, p), `${p}.season_profile_name`),
      start: expectDateTime(element(v, 1, p), `${p}.season_start`),
      weekName: expectOctets(element(v, 2, p), `${p}.week_name`),
    };
  });
}

export function encodeSeasonProfile(seasons: readonly Season[]): DlmsData {
  return array(
    seasons.map((s) =>
      structure(octets(s.name), dateTimeOctets(s.start, 'season_start'), octets(s.weekName)),
    ),
  );
}

export function decodeWeekProfileTable(d: DlmsData, path: Path = 'week_profile_table'): WeekProfile[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 8, p);
    const day = (i: number) => expectInteger(element(v, i + 1, p), `${p}.${WEEKDAYS[i]}`);
    return {
      name: expectOctets(element(v, 0, p), `${p}.week_profile_name`),
      monday: day(0),
      tuesday: day(1),
      wednesday: day(2),
      thursday: day(3),
      friday: day(4),
      saturday: day(5),
      sunday: day(6),
    };
  });
}

export function encodeWeekProfileTable(weeks: readonly WeekProfile[]): DlmsData {
  return array(
    weeks.map((w) => structure(octets(w.name), ...WEEKDAYS.map((day) => int('unsigned', w[day], day)))),
  );
}

export function decodeDayProfileTable(d: DlmsData, path: Path = 'day_profile_table'): DayProfile[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 2, p);
    return {
      dayId: expectInteger(element(v, 0, p), `${p}.day_id`),
      schedule: mapArray(element(v, 1, p), `${p}.day_schedule`, (a, ap) => {
        const av = expectStructure(a, 3, ap);
        return {
          startTime: expectTime(element(av, 0, ap), `${ap}.start_time`),
          scriptLogicalName: expectLogicalName(element(av, 1, ap), `${ap}.script_logical_name`),
          scriptSelector: expectInteger(element(av, 2, ap), `${ap}.script_selector`),
        };
      }),
    };
  });
}

export function encodeDayProfileTable(days: readonly DayProfile[]): DlmsData {
  return array(
    days.map((day) =>
      structure(
        int('unsigned', day.dayId, 'day_id'),
        array(
          day.schedule.map((a) =>
            structure(
              timeOctets(a.startTime, 'start_time'),
              logicalName(a.scriptLogicalName),
              int('long-unsigned', a.scriptSelector, 'script_selector'),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The four attributes of one calendar (active: 2..5, passive: 6..9). */
export interface ActivityCalendar {
  calendarName: Uint8Array;
  seasonProfile: Season[];
  weekProfileTable: WeekProfile[];
  dayProfileTable: DayProfile[];
}

export function encodeActivityCalendar(c: ActivityCalendar): {
  calendarName: DlmsData;
  seasonProfile: DlmsData;
  weekProfileTable: DlmsData;
  dayProfileTable: DlmsData;
} {
  return {
    calendarName: octets(c.calendarName),
    seasonProfile: encodeSeasonProfile(c.seasonProfile),
    weekProfileTable: encodeWeekProfileTable(c.weekProfileTable),
    dayProfileTable: encodeDayProfileTable(c.dayProfileTable),
  };
}

/** activate_passive_calendar_time (attribute 10). */
export function encodeActivatePassiveCalendarTime(t: CosemDateTime): DlmsData {
  return dateTimeOctets(t, 'activate_passive_calendar_time');
}

/** spec_day_entry: {index, specialday_date (date, wildcards allowed), day_id}. */
export interface SpecialDay {
  index: number;
  date: CosemDate;
  dayId: number;
}

export function decodeSpecialDays(d: DlmsData, path: Path = 'entries'): SpecialDay[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 3, p);
    return {
      index: expectInteger(element(v, 0, p), `${p}.index`),
      date: expectDate(element(v, 1, p), `${p}.specialday_date`),
      dayId: expectInteger(element(v, 2, p), `${p}.day_id`),
    };
  });
}

export function encodeSpecialDay(s: SpecialDay): DlmsData {
  return structure(
    int('long-unsigned', s.index, 'index'),
    dateOctets(s.date, 'specialday_date'),
    int('unsigned', s.dayId, 'day_id'),
  );
}

export function encodeSpecialDays(days: readonly SpecialDay[]): DlmsData {
  return array(days.map(encodeSpecialDay));
}

/** execution_time element: {time, date}; wildcards as the schedule `type` allows. */
export interface ExecutionTime {
  time: CosemTime;
  date: CosemDate;
}

export function decodeExecutedScript(d: DlmsData, path: Path = 'executed_script'): ScriptRef {
  return decodeScriptRef(d, path);
}

export function encodeExecutedScript(s: ScriptRef): DlmsData {
  return encodeScriptRef(s);
}

export function decodeSingleActionScheduleType(d: DlmsData, path: Path = 'type'): NamedValue {
  return named(expectInteger(d, path), SingleActionScheduleTypeNames);
}

export function decodeExecutionTime(d: DlmsData, path: Path = 'execution_time'): ExecutionTime[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 2, p);
    return {
      time: expectTime(element(v, 0, p), `${p}.time`),
      date: expectDate(element(v, 1, p), `${p}.date`),
    };
  });
}

export function encodeExecutionTime(times: readonly ExecutionTime[]): DlmsData {
  return array(times.map((t) => structure(timeOctets(t.time, 'time'), dateOctets(t.date, 'date'))));
}

/** Script table action_specification. service_id: 1 = write attribute, 2 = execute method. */
export interface ScriptAction {
  serviceId: number;
  classId: number;
  logicalName: Obis;
  index: number;
  parameter: DlmsData;
}

export interface Script {
  scriptIdentifier: number;
  actions: ScriptAction[];
}

export function decodeScripts(d: DlmsData, path: Path = 'scripts'): Script[] {
  return mapArray(d, path, (e, p) => {
    const v = expectStructure(e, 2, p);
    return {
      scriptIdentifier: expectInteger(element(v, 0, p), `${p}.script_identifier`),
      actions: mapArray(element(v, 1, p), `${p}.actions`, (a, ap) => {
        const av = expectStructure(a, 5, ap);
        return {
          serviceId: expectInteger(element(av, 0, ap), `${ap}.service_id`),
          classId: expectInteger(element(av, 1, ap), `${ap}.class_id`),
          logicalName: expectLogicalName(element(av, 2, ap), `${ap}.logical_name`),
          index: expectInteger(element(av, 3, ap), `${ap}.index`),
          parameter: element(av, 4, ap),
        };
      }),
    };
  });
}
