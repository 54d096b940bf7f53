import { describe, expect, it } from 'vitest';
import { ControlError } from '../src/errors.ts';
import { validateCommand } from '../src/validate.ts';

const CALENDAR = {
  name: 'TOU-2027',
  seasons: [
    { name: 'winter', start: '01-01', week: 'W' },
    { name: 'summer', start: '04-01', week: 'S' },
    { name: 'autumn', start: '10-01', week: 'W' },
  ],
  weeks: [
    { name: 'W', days: [1, 1, 1, 1, 1, 2, 2] },
    { name: 'S', days: [3, 3, 3, 3, 3, 2, 2] },
  ],
  days: [
    {
      id: 1,
      schedule: [
        { start: '00:00', tariff: 1 },
        { start: '07:00', tariff: 2 },
        { start: '22:00', tariff: 1 },
      ],
    },
    { id: 2, schedule: [{ start: '00:00', tariff: 1 }] },
    {
      id: 3,
      schedule: [
        { start: '00:00', tariff: 1, script: '0.0.10.0.100.255' },
        { start: '12:00', tariff: 3 },
      ],
    },
  ],
};

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** The field the refusal names (fails the test when nothing is refused). */
function refusedField(kind: string, parameters: unknown): string {
  try {
    validateCommand(kind, parameters);
  } catch (e) {
    expect(e).toBeInstanceOf(ControlError);
    const err = e as ControlError;
    expect(err.code).toBe('CONTROL_INVALID');
    expect(err.kind).toBe('invalid');
    expect(err.retryable).toBe(false);
    return String(err.detail?.field);
  }
  throw new Error(`${kind} ${JSON.stringify(parameters)} was accepted`);
}

