import type { CosemDateTime, DlmsData } from '@openhes/dlms';
import { CLOCK_STATUS_UNSPECIFIED, ClockStatus } from '@openhes/dlms';
import { ClockBaseNames } from '../classes/time.ts';
import { CosemError, CosemErrorCode } from '../errors.ts';
import { dateTimeOctets, int } from './encode.ts';
import {
  element,
  expectBoolean,
  expectDateTime,
  expectInteger,
  type NamedValue,
  named,
  type Path,
} from './shape.ts';

/** Clock status byte as flags (bits per reference tables §2); 0xFF = not specified. */
export interface ClockStatusInfo {
  raw: number;
  invalidValue: boolean;
  doubtfulValue: boolean;
  differentClockBase: boolean;
  invalidClockStatus: boolean;
  daylightSavingActive: boolean;
  notSpecified: boolean;
}

export function clockStatusInfo(raw: number): ClockStatusInfo {
  return {
    raw,
    invalidValue: (raw & ClockStatus.invalidValue) !== 0,
    doubtfulValue: (raw & ClockStatus.doubtfulValue) !== 0,
    differentClockBase: (raw & ClockStatus.differentClockBase) !== 0,
    invalidClockStatus: (raw & ClockStatus.invalidClockStatus) !== 0,
    daylightSavingActive: (raw & ClockStatus.daylightSavingActive) !== 0,
    notSpecified: raw === CLOCK_STATUS_UNSPECIFIED,
  };
}

export function decodeClockStatus(d: DlmsData, path: Path = 'status'): ClockStatusInfo {
  return clockStatusInfo(expectInteger(d, path));
}

/** Clock attributes 2, 5, 6: a date-time octet-string (5 and 6 usually carry wildcards). */
export function decodeClockTime(d: DlmsData, path: Path = 'time'): CosemDateTime {
  return expectDateTime(d, path);
}

/** time_zone (attribute 3): minutes from local time to UTC, as the meter states it. */
export function decodeTimeZone(d: DlmsData, path: Path = 'time_zone'): number {
  return expectInteger(d, path);
}

export function decodeClockBase(d: DlmsData, path: Path = 'clock_base'): NamedValue {
  return named(expectInteger(d, path), ClockBaseNames);
}

/** Clock attributes 2..9 read together (e.g. with GET-with-list). */
export interface ClockAttributes {
  time: CosemDateTime;
  timeZone: number;
  status: ClockStatusInfo;
  daylightSavingsBegin: CosemDateTime;
  daylightSavingsEnd: CosemDateTime;
  daylightSavingsDeviation: number;
  daylightSavingsEnabled: boolean;
  clockBase: NamedValue;
}

export function decodeClockAttributes(values: readonly DlmsData[], path: Path = 'clock'): ClockAttributes {
  const at = (i: number) => element(values, i, path);
  return {
    time: decodeClockTime(at(0), `${path}.time`),
    timeZone: decodeTimeZone(at(1), `${path}.time_zone`),
    status: decodeClockStatus(at(2), `${path}.status`),
    daylightSavingsBegin: decodeClockTime(at(3), `${path}.daylight_savings_begin`),
    daylightSavingsEnd: decodeClockTime(at(4), `${path}.daylight_savings_end`),
    daylightSavingsDeviation: expectInteger(at(5), `${path}.daylight_savings_deviation`),
    daylightSavingsEnabled: expectBoolean(at(6), `${path}.daylight_savings_enabled`),
    clockBase: decodeClockBase(at(7), `${path}.clock_base`),
  };
}

/** Clock.time for a SET (attribute 2): the 12-byte octet-string form. */
export function encodeClockTime(t: CosemDateTime): DlmsData {
  return dateTimeOctets(t, 'time');
}

export function encodeTimeZone(minutes: number): DlmsData {
  return int('long', minutes, 'time_zone');
}

/** preset_adjusting_time (method 5) parameter. */
export function encodePresetAdjustingTime(
  presetTime: CosemDateTime,
  validityIntervalStart: CosemDateTime,
  validityIntervalEnd: CosemDateTime,
): DlmsData {
  return {
    type: 'structure',
    value: [
      dateTimeOctets(presetTime, 'preset_time'),
      dateTimeOctets(validityIntervalStart, 'validity_interval_start'),
      dateTimeOctets(validityIntervalEnd, 'validity_interval_end'),
    ],
  };
}

/** shift_time (method 6): seconds, -900..900. */
export function encodeShiftTime(seconds: number): DlmsData {
  if (!Number.isInteger(seconds) || seconds < -900 || seconds > 900) {
    throw new CosemError(CosemErrorCode.Encode, `shift_time ${seconds} outside -900..900 s`);
  }
  return int('long', seconds, 'shift_time');
}
