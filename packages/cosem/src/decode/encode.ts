import type { CosemDate, CosemDateTime, CosemTime, DlmsData } from '@openhes/dlms';
import { dateTimeToOctets, dateToOctets, timeToOctets } from '@openhes/dlms';
import { CosemError, CosemErrorCode } from '../errors.ts';
import { type Obis, obisToBytes } from '../obis.ts';

type IntegerTypeName =
  | 'integer'
  | 'long'
  | 'double-long'
  | 'unsigned'
  | 'long-unsigned'
  | 'double-long-unsigned'
  | 'enum';

const RANGE: Readonly<Record<IntegerTypeName, readonly [number, number]>> = {
  integer: [-128, 127],
  long: [-32768, 32767],
  'double-long': [-2147483648, 2147483647],
  unsigned: [0, 255],
  'long-unsigned': [0, 65535],
  'double-long-unsigned': [0, 4294967295],
  enum: [0, 255],
};

export function int(type: IntegerTypeName, value: number, field: string): DlmsData {
  const [min, max] = RANGE[type];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CosemError(CosemErrorCode.Encode, `${field} ${value} does not fit ${type} (${min}..${max})`);
  }
  return { type, value };
}

export function octets(value: Uint8Array): DlmsData {
  return { type: 'octet-string', value };
}

export function logicalName(o: Obis): DlmsData {
  try {
    return octets(obisToBytes(o));
  } catch (e) {
    throw new CosemError(CosemErrorCode.Encode, `logical name ${o.join('.')} is not a valid OBIS`, {
      cause: e,
    });
  }
}

function wrapDlms<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new CosemError(CosemErrorCode.Encode, `${field} cannot be encoded`, { cause: e });
  }
}

/** date-time travels as a 12-byte octet-string in COSEM attributes. */
export function dateTimeOctets(v: CosemDateTime, field = 'date-time'): DlmsData {
  return octets(wrapDlms(field, () => dateTimeToOctets(v)));
}

export function dateOctets(v: CosemDate, field = 'date'): DlmsData {
  return octets(wrapDlms(field, () => dateToOctets(v)));
}

export function timeOctets(v: CosemTime, field = 'time'): DlmsData {
  return octets(wrapDlms(field, () => timeToOctets(v)));
}

export function structure(...value: DlmsData[]): DlmsData {
  return { type: 'structure', value };
}

export function array(value: DlmsData[]): DlmsData {
  return { type: 'array', value };
}
