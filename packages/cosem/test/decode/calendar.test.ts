import { describe, expect, it } from 'vitest';
import { CosemError } from '../../src/errors.ts';
import {
  type DayProfile,
  decodeDayProfileTable,
  decodeExecutedScript,
  decodeExecutionTime,
  decodeScripts,
  decodeSeasonProfile,
  decodeSingleActionScheduleType,
  decodeSpecialDays,
  decodeWeekProfileTable,
  encodeActivityCalendar,
  encodeDayProfileTable,
  encodeExecutedScript,
  encodeExecutionTime,
  encodeSeasonProfile,
  encodeSpecialDays,
  encodeWeekProfileTable,
  type Season,
  type WeekProfile,
} from '../../src/index.ts';
import { D, dt, dtOctets } from '../fixtures.ts';

const name = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const WILD = 0xff;

// Provenance: hand-built two-season TOU calendar with one week and a two-rate day
// (tariff script 0.0.10.0.100.255 selectors 1 and 2), as a head end would write it.
const seasonData = D.array(
  D.struct(
    D.text('SUMMER'),
    dtOctets((WILD << 8) | WILD, 4, 1, 0, 0, 0, 0x8000 - 0x10000, WILD),
    D.text('WK1'),
  ),
  D.struct(
    D.text('WINTER'),
    dtOctets((WILD << 8) | WILD, 10, 1, 0, 0, 0, 0x8000 - 0x10000, WILD),
    D.text('WK1'),
  ),
);
const weekData = D.array(
  D.struct(D.text('WK1'), D.u8(1), D.u8(1), D.u8(1), D.u8(1), D.u8(1), D.u8(2), D.u8(2)),
);
const dayData = D.array(
  D.struct(
    D.u8(1),
    D.array(
      D.struct(D.octets(0, 0, 0, 0), D.ln('0.0.10.0.100.255'), D.u16(1)),
      D.struct(D.octets(18, 0, 0, 0), D.ln('0.0.10.0.100.255'), D.u16(2)),
    ),
  ),
  D.struct(D.u8(2), D.array(D.struct(D.octets(0, 0, 0, 0), D.ln('0.0.10.0.100.255'), D.u16(1)))),
);

