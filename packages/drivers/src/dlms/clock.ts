import type { Instant } from '@openhes/core';
import {
  ClassId,
  type ClockAttributes,
  decodeClockAttributes,
  encodeClockTime,
  encodeShiftTime,
  encodeTimeZone,
} from '@openhes/cosem';
import { type CosemDateTime, type DlmsData, dateTimeFromData } from '@openhes/dlms';
import type { ClockControl, ClockReading, ClockSettings, ClockState } from '../driver.ts';
import { DriverError, DriverErrorCode, toDriverError } from '../errors.ts';
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
import { meterDateTime, meterInstant } from './time.ts';

const CLOCK = ClassId.Clock;
const TIME = 2;
const SHIFT_TIME = 6;
/** Attribute of each setting, written in this order. */
const SETTING_ATTR: Readonly<Record<keyof ClockSettings, number>> = {
  timeZone: 3,
  daylightSavingsBegin: 5,
  daylightSavingsEnd: 6,
  daylightSavingsDeviation: 7,
  daylightSavingsEnabled: 8,
};

/** The clock's time read now, placed against head-end time halfway through the round trip. */
export async function readClockOn(
  client: DlmsClientPort,
  obis: string,
  p: DriverProfile,
  now: () => Instant,
): Promise<ClockReading> {
  const before = now();
  const d = await client.get(obis, CLOCK, TIME);
  const after = now();
  let meterTime: Instant | undefined;
  try {
    meterTime = meterInstant(dateTimeFromData(d), p);
  } catch (e) {
    throw toDriverError(e);
  }
  if (meterTime === undefined)
    throw new DriverError(DriverErrorCode.Protocol, 'meter clock is not a complete date-time');
  const localTime = Math.round((before + after) / 2);
  return { meterTime, localTime, driftMs: meterTime - localTime };
}

function encodeSetting<K extends keyof ClockSettings>(key: K, v: ClockSettings[K]): DlmsData {
  switch (key) {
    case 'timeZone':
      return encodeTimeZone(v as number);
    case 'daylightSavingsBegin':
    case 'daylightSavingsEnd':
      return encodeClockTime(v as CosemDateTime);
    case 'daylightSavingsDeviation': {
      const n = v as number;
      if (!Number.isInteger(n) || n < -120 || n > 120)
        throw new DriverError(
          DriverErrorCode.Invalid,
          `daylightSavingsDeviation ${n} outside -120..120 minutes`,
        );
      return { type: 'integer', value: n };
    }
    default:
      return { type: 'boolean', value: v as boolean };
  }
}

/** Clock control (class 8): shift_time, set, time zone and DST, with read-back. */
export class DlmsClockControl implements ClockControl {
  readonly #op: DlmsOperation;
  readonly #obis: string;
  readonly #profile: DriverProfile;
  readonly #now: () => Instant;

  constructor(op: DlmsOperation, obis: string, profile: DriverProfile, now: () => Instant) {
    this.#op = op;
    this.#obis = obis;
    this.#profile = profile;
    this.#now = now;
  }

  readClockState(): Promise<ClockState> {
    return this.#op((client) => this.#state(client));
  }

  async shiftTime(seconds: number): Promise<ClockReading> {
    const data = encoded(() => encodeShiftTime(seconds));
    return this.#op(async (client) => {
      await invoke(client, this.#obis, CLOCK, SHIFT_TIME, data);
      return readClockOn(client, this.#obis, this.#profile, this.#now);
    });
  }

  async setTime(at: Instant): Promise<ClockReading> {
    const value = encoded(() => encodeClockTime(meterDateTime(at, this.#profile)));
    return this.#op(async (client) => {
      await write(client, this.#obis, CLOCK, TIME, value);
      return readClockOn(client, this.#obis, this.#profile, this.#now);
    });
  }

  async setClockSettings(settings: Partial<ClockSettings>): Promise<ClockState> {
    const writes: [keyof ClockSettings, number, DlmsData][] = [];
    for (const key of Object.keys(SETTING_ATTR) as (keyof ClockSettings)[]) {
      const v = settings[key];
      if (v === undefined) continue;
      writes.push([key, SETTING_ATTR[key], encoded(() => encodeSetting(key, v))]);
    }
    return this.#op(async (client) => {
      for (const [, attr, value] of writes) await write(client, this.#obis, CLOCK, attr, value);
      const state = await this.#state(client);
      for (const [key, , value] of writes)
        if (dataText(encodeSetting(key, state[key])) !== dataText(value))
          throw mismatch(`clock ${key}`, settings[key], state[key]);
      return state;
    });
  }

  async #state(client: DlmsClientPort): Promise<ClockState> {
    const values = await readAll(client, this.#obis, CLOCK, attributeRange(2, 9));
    const c: ClockAttributes = decoded(() => decodeClockAttributes(values));
    return {
      time: c.time,
      meterTime: meterInstant(c.time, this.#profile),
      status: c.status,
      timeZone: c.timeZone,
      daylightSavingsBegin: c.daylightSavingsBegin,
      daylightSavingsEnd: c.daylightSavingsEnd,
      daylightSavingsDeviation: c.daylightSavingsDeviation,
      daylightSavingsEnabled: c.daylightSavingsEnabled,
      clockBase: c.clockBase.value,
    };
  }
}
