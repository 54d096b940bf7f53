import type { CosemDateTime, DlmsData } from '@openhes/dlms';

/** Small builders for hand-written DlmsData fixtures. */
export const D = {
  null: (): DlmsData => ({ type: 'null-data' }),
  bool: (value: boolean): DlmsData => ({ type: 'boolean', value }),
  i8: (value: number): DlmsData => ({ type: 'integer', value }),
  i16: (value: number): DlmsData => ({ type: 'long', value }),
  u8: (value: number): DlmsData => ({ type: 'unsigned', value }),
  u16: (value: number): DlmsData => ({ type: 'long-unsigned', value }),
  u32: (value: number): DlmsData => ({ type: 'double-long-unsigned', value }),
  i32: (value: number): DlmsData => ({ type: 'double-long', value }),
  enum: (value: number): DlmsData => ({ type: 'enum', value }),
  f32: (value: number): DlmsData => ({ type: 'float32', value }),
  octets: (...bytes: number[]): DlmsData => ({ type: 'octet-string', value: Uint8Array.from(bytes) }),
  text: (s: string): DlmsData => ({
    type: 'octet-string',
    value: Uint8Array.from(s, (c) => c.charCodeAt(0)),
  }),
  visible: (value: string): DlmsData => ({ type: 'visible-string', value }),
  ln: (s: string): DlmsData => ({ type: 'octet-string', value: Uint8Array.from(s.split('.').map(Number)) }),
  struct: (...value: DlmsData[]): DlmsData => ({ type: 'structure', value }),
  array: (...value: DlmsData[]): DlmsData => ({ type: 'array', value }),
};

/** capture_object_definition {class_id, logical_name, attribute_index, data_index}. */
export function co(classId: number, ln: string, attr: number, dataIndex = 0): DlmsData {
  return D.struct(D.u16(classId), D.ln(ln), D.i8(attr), D.u16(dataIndex));
}

/** 12-byte date-time octets: year, month, day, dow, h, m, s, hundredths, deviation, status. */
export function dtOctets(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second = 0,
  deviation = 0,
  status = 0,
  dow = 0xff,
): DlmsData {
  const dev = deviation < 0 ? deviation + 0x10000 : deviation;
  return D.octets(
    year >> 8,
    year & 0xff,
    month,
    day,
    dow,
    hour,
    minute,
    second,
    0,
    dev >> 8,
    dev & 0xff,
    status,
  );
}

export function dt(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second = 0,
  deviation: number | null = 0,
  clockStatus = 0,
  dayOfWeek = 0xff,
): CosemDateTime {
  return {
    year,
    month,
    dayOfMonth: day,
    dayOfWeek,
    hour,
    minute,
    second,
    hundredths: 0,
    deviation,
    clockStatus,
  };
}