describe('Activity calendar', () => {
  it('decodes season, week and day profiles', () => {
    const seasons = decodeSeasonProfile(seasonData);
    expect(seasons).toHaveLength(2);
    expect(seasons[0]!.name).toEqual(name('SUMMER'));
    expect(seasons[0]!.start).toEqual(dt(0xffff, 4, 1, 0, 0, 0, null, 0xff));
    expect(seasons[1]!.weekName).toEqual(name('WK1'));

    const [week] = decodeWeekProfileTable(weekData);
    expect(week).toEqual({
      name: name('WK1'),
      monday: 1,
      tuesday: 1,
      wednesday: 1,
      thursday: 1,
      friday: 1,
      saturday: 2,
      sunday: 2,
    });

    const days = decodeDayProfileTable(dayData);
    expect(days[0]!.schedule[1]).toEqual({
      startTime: { hour: 18, minute: 0, second: 0, hundredths: 0 },
      scriptLogicalName: [0, 0, 10, 0, 100, 255],
      scriptSelector: 2,
    });
  });

  it('encodes what it decodes, byte for byte', () => {
    expect(encodeSeasonProfile(decodeSeasonProfile(seasonData))).toEqual(seasonData);
    expect(encodeWeekProfileTable(decodeWeekProfileTable(weekData))).toEqual(weekData);
    expect(encodeDayProfileTable(decodeDayProfileTable(dayData))).toEqual(dayData);
  });

  it('encodes a whole passive calendar from typed values', () => {
    const seasons: Season[] = [
      { name: name('S1'), start: dt(0xffff, 1, 1, 0, 0, 0, null, 0xff), weekName: name('W1') },
    ];
    const weeks: WeekProfile[] = [
      {
        name: name('W1'),
        monday: 1,
        tuesday: 1,
        wednesday: 1,
        thursday: 1,
        friday: 1,
        saturday: 1,
        sunday: 1,
      },
    ];
    const days: DayProfile[] = [
      {
        dayId: 1,
        schedule: [
          {
            startTime: { hour: 6, minute: 0, second: 0, hundredths: 0 },
            scriptLogicalName: [0, 0, 10, 0, 100, 255],
            scriptSelector: 1,
          },
        ],
      },
    ];
    const out = encodeActivityCalendar({
      calendarName: name('TOU'),
      seasonProfile: seasons,
      weekProfileTable: weeks,
      dayProfileTable: days,
    });
    expect(out.calendarName).toEqual(D.text('TOU'));
    expect(decodeSeasonProfile(out.seasonProfile)).toEqual(seasons);
    expect(decodeWeekProfileTable(out.weekProfileTable)).toEqual(weeks);
    expect(decodeDayProfileTable(out.dayProfileTable)).toEqual(days);
  });

  it('refuses values that do not fit', () => {
    const bad: WeekProfile = {
      name: name('W'),
      monday: 256,
      tuesday: 1,
      wednesday: 1,
      thursday: 1,
      friday: 1,
      saturday: 1,
      sunday: 1,
    };
    try {
      encodeWeekProfileTable([bad]);
      expect.fail('expected CosemError');
    } catch (e) {
      expect((e as CosemError).code).toBe('COSEM_ENCODE');
    }
    expect(() =>
      encodeDayProfileTable([
        {
          dayId: 1,
          schedule: [
            {
              startTime: { hour: 6, minute: 0, second: 0, hundredths: 0 },
              scriptLogicalName: [0, 0, 10, 0, 100, 256],
              scriptSelector: 1,
            },
          ],
        },
      ]),
    ).toThrow(CosemError);
  });

  it.each([
    [
      'a season with a short start',
      D.array(D.struct(D.text('S'), D.octets(1, 2, 3), D.text('W'))),
      'season_profile[0].season_start',
    ],
    [
      'a week with six days',
      D.array(D.struct(D.text('W'), D.u8(1), D.u8(1), D.u8(1), D.u8(1), D.u8(1), D.u8(1))),
      'week_profile_table[0]',
    ],
    [
      'a day action with a 5-byte time',
      D.array(
        D.struct(D.u8(1), D.array(D.struct(D.octets(0, 0, 0, 0, 0), D.ln('0.0.10.0.100.255'), D.u16(1)))),
      ),
      'day_profile_table[0].day_schedule[0].start_time',
    ],
  ])('rejects %s', (_, data, path) => {
    const decode = path.startsWith('season')
      ? decodeSeasonProfile
      : path.startsWith('week')
        ? decodeWeekProfileTable
        : decodeDayProfileTable;
    try {
      decode(data);
      expect.fail('expected CosemError');
    } catch (e) {
      expect(e).toBeInstanceOf(CosemError);
      expect((e as CosemError).code).toBe('COSEM_SHAPE');
      expect((e as CosemError).path).toBe(path);
    }
  });
});

describe('Special days, single action schedule, script table', () => {
  it('special days round-trip (date with wildcard year)', () => {
    const data = D.array(D.struct(D.u16(1), D.octets(0xff, 0xff, 1, 26, 0xff), D.u8(3)));
    const days = decodeSpecialDays(data);
    expect(days).toEqual([
      { index: 1, date: { year: 0xffff, month: 1, dayOfMonth: 26, dayOfWeek: 0xff }, dayId: 3 },
    ]);
    expect(encodeSpecialDays(days)).toEqual(data);
  });

  it('single action schedule: executed_script, type and execution_time (billing on the 1st at 00:00)', () => {
    const script = D.struct(D.ln('0.0.10.0.1.255'), D.u16(1));
    expect(decodeExecutedScript(script)).toEqual({
      scriptLogicalName: [0, 0, 10, 0, 1, 255],
      scriptSelector: 1,
    });
    expect(encodeExecutedScript(decodeExecutedScript(script))).toEqual(script);
    expect(decodeSingleActionScheduleType(D.enum(1)).name).toBe('single_execution_time_wildcards_allowed');
    const times = D.array(D.struct(D.octets(0, 0, 0, 0), D.octets(0xff, 0xff, 0xff, 1, 0xff)));
    const decoded = decodeExecutionTime(times);
    expect(decoded[0]!.date).toEqual({ year: 0xffff, month: 0xff, dayOfMonth: 1, dayOfWeek: 0xff });
    expect(encodeExecutionTime(decoded)).toEqual(times);
  });

  it('script table', () => {
    const scripts = D.array(
      D.struct(D.u16(1), D.array(D.struct(D.enum(2), D.u16(70), D.ln('0.0.96.3.10.255'), D.i8(1), D.i8(0)))),
    );
    expect(decodeScripts(scripts)).toEqual([
      {
        scriptIdentifier: 1,
        actions: [
          { serviceId: 2, classId: 70, logicalName: [0, 0, 96, 3, 10, 255], index: 1, parameter: D.i8(0) },
        ],
      },
    ]);
  });
});