describe('validateCommand', () => {
  it('accepts sound parameters of every kind', () => {
    const ok: [string, unknown][] = [
      ['connect', {}],
      ['connect', undefined],
      ['disconnect', { finalRead: false }],
      ['load-limit', { thresholdNormal: 5000, minOverThresholdSeconds: 60 }],
      [
        'emergency-activate',
        { profileId: 1, durationSeconds: 3600, groupIds: [1, 2], thresholdEmergency: 2000 },
      ],
      ['emergency-clear', {}],
      ['set-calendar', { calendar: CALENDAR, activateAt: Date.UTC(2027, 0, 1) }],
      [
        'set-special-days',
        {
          days: [
            { date: '12-25', dayId: 2 },
            { date: '2027-04-05', dayId: 2 },
          ],
        },
      ],
      ['set-special-days', { days: [] }],
      ['time-sync', {}],
      ['time-sync', { maxShiftSeconds: 300, boundaryGuardSeconds: 15, toleranceSeconds: 2 }],
      [
        'clock-config',
        {
          timeZoneMinutes: -60,
          dstEnabled: true,
          dstDeviationMinutes: 60,
          dstBegin: '2027-03-28T02:00',
          dstEnd: '2027-10-31T03:00:00',
        },
      ],
      ['firmware-update', { imageId: 7 }],
      ['key-rotation', {}],
      ['key-rotation', { keys: ['encryption'] }],
      ['security-activate', { policy: 3 }],
      [
        'push-setup',
        {
          destination: '10.0.0.1:4059',
          retries: 3,
          windows: [{ start: '2027-01-01T00:00', end: '2027-01-01T06:00' }],
        },
      ],
      ['push-setup', { pushObis: '0.1.25.9.0.255', destination: 'hes.example.net:4059' }],
      ['push-setup', { destination: '[2001:db8::1]:4059' }],
    ];
    for (const [kind, p] of ok)
      expect(() => validateCommand(kind, p), `${kind} ${JSON.stringify(p)}`).not.toThrow();
  });

  it('refuses an unknown kind and unknown fields, naming them', () => {
    expect(refusedField('reboot', {})).toBe('kind');
    expect(refusedField('connect', { force: true })).toBe('force');
    expect(refusedField('disconnect', { finalRead: 'yes' })).toBe('finalRead');
    expect(refusedField('disconnect', [])).toBe('parameters');
    const c = clone(CALENDAR) as Record<string, unknown>;
    c.colour = 'blue';
    expect(refusedField('set-calendar', { calendar: c })).toBe('calendar.colour');
  });

  it('refuses values out of range and missing required fields', () => {
    expect(refusedField('load-limit', {})).toBe('parameters');
    expect(refusedField('load-limit', { thresholdNormal: -1 })).toBe('thresholdNormal');
    expect(refusedField('load-limit', { minOverThresholdSeconds: 1.5 })).toBe('minOverThresholdSeconds');
    expect(refusedField('emergency-activate', { durationSeconds: 10 })).toBe('profileId');
    expect(refusedField('emergency-activate', { profileId: 70000, durationSeconds: 10 })).toBe('profileId');
    expect(refusedField('emergency-activate', { profileId: 1, durationSeconds: 0 })).toBe('durationSeconds');
    expect(refusedField('emergency-activate', { profileId: 1, durationSeconds: 9, groupIds: [1, 1] })).toBe(
      'groupIds[1]',
    );
    expect(refusedField('emergency-activate', { profileId: 1, durationSeconds: 9, activateAt: 5 })).toBe(
      'activateAt',
    );
    expect(refusedField('firmware-update', {})).toBe('imageId');
    expect(refusedField('firmware-update', { imageId: 0 })).toBe('imageId');
    expect(refusedField('key-rotation', { keys: ['master'] })).toBe('keys[0]');
    expect(refusedField('key-rotation', { keys: ['encryption', 'encryption'] })).toBe('keys[1]');
    expect(refusedField('key-rotation', { keys: [] })).toBe('keys');
    expect(refusedField('security-activate', { policy: 256 })).toBe('policy');
    expect(refusedField('clock-config', {})).toBe('parameters');
    expect(refusedField('clock-config', { timeZoneMinutes: 800 })).toBe('timeZoneMinutes');
    expect(refusedField('clock-config', { dstBegin: '2027-03-28 02:00', dstEnd: '2027-10-31T03:00' })).toBe(
      'dstBegin',
    );
    expect(refusedField('clock-config', { dstBegin: '2027-03-28T02:00' })).toBe('dstEnd');
  });

  it('bounds time-sync: shift within ±900 s, guard, tolerance below the shift limit', () => {
    expect(refusedField('time-sync', { maxShiftSeconds: 901 })).toBe('maxShiftSeconds');
    expect(refusedField('time-sync', { maxShiftSeconds: 0 })).toBe('maxShiftSeconds');
    expect(refusedField('time-sync', { boundaryGuardSeconds: -1 })).toBe('boundaryGuardSeconds');
    expect(refusedField('time-sync', { boundaryGuardSeconds: 600 })).toBe('boundaryGuardSeconds');
    expect(refusedField('time-sync', { toleranceSeconds: 61 })).toBe('toleranceSeconds');
    expect(refusedField('time-sync', { maxShiftSeconds: 5, toleranceSeconds: 5 })).toBe('toleranceSeconds');
  });

  it('checks push destinations as host:port', () => {
    for (const bad of [
      '10.0.0.1',
      '10.0.0.1:0',
      '10.0.0.1:70000',
      '300.0.0.1:4059',
      ':4059',
      'a b:1',
      'host:port',
    ])
      expect(refusedField('push-setup', { destination: bad }), bad).toBe('destination');
    expect(refusedField('push-setup', { pushObis: '1.2.3', retries: 1 })).toBe('pushObis');
    expect(
      refusedField('push-setup', { windows: [{ start: '2027-01-01T06:00', end: '2027-01-01T05:00' }] }),
    ).toBe('windows[0].end');
    expect(refusedField('push-setup', { retries: 256 })).toBe('retries');
    expect(() =>
      validateCommand('push-setup', {
        windows: [{ start: '2027-01-01T00:00Z', end: '2027-01-01T06:00+05:30' }],
      }),
    ).not.toThrow();
    expect(
      refusedField('push-setup', { windows: [{ start: '2027-01-01T00:00Z', end: '2027-01-01T06:00' }] }),
    ).toBe('windows[0].end');
  });

  describe('calendar rules', () => {
    const refused = (mutate: (c: typeof CALENDAR) => void): string => {
      const c = clone(CALENDAR);
      mutate(c);
      return refusedField('set-calendar', { calendar: c });
    };

    it('names an unknown day id in a week', () => {
      expect(
        refused((c) => {
          c.weeks[1]!.days[3] = 9;
        }),
      ).toBe('calendar.weeks[1].days[3]');
    });
    it('names an unknown week in a season', () => {
      expect(
        refused((c) => {
          c.seasons[2]!.week = 'X';
        }),
      ).toBe('calendar.seasons[2].week');
    });
    it('refuses seasons not sorted by start, or mixing every-year and dated starts', () => {
      expect(
        refused((c) => {
          c.seasons[1]!.start = '11-01';
        }),
      ).toBe('calendar.seasons[2].start');
      expect(
        refused((c) => {
          c.seasons[1]!.start = '01-01';
        }),
      ).toBe('calendar.seasons[1].start');
      expect(
        refused((c) => {
          c.seasons[1]!.start = '2027-04-01';
        }),
      ).toBe('calendar.seasons[1].start');
    });
    it('refuses a day not starting at 00:00 or not sorted', () => {
      expect(
        refused((c) => {
          c.days[0]!.schedule[0]!.start = '00:30';
        }),
      ).toBe('calendar.days[0].schedule[0].start');
      expect(
        refused((c) => {
          c.days[0]!.schedule[2]!.start = '06:00';
        }),
      ).toBe('calendar.days[0].schedule[2].start');
      expect(
        refused((c) => {
          c.days[0]!.schedule[2]!.start = '07:00';
        }),
      ).toBe('calendar.days[0].schedule[2].start');
    });
    it('refuses duplicate names and ids', () => {
      expect(
        refused((c) => {
          c.days[2]!.id = 1;
        }),
      ).toBe('calendar.days[2].id');
      expect(
        refused((c) => {
          c.weeks[1]!.name = 'W';
        }),
      ).toBe('calendar.weeks[1].name');
      expect(
        refused((c) => {
          c.seasons[2]!.name = 'winter';
        }),
      ).toBe('calendar.seasons[2].name');
    });
    it('checks HH:MM, MM-DD, OBIS and name formats', () => {
      expect(
        refused((c) => {
          c.days[0]!.schedule[1]!.start = '24:00';
        }),
      ).toBe('calendar.days[0].schedule[1].start');
      expect(
        refused((c) => {
          c.days[0]!.schedule[1]!.start = '7:00';
        }),
      ).toBe('calendar.days[0].schedule[1].start');
      expect(
        refused((c) => {
          c.seasons[1]!.start = '02-30';
        }),
      ).toBe('calendar.seasons[1].start');
      expect(
        refused((c) => {
          c.seasons[1]!.start = '13-01';
        }),
      ).toBe('calendar.seasons[1].start');
      expect(
        refused((c) => {
          c.days[2]!.schedule[0]!.script = '0.0.10.0.100';
        }),
      ).toBe('calendar.days[2].schedule[0].script');
      expect(
        refused((c) => {
          c.name = 'x'.repeat(33);
        }),
      ).toBe('calendar.name');
      expect(
        refused((c) => {
          c.name = '';
        }),
      ).toBe('calendar.name');
      expect(
        refused((c) => {
          c.seasons[0]!.name = 'é';
        }),
      ).toBe('calendar.seasons[0].name');
      expect(
        refused((c) => {
          c.weeks[0]!.days = [1, 1, 1] as never;
        }),
      ).toBe('calendar.weeks[0].days');
      expect(
        refused((c) => {
          c.days[1]!.schedule[0]!.tariff = -1;
        }),
      ).toBe('calendar.days[1].schedule[0].tariff');
    });
    it('special days: dates, duplicates, day ids', () => {
      expect(refusedField('set-special-days', { days: [{ date: '12-32', dayId: 1 }] })).toBe('days[0].date');
      expect(refusedField('set-special-days', { days: [{ date: '2027-02-29', dayId: 1 }] })).toBe(
        'days[0].date',
      );
      expect(() =>
        validateCommand('set-special-days', { days: [{ date: '02-29', dayId: 1 }] }),
      ).not.toThrow();
      expect(
        refusedField('set-special-days', {
          days: [
            { date: '12-25', dayId: 1 },
            { date: '12-25', dayId: 2 },
          ],
        }),
      ).toBe('days[1].date');
      expect(refusedField('set-special-days', { days: [{ date: '12-25', dayId: 256 }] })).toBe(
        'days[0].dayId',
      );
      expect(refusedField('set-special-days', {})).toBe('days');
    });
  });
});
