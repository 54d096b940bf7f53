import {
  type ActivityCalendar,
  ClassId,
  decodeActivityCalendar,
  decodeClockTime,
  decodeSpecialDays,
  encodeActivatePassiveCalendarTime,
  encodeActivityCalendar,
  encodeSpecialDays,
  type SpecialDay,
} from '@openhes/cosem';
import type { DlmsData } from '@openhes/dlms';
import type { CalendarActivation, CalendarOutcome, TariffProgramming } from '../driver.ts';
import type { DriverProfile } from '../profile.ts';
import type { DlmsClientPort } from './client-port.ts';
import {
  attributeRange,
  type DlmsOperation,
  dataText,
  decoded,
  encoded,
  invoke,
  mismatch,
  readAll,
  write,
} from './ops.ts';
import { meterDateTime, sameMeterTime } from './time.ts';

const CALENDAR = ClassId.ActivityCalendar;
const SPECIAL_DAYS = ClassId.SpecialDaysTable;
/** Active calendar attributes 2..5, passive 6..9, activate_passive_calendar_time 10. */
const ACTIVE = attributeRange(2, 5);
const PASSIVE = attributeRange(6, 9);
const ACTIVATION_TIME = 10;
const ACTIVATE_PASSIVE = 1;
const ENTRIES = 2;

/** The calendar as comparable text (its A-XDR encoding). */
function calendarText(c: ActivityCalendar): string {
  return dataText(encodeActivityCalendar(c));
}

/**
 * Tariff programming over the activity calendar (class 20) and, where the model has one, the
 * special days table (class 11): passive set written 6 → 7 → 8 → 9, activated by method 1 or
 * attribute 10, everything read back and compared.
 */
export class DlmsTariffProgramming implements TariffProgramming {
  readonly #op: DlmsOperation;
  readonly #obis: string;
  readonly #profile: DriverProfile;
  readonly setSpecialDays?: (days: readonly SpecialDay[]) => Promise<SpecialDay[]>;
  readonly readSpecialDays?: () => Promise<SpecialDay[]>;

  constructor(op: DlmsOperation, obis: string, specialDaysObis: string | undefined, profile: DriverProfile) {
    this.#op = op;
    this.#obis = obis;
    this.#profile = profile;
    if (specialDaysObis !== undefined) {
      const sd = specialDaysObis;
      this.readSpecialDays = () => op((client) => readDays(client, sd));
      this.setSpecialDays = async (days) => {
        const value = encoded(() => encodeSpecialDays(days));
        return op(async (client) => {
          await write(client, sd, SPECIAL_DAYS, ENTRIES, value);
          const back = await readDays(client, sd);
          if (dataText(encodeSpecialDays(back)) !== dataText(value))
            throw mismatch('special days entries', days, back);
          return back;
        });
      };
    }
  }

  readActiveCalendar(): Promise<ActivityCalendar> {
    return this.#op((client) => this.#calendar(client, ACTIVE, 'active'));
  }

  readPassiveCalendar(): Promise<ActivityCalendar> {
    return this.#op((client) => this.#calendar(client, PASSIVE, 'passive'));
  }

  async programCalendar(
    calendar: ActivityCalendar,
    activation: CalendarActivation,
  ): Promise<CalendarOutcome> {
    const e = encoded(() => encodeActivityCalendar(calendar));
    const time =
      activation.kind === 'at'
        ? typeof activation.time === 'number'
          ? meterDateTime(activation.time, this.#profile)
          : activation.time
        : undefined;
    const at = time === undefined ? undefined : encoded(() => encodeActivatePassiveCalendarTime(time));
    const wanted = calendarText(calendar);
    return this.#op(async (client) => {
      const writes: [number, DlmsData][] = [
        [6, e.calendarName],
        [7, e.seasonProfile],
        [8, e.weekProfileTable],
        [9, e.dayProfileTable],
      ];
      for (const [attr, value] of writes) await write(client, this.#obis, CALENDAR, attr, value);
      if (at === undefined) await invoke(client, this.#obis, CALENDAR, ACTIVATE_PASSIVE);
      else await write(client, this.#obis, CALENDAR, ACTIVATION_TIME, at);
      const values = await readAll(client, this.#obis, CALENDAR, [...ACTIVE, ...PASSIVE, ACTIVATION_TIME]);
      const active = decoded(() => decodeActivityCalendar(values.slice(0, 4), 'active'));
      const passive = decoded(() => decodeActivityCalendar(values.slice(4, 8), 'passive'));
      const activationTime = decoded(() => decodeClockTime(values[8]!, 'activate_passive_calendar_time'));
      if (time === undefined) {
        if (calendarText(active) !== wanted) throw mismatch('active calendar', calendar, active);
      } else {
        if (calendarText(passive) !== wanted) throw mismatch('passive calendar', calendar, passive);
        if (!sameMeterTime(activationTime, time, this.#profile))
          throw mismatch('activate_passive_calendar_time', time, activationTime);
      }
      return { active, passive, activationTime };
    });
  }

  async #calendar(client: DlmsClientPort, attrs: number[], path: string): Promise<ActivityCalendar> {
    const values = await readAll(client, this.#obis, CALENDAR, attrs);
    return decoded(() => decodeActivityCalendar(values, path));
  }
}

async function readDays(client: DlmsClientPort, obis: string): Promise<SpecialDay[]> {
  const [d] = await readAll(client, obis, SPECIAL_DAYS, [ENTRIES]);
  return decoded(() => decodeSpecialDays(d!));
}
